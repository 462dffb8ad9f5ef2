"""The inbox of the batch workflow: documents dropped into a folder (or an object-store prefix).

``InboxAgent`` lists what is new; each listed file is then ingested by one mapped task (the
ingestion agent's inbox path), which moves it to ``processed/`` when it is in the store, or to
``quarantine/`` beside a ``<name>.reason.txt`` sidecar that says why it failed. Nothing is
deleted: every file ends up in exactly one of the two folders.

Entries are untrusted: a symbolic link is resolved and must stay inside the inbox or the
allowed roots, and only regular files are read; anything else is quarantined at listing time,
with the reason, without being read.

Supported: ``.pdf``; ``.txt``/``.md`` text; ``.html``/``.htm`` pages; ``.docx`` Word documents;
``.eml`` saved email messages (body and attachments); ``.url`` files holding one http(s) URL per
line (blank lines and ``#`` comments ignored).
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from bluelabel.agents.files import LocalFile, check_regular_file, content_id_of_file, object_file
from bluelabel.agents.inputs import AgentContext, AgentInput
from bluelabel.agents.results import InboxListing
from bluelabel.agents.step_options import InboxOptions as InboxOptions
from bluelabel.agents.text import stage_text_stream
from bluelabel.errors import AgentInputError, IngestError, NoLongerInInbox
from bluelabel.locations import Root, check_location, inside
from bluelabel.store import storage_path

if TYPE_CHECKING:
    from bluelabel.store.paths import StorePath

PROCESSED = "processed"
QUARANTINE = "quarantine"
REASON_SUFFIX = ".reason.txt"
KINDS = {
    ".pdf": "pdf",
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
    ".url": "url",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".eml": "email",
}
_NOT_REGULAR = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


class Inbox:
    """A folder (``Path``) or object-store prefix (``ObjectStoragePath``) of incoming files."""

    def __init__(self, location: str | os.PathLike[str] | StorePath) -> None:
        root = storage_path(location)
        self.root = root.resolve() if isinstance(root, Path) else root
        self.location = str(self.root)
        self.is_local = isinstance(self.root, Path)

    def require(self) -> None:
        """Fail, naming the inbox, when it does not exist or is not a folder."""
        try:
            exists = self.root.is_dir() if self.is_local else self.root.exists()
        except OSError as exc:
            raise IngestError(self.location, f"cannot read the inbox: {exc}") from None
        if not exists:
            raise IngestError(
                self.location,
                "the inbox does not exist: create it, or point the workflow's 'inbox' "
                "parameter (or [bluelabel] inbox) at an existing folder or URL",
            )

    # ------------------------------------------------------------------ listing
    def entries(self, *, settle_seconds: float = 0.0) -> list[tuple[float, str]]:
        """``(mtime, name)`` of what waits at the top level, oldest first.

        Hidden and partial files (``.name``, ``*.part``, ``*.tmp``, ``*~``) and folders are
        left alone, and so are files changed in the last ``settle_seconds``. Links, FIFOs and
        other non-regular entries are listed: :meth:`refusal` says why they cannot be read.
        """
        now = time.time()
        found = []
        try:
            listed: list[StorePath] = list(self.root.iterdir())
        except OSError as exc:  # not a folder after all (an HTTP page), gone, no access
            reason = exc.strerror or type(exc).__name__
            raise IngestError(self.location, f"cannot list the inbox: {reason}") from None
        for entry in listed:
            name = entry.name
            if name.startswith(".") or name.endswith((".part", ".tmp", "~")):
                continue
            try:
                if self.is_local:
                    info = os.lstat(entry)  # type: ignore[arg-type]
                    if stat.S_ISDIR(info.st_mode):
                        continue
                    mtime = info.st_mtime
                else:
                    if not entry.is_file():
                        continue
                    mtime = entry.stat().st_mtime
            except OSError:
                continue  # moved away while we looked
            if settle_seconds and now - float(mtime) < settle_seconds:
                continue
            found.append((float(mtime), name))
        return sorted(found)

    def refusal(self, name: str, roots: Sequence[Root] | None) -> str | None:
        """Why a local entry must not be read (a link out of the roots, not a regular file)."""
        if not isinstance(self.root, Path):
            return None
        path = self.root / name
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            target = path.resolve()
            if not inside(target, [self.root, *(roots or ())]):
                return (
                    f"a symbolic link to {target}, outside the inbox and the allowed roots: "
                    "not read"
                )
            try:
                info = os.stat(path)
            except OSError:
                return "a symbolic link to nothing (its target is missing)"
        kind = _NOT_REGULAR.get(stat.S_IFMT(info.st_mode))
        if kind is not None:
            return f"not a regular file: it is {kind}; not read"
        return None

    def path(self, name: str) -> StorePath:
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            raise AgentInputError(f"inbox file name {name!r} must be a plain file name")
        return self.root / name

    @contextlib.contextmanager
    def local_file(
        self, name: str, *, roots: Sequence[Root] | None = None, max_bytes: int | None = None
    ) -> Iterator[LocalFile]:
        """The file as a checked local file (a bounded temporary download for object stores)."""
        source = self.path(name)
        try:
            exists = os.path.lexists(source) if isinstance(source, Path) else source.exists()
        except OSError:
            exists = False
        if not exists:
            raise NoLongerInInbox(
                str(source),
                "no longer in the inbox (already processed or quarantined by another run?)",
            )
        if isinstance(source, Path):
            refusal = self.refusal(name, roots)
            if refusal is not None:
                raise IngestError(str(source), refusal)
            yield check_regular_file(source.resolve(), str(source))
            return
        with object_file(source, max_bytes=max_bytes) as file:
            yield file

    # ------------------------------------------------------------------ filing away
    def mark_processed(self, name: str) -> str:
        return self._move(name, PROCESSED)

    def quarantine(self, name: str, reason: str) -> str:
        """Move ``name`` to ``quarantine/`` and write ``<name>.reason.txt`` beside it."""
        target = self._move(name, QUARANTINE)
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        note = (
            f"file: {name}\nfrom inbox: {self.location}\nquarantined at: {stamp}\n"
            f"reason: {reason}\n\nFix the cause and move the file back into the inbox to retry.\n"
        )
        sidecar = self.root / QUARANTINE / (Path(target).name + REASON_SUFFIX)
        sidecar.write_text(note, encoding="utf-8")
        return target

    def _move(self, name: str, folder: str) -> str:
        source = self.path(name)
        directory = self.root / folder
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / name
        if os.path.lexists(target) if isinstance(target, Path) else target.exists():
            stem, suffix = os.path.splitext(name)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
            target = directory / f"{stem}.{stamp}{suffix}"
        if isinstance(source, Path) and isinstance(target, Path):
            os.replace(source, target)  # moves a link itself, never its target
        else:
            source.rename(target)  # type: ignore[arg-type]
        return str(target)


def open_inbox(location: str, context: AgentContext) -> Inbox:
    """The inbox at ``location``, once the location policy allows it (before anything is
    touched): the configured ``[bluelabel] inbox``, or a location under the allowed roots."""
    allowed = check_location(
        location,
        roots=context.allowed_roots,
        base_dir=context.base_dir,
        configured=context.settings.inbox,
        what="inbox",
    )
    return Inbox(allowed)


class InboxAgent:
    """List the documents waiting in an inbox, as items for a mapped ingest step."""

    name = "inbox_agent"
    options: ClassVar[type[InboxOptions]] = InboxOptions

    def run(self, request: AgentInput, context: AgentContext) -> InboxListing:
        opts = request.options(InboxOptions, settings=context.settings)
        inbox = open_inbox(opts.inbox or context.settings.inbox, context)
        inbox.require()
        listing = InboxListing(inbox=inbox.location, items=[])
        roots = [*(context.allowed_roots or ())]
        # a listing longer than [core] max_map_length would fail the whole run
        limit = min(opts.max_files, context.settings.max_map_length)
        waiting = inbox.entries(settle_seconds=opts.settle_seconds)
        for _, name in waiting:
            if len(listing.items) >= limit:
                break
            kind = KINDS.get(Path(name).suffix.lower())
            reason = inbox.refusal(name, roots)
            if reason is None and kind is None:
                reason = (
                    f"unsupported file type {Path(name).suffix or '(none)'!r}; the inbox "
                    f"takes {', '.join(sorted(KINDS))}"
                )
            if reason is not None:
                inbox.quarantine(name, reason)
                listing.quarantined.append({"file": name, "reason": reason})
                context.log.warning("%s quarantined: %s", name, reason)
                continue
            assert kind is not None
            if opts.skip_known and isinstance(inbox.root, Path) and kind in ("pdf", "docx", "text"):
                known = _stored_id(inbox.root / name, kind, context)
                if known is not None:
                    inbox.mark_processed(name)
                    listing.duplicates.append({"file": name, "content_id": known})
                    context.log.info("%s is already stored as %s: skipped", name, known)
                    continue
            listing.items.append(
                {
                    "task_type": kind,
                    "source": f"{inbox.location}/{name}",
                    "content": {"inbox_file": name},
                    "context": {"inbox": inbox.location, "inbox_file": name},
                }
            )
        handled = len(listing.items) + len(listing.duplicates) + len(listing.quarantined)
        listing.waiting = max(0, len(waiting) - handled)
        if listing.waiting:
            context.log.warning(
                "inbox %s holds %d more file(s) than one run takes (max_files = %d): the "
                "oldest %d are ingested now, the rest wait for the next run",
                inbox.location,
                listing.waiting,
                limit,
                len(listing.items),
            )
        context.log.info(
            "inbox %s: %d to ingest, %d already stored, %d quarantined, %d waiting",
            inbox.location,
            len(listing.items),
            len(listing.duplicates),
            len(listing.quarantined),
            listing.waiting,
        )
        return listing


def _stored_id(path: Path, kind: str, context: AgentContext) -> str | None:
    """The content id the ingestion agent would give the file, if that id is stored."""
    try:
        file = check_regular_file(path.resolve())
        if kind in ("pdf", "docx"):  # stored under the hash of their bytes
            content_id = content_id_of_file(file, kind)
        else:  # hashed exactly as ingestion stages it, in bounded memory
            with file.open() as handle:
                staged = stage_text_stream(
                    handle,
                    Path(os.devnull),
                    max_bytes=context.settings.max_text_bytes,
                    source=str(path),
                )
            content_id = staged.content_id
    except (OSError, IngestError):
        return None  # the ingest task reports it, and quarantines the file
    return content_id if context.store.has(content_id) else None
