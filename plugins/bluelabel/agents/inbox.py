"""The inbox of the batch workflow: documents dropped into a folder (or an object-store prefix).

``InboxAgent`` lists what is new; each listed file is then ingested by one mapped task
(:func:`ingest_inbox_item`), which moves it to ``processed/`` when it is in the store, or to
``quarantine/`` beside a ``<name>.reason.txt`` sidecar that says why it failed. Nothing is
deleted: every file ends up in exactly one of the two folders.

Supported: ``.pdf``; ``.txt``/``.md`` text; ``.url`` files holding one http(s) URL per line
(blank lines and ``#`` comments ignored). Anything else is quarantined at listing time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bluelabel import settings
from bluelabel.agents.models import AgentContext, AgentInput, whole_number
from bluelabel.errors import AgentInputError, BluelabelError, IngestError
from bluelabel.store import storage_path

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

    from bluelabel.agents.ingestion import IngestionAgent

PROCESSED = "processed"
QUARANTINE = "quarantine"
REASON_SUFFIX = ".reason.txt"
KINDS = {".pdf": "pdf", ".txt": "text", ".md": "text", ".markdown": "text", ".url": "url"}
DEFAULT_MAX_FILES = 500
MAX_URLS_PER_FILE = 100


class Inbox:
    """A folder (``Path``) or object-store prefix (``ObjectStoragePath``) of incoming files."""

    def __init__(self, location: str | os.PathLike[str] | ObjectStoragePath) -> None:
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
    def candidates(self, *, settle_seconds: float = 0.0) -> list[tuple[float, str]]:
        """``(mtime, name)`` of the files waiting at the top level, oldest first.

        Hidden and partial files (``.name``, ``*.part``, ``*.tmp``, ``*~``) are left alone, and
        so are files changed in the last ``settle_seconds`` (they may still be being written).
        """
        now = time.time()
        found = []
        for entry in self.root.iterdir():
            name = entry.name
            if name.startswith(".") or name.endswith((".part", ".tmp", "~")):
                continue
            try:
                if not entry.is_file():
                    continue
                mtime = entry.stat().st_mtime
            except (OSError, FileNotFoundError):
                continue  # moved away while we looked
            if settle_seconds and now - float(mtime) < settle_seconds:
                continue
            found.append((float(mtime), name))
        return sorted(found)

    def path(self, name: str) -> Path | ObjectStoragePath:
        if "/" in name or name in ("", ".", ".."):
            raise AgentInputError(f"inbox file name {name!r} must be a plain file name")
        return self.root / name

    @contextlib.contextmanager
    def local_file(self, name: str) -> Iterator[Path]:
        """The file as a local path (a temporary download for object stores)."""
        source = self.path(name)
        if not source.exists():
            raise IngestError(
                str(source),
                "no longer in the inbox (already processed or quarantined by another run?)",
            )
        if isinstance(source, Path):
            yield source
            return
        suffix = Path(name).suffix
        fd, tmp = tempfile.mkstemp(prefix="bluelabel-inbox-", suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:  # type: ignore[no-untyped-call]
                shutil.copyfileobj(src, out, 1 << 20)
            yield Path(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)

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
        if target.exists():  # the same name was filed before: keep both
            stem, suffix = os.path.splitext(name)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
            target = directory / f"{stem}.{stamp}{suffix}"
        if isinstance(source, Path) and isinstance(target, Path):
            os.replace(source, target)
        else:
            source.rename(target)  # type: ignore[arg-type]
        return str(target)


def inbox_location(request: AgentInput) -> str:
    return str(request.option("inbox") or settings.inbox_location())


def check_inbox_allowed(inbox: Inbox, context: AgentContext) -> None:
    """A local inbox must be the configured one or lie under an allowed root."""
    if not isinstance(inbox.root, Path) or context.allowed_roots is None:
        return
    roots = [Path(settings.inbox_location()).expanduser().resolve(), *context.allowed_roots]
    if not any(inbox.root.is_relative_to(Path(r).resolve()) for r in roots):
        raise IngestError(
            inbox.location,
            "the inbox is outside the allowed roots "
            f"({', '.join(str(r) for r in roots)}); add it to [bluelabel] allowed_roots",
        )


class InboxAgent:
    """List the documents waiting in an inbox, as items for a mapped ingest step.

    Options: ``inbox`` (folder or URL; default ``[bluelabel] inbox``), ``max_files`` (per
    batch, oldest first; the rest wait for the next run), ``settle_seconds`` (skip files
    changed more recently), ``skip_known`` (default true: a PDF or text file whose content is
    already in the store goes straight to ``processed/`` without a task).
    Result: ``items`` (one agent input per file), ``count``, ``duplicates``, ``quarantined``.
    """

    name = "inbox_agent"

    def run(self, request: AgentInput, context: AgentContext) -> dict[str, Any]:
        inbox = Inbox(inbox_location(request))
        check_inbox_allowed(inbox, context)
        inbox.require()
        max_files = whole_number(
            request.option("max_files", DEFAULT_MAX_FILES), "max_files", agent=self.name
        )
        settle = float(request.option("settle_seconds", 0) or 0)
        skip_known = request.flag("skip_known", True)
        items: list[dict[str, Any]] = []
        duplicates: list[dict[str, str]] = []
        quarantined: list[dict[str, str]] = []
        waiting = inbox.candidates(settle_seconds=settle)
        for _, name in waiting:
            if len(items) >= max_files:
                break
            kind = KINDS.get(Path(name).suffix.lower())
            if kind is None:
                reason = (
                    f"unsupported file type {Path(name).suffix or '(none)'!r}; the inbox "
                    f"takes {', '.join(sorted(KINDS))}"
                )
                inbox.quarantine(name, reason)
                quarantined.append({"file": name, "reason": reason})
                context.log.warning("%s quarantined: %s", name, reason)
                continue
            if skip_known and isinstance(inbox.root, Path) and kind != "url":
                known = _stored_id(inbox.root / name, kind, context)
                if known is not None:
                    inbox.mark_processed(name)
                    duplicates.append({"file": name, "content_id": known})
                    context.log.info("%s is already stored as %s: skipped", name, known)
                    continue
            items.append(
                {
                    "task_type": kind,
                    "source": f"{inbox.location}/{name}",
                    "content": {"inbox_file": name},
                    "context": {"inbox": inbox.location, "inbox_file": name},
                }
            )
        context.log.info(
            "inbox %s: %d to ingest, %d already stored, %d quarantined, %d waiting",
            inbox.location,
            len(items),
            len(duplicates),
            len(quarantined),
            max(0, len(waiting) - len(items) - len(duplicates) - len(quarantined)),
        )
        return {
            "items": items,
            "count": len(items),
            "inbox": inbox.location,
            "duplicates": duplicates,
            "quarantined": quarantined,
        }


def _stored_id(path: Path, kind: str, context: AgentContext) -> str | None:
    """The content id the ingestion agent would give the file, if that id is stored."""
    from bluelabel.agents.ingestion import content_id_of_file, content_id_of_text

    try:
        if kind == "pdf":
            content_id = content_id_of_file(path, "pdf")
        else:
            content_id = content_id_of_text(path.read_text(encoding="utf-8"), "text")
    except (OSError, UnicodeDecodeError):
        return None  # the ingest task reports it, and quarantines the file
    return content_id if context.store.has(content_id) else None


def ingest_inbox_item(
    agent: IngestionAgent, request: AgentInput, context: AgentContext
) -> dict[str, Any]:
    """Ingest one inbox file, then file it under ``processed/`` or ``quarantine/``."""
    inbox = Inbox(str(request.context["inbox"]))
    name = str(request.context["inbox_file"])
    check_inbox_allowed(inbox, context)
    try:
        with inbox.local_file(name) as path:
            source = f"{inbox.location}/{name}"
            if path.suffix.lower() == ".url":
                result = _ingest_url_file(agent, path, source, request, context)
            else:
                result = agent.ingest_file(path, source, request, context)
    except BluelabelError as exc:
        if isinstance(exc, IngestError) and "no longer in the inbox" in exc.reason:
            raise
        reason = str(exc)
        moved = inbox.quarantine(name, reason)
        context.log.error("%s quarantined (%s): %s", name, moved, reason)
        raise
    except Exception as exc:  # a bug or an unexpected library error: still file the input
        reason = f"{type(exc).__name__}: {exc}"
        inbox.quarantine(name, reason)
        raise IngestError(f"{inbox.location}/{name}", f"quarantined: {reason}") from exc
    result["inbox_file"] = name
    result["moved_to"] = inbox.mark_processed(name)
    return result


def _ingest_url_file(
    agent: IngestionAgent, path: Path, source: str, request: AgentInput, context: AgentContext
) -> dict[str, Any]:
    """Every URL in a ``.url`` file; any failure fails the file, naming each bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(source, f"cannot read the .url file: {exc}") from None
    urls = [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]
    urls = [(n, url) for n, url in urls if not url.startswith("#")]
    if not urls:
        raise IngestError(source, "the .url file lists no URL (one http(s) URL per line)")
    if len(urls) > MAX_URLS_PER_FILE:
        raise IngestError(source, f"more than {MAX_URLS_PER_FILE} URLs in one .url file")
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    for number, url in urls:
        try:
            results.append(agent.ingest_url(url, request, context))
        except BluelabelError as exc:
            failures.append(f"line {number}: {exc}")
    if failures:
        stored = f"; {len(results)} other URL(s) were stored" if results else ""
        raise IngestError(source, "; ".join(failures) + stored)
    return {
        "content_ids": [r["content_id"] for r in results],
        "deduplicated_ids": [r["content_id"] for r in results if r.get("deduplicated")],
        "titles": [r.get("title") for r in results],
        "content_type": "url",
        "source": source,
        "url_count": len(results),
        "content_length": sum(int(r.get("content_length") or 0) for r in results),
    }
