"""A mailbox folder over IMAP, as an untrusted source: search, fetch within limits, file away.

Works on an ``imaplib.IMAP4`` client (from :class:`bluelabel.hooks.imap.MailboxHook`, which
resolves the Airflow connection). Messages are addressed by UID; a message's size is asked for
before its body, and the body is fetched with ``BODY.PEEK[]<0.N>`` -- never more than the
limit plus one byte, and without marking it read, so a message is marked seen (or moved to
the processed folder) only once it is stored. Search criteria and folder names from a run's
input are checked: printable ASCII keys only (no line breaks to smuggle in a command), folder
names quoted and in IMAP's modified UTF-7.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from bluelabel.errors import AgentInputError, IngestError, TransientIngestError
from bluelabel.ports import port

_SEARCH_KEYS = re.compile(r"^[\x20-\x7e]{1,500}$")
_FETCH_ITEM = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
#: UIDs asked about in one FETCH command.
_CHUNK = 500
#: The IMAP keyword a message that cannot be read is flagged with; searches leave it out.
FAILED_KEYWORD = "$BluelabelFailed"


class OutOfTime(TransientIngestError):
    """The run's deadline cut the connection in the middle of a command."""


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def quote_folder(name: str) -> str:
    if not name or any(c in name for c in "\r\n\0") or len(name) > 500:
        raise AgentInputError(f"mail folder {name[:80]!r} is not a folder name")
    encoded = imap_utf7(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search_criteria(search: str, since: datetime | None) -> str:
    """IMAP SEARCH keys: ``unseen`` / ``all`` or the caller's keys, AND ``SINCE`` a day."""
    text = search.strip()
    keys = {"unseen": "UNSEEN", "all": "ALL", "": "ALL"}.get(text.lower(), text)
    if not _SEARCH_KEYS.match(keys):
        raise AgentInputError(
            "search must be 'unseen', 'all' or IMAP search keys in printable ASCII "
            '(e.g. FROM "reports@example.org" UNSEEN)'
        )
    if since is not None:  # SINCE is day-grained: the exact time is checked per message
        keys = f"{keys} SINCE {since.strftime('%d-%b-%Y')}"
    return f"{keys} UNKEYWORD {FAILED_KEYWORD}"  # a message that failed once is not read again


@dataclass(frozen=True)
class MessageInfo:
    uid: int
    size: int
    received: datetime | None  # INTERNALDATE: when the server got it


class Mailbox:
    """One selected folder of a logged-in ``imaplib.IMAP4`` client. ``where`` names it."""

    def __init__(self, client: imaplib.IMAP4, where: str, watchdog: Any = None) -> None:
        self.client = client
        self.where = where
        self.folder = ""
        self.watchdog = watchdog
        self._capabilities: frozenset[str] | None = None

    def capabilities(self, *, filing: bool = False) -> frozenset[str]:
        """What the server can do once logged in (imaplib keeps only the greeting's list)."""
        if self._capabilities is None:
            data = self._ok("to list its capabilities", self.client.capability, filing=filing)
            words = b" ".join(d for d in data if isinstance(d, bytes)).decode("ascii", "replace")
            self._capabilities = frozenset(words.upper().split())
        return self._capabilities

    def exchange(self, *, filing: bool = False) -> contextlib.AbstractContextManager[Any]:
        """Around each command: the watchdog's limit (a filing command's grace)."""
        if self.watchdog is None:
            return contextlib.nullcontext()
        return self.watchdog.exchange(graced=filing)  # type: ignore[no-any-return]

    def _ok(self, doing: str, command: Any, *args: Any, filing: bool = False) -> list[Any]:
        """Run one IMAP command; its data, or one line saying why not. ``filing``: it files
        away a message already stored (the watchdog gives it its grace)."""
        try:
            with self.exchange(filing=filing):
                status, data = command(*args)
        except (imaplib.IMAP4.error, OSError, EOFError) as exc:
            raise self._failure(doing, exc) from None
        if status != "OK":
            detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
            raise IngestError(self.where, f"the server refused {doing}: {detail[:200]}")
        return list(data)

    def _failure(self, doing: str, exc: BaseException) -> IngestError:
        if self.watchdog is not None and self.watchdog.expired:
            return OutOfTime(
                self.where,
                f"the mail server took longer than a run may ({self.watchdog.seconds:g} s, "
                f"[bluelabel] email_timeout) {doing}",
            )
        if isinstance(exc, TimeoutError):
            return TransientIngestError(
                self.where, f"the mail server did not answer {doing} in time"
            )
        if isinstance(exc, (imaplib.IMAP4.abort, OSError, EOFError)):
            return TransientIngestError(
                self.where, f"the connection broke {doing}: {str(exc)[:200]}"
            )
        return IngestError(self.where, f"the server refused {doing}: {str(exc)[:200]}")

    def select(self, folder: str) -> int:
        """Open ``folder`` for reading and writing; how many messages it holds."""
        self.folder = folder
        data = self._ok(f"to open folder {folder!r}", self.client.select, quote_folder(folder))
        return self._number(data[0], "message count") if data and data[0] else 0

    def search(self, criteria: str) -> list[int]:
        """UIDs matching ``criteria``, oldest first."""
        data = self._ok(f"the search {criteria!r}", self.client.uid, "SEARCH", criteria)
        words = data[0].split() if data and isinstance(data[0], bytes) else []
        return sorted(self._number(uid, "message UID") for uid in words)

    def _number(self, word: Any, what: str) -> int:
        """A number of the server's answer, or one line saying the answer is malformed."""
        try:
            return int(word)
        except (TypeError, ValueError):
            shown = word.decode("ascii", "replace") if isinstance(word, bytes) else str(word)
            raise IngestError(
                self.where, f"the mail server sent a malformed {what}: {shown[:60]!r}"
            ) from None

    def info(self, uids: list[int]) -> dict[int, MessageInfo]:
        """Size and arrival time of each message, without fetching any body."""
        found: dict[int, MessageInfo] = {}
        for start in range(0, len(uids), _CHUNK):
            chunk = ",".join(str(u) for u in uids[start : start + _CHUNK])
            data = self._ok(
                "to list messages", self.client.uid, "FETCH", chunk, "(RFC822.SIZE INTERNALDATE)"
            )
            for item in data:
                line = item[0] if isinstance(item, tuple) else item
                if not isinstance(line, bytes):
                    continue
                uid, size = _FETCH_ITEM.search(line), _SIZE.search(line)
                if uid is None or size is None:
                    continue
                date = _INTERNALDATE.search(line)
                found[int(uid[1])] = MessageInfo(
                    int(uid[1]), int(size[1]), _internaldate(date[1]) if date else None
                )
        return found

    def fetch(self, uid: int, limit: int) -> bytes:
        """The message's bytes, at most ``limit + 1`` of them, leaving it unread."""
        data = self._ok(
            f"to fetch message {uid}",
            self.client.uid,
            "FETCH",
            str(uid),
            f"(BODY.PEEK[]<0.{limit + 1}>)",
        )
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        raise IngestError(self.where, f"message UID {uid} is gone from the folder")

    def mark_seen(self, uid: int) -> None:
        self._ok(
            "to mark it seen", self.client.uid, "STORE", str(uid), "+FLAGS", "(\\Seen)", filing=True
        )

    def flag_failed(self, uid: int) -> bool:
        """Flag the message :data:`FAILED_KEYWORD` and seen; False when the server refuses
        keywords (it is then only marked seen)."""
        try:
            self._ok(
                "to flag it as failed",
                self.client.uid,
                "STORE",
                str(uid),
                "+FLAGS",
                f"(\\Seen {FAILED_KEYWORD})",
                filing=True,
            )
            return True
        except TransientIngestError:
            raise
        except IngestError:  # NO: the folder takes no new keywords
            self.mark_seen(uid)
            return False

    def move(self, uid: int, folder: str) -> None:
        """Move to ``folder`` (made if missing): MOVE where the server has it, else COPY,
        flag deleted and expunge that UID alone."""
        target = quote_folder(folder)
        with self.exchange(filing=True), contextlib.suppress(imaplib.IMAP4.error):
            self.client.create(target)  # NO when it exists: fine
        if "MOVE" in self.capabilities(filing=True):
            self._ok(
                f"to move it to {folder!r}", self.client.uid, "MOVE", str(uid), target, filing=True
            )
            return
        if "UIDPLUS" not in self.capabilities(filing=True):
            raise IngestError(
                self.where,
                "the server can neither MOVE nor expunge one UID (UIDPLUS): leave "
                "processed_folder empty to mark messages seen instead",
            )
        for doing, command in (
            (f"to copy it to {folder!r}", ("COPY", str(uid), target)),
            ("to flag it", ("STORE", str(uid), "+FLAGS", "(\\Deleted \\Seen)")),
            ("to expunge it", ("EXPUNGE", str(uid))),
        ):
            self._ok(doing, self.client.uid, *command, filing=True)


def _internaldate(raw: bytes) -> datetime | None:
    try:
        return parsedate_to_datetime(raw.decode("ascii").replace("-", " ", 2))
    except (ValueError, TypeError, IndexError, OverflowError, UnicodeDecodeError):
        return None


@contextlib.contextmanager
def open_mailbox(
    conn_id: str, *, timeout: float, max_literal: int, seconds: float | None = None
) -> Iterator[Mailbox]:
    """A logged-in mailbox on the Airflow connection ``conn_id``, logged out afterwards; a
    broken connection or a silent server is a transient error (the task's retries).
    ``max_literal``: the most bytes the server may announce for one literal (imaplib reads
    whatever size it is told: a server sending ``{10000000000}`` would fill the memory).
    ``seconds``: a command still running that long after the connection opened is cut, even
    in the middle of an answer trickled a byte at a time (each within ``timeout``), and
    raises :class:`OutOfTime`; one filing away a stored message may take ``timeout`` from its
    start (:class:`bluelabel.watchdog.SocketWatchdog`)."""
    where = f"imap://{conn_id}"
    client: imaplib.IMAP4 = port("imap_login")(conn_id, timeout=timeout, seconds=seconds)
    watchdog = getattr(client, "watchdog", None)  # bluelabel.watchdog.SocketWatchdog
    read = client.read

    def bounded_read(size: int) -> bytes:
        if size > max_literal:
            raise imaplib.IMAP4.abort(
                f"the server announced {size:,} bytes at once, over the {max_literal:,}-byte "
                "limit ([bluelabel] email_max_message_bytes)"
            )
        return read(size)

    client.read = bounded_read  # type: ignore[method-assign]
    mailbox = Mailbox(client, where, watchdog)
    try:
        yield mailbox
    finally:
        with (
            mailbox.exchange(filing=True),
            contextlib.suppress(imaplib.IMAP4.error, OSError, EOFError),
        ):
            client.logout()
        if watchdog is not None:
            watchdog.cancel()


def now() -> datetime:
    return datetime.now(timezone.utc)
