"""One email message (RFC 5322 / MIME), untrusted: its headers, its body text, its attachments.

Parsed with the standard library's ``email`` package (``policy.default``: encoded headers
decoded, lenient with broken input, problems recorded as defects; each header cut before it
is parsed and the parse under a deadline, :mod:`~bluelabel.agents.mail.bounds`). The body is
the part ``get_body`` picks -- text/plain before text/html, as a mail client shows it -- with
HTML reduced to its main text as for web pages; further inline text parts are appended. Every
other leaf part is an attachment: a supported document (PDF, text, HTML, DOCX, an attached
message) is decoded for ingestion, anything else is listed with why it is not ingested.

A part that cannot be decoded (invalid base64, an unknown transfer encoding or charset) is
reported with its reason and does not stop the rest. Limits: the message's size, each
attachment's decoded size, the number of attachments, the nesting depth and part count.
Nothing here quotes a part's content in a message.
"""

from __future__ import annotations

import email.errors
import email.utils
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from typing import Any

from bluelabel.agents.files import binary_kind
from bluelabel.agents.formats import DocumentKind, kind_of
from bluelabel.agents.formats.charset import text_codec
from bluelabel.agents.formats.html import html_document_text
from bluelabel.agents.mail.bounds import PARSE_SECONDS, ParseRefused, parse_budget, parse_bytes
from bluelabel.agents.mail.parts import contains, deeper_than, part_number
from bluelabel.errors import IngestError, LimitExceeded

#: Deeper than any real message nests its multiparts: parts below are not read.
MAX_DEPTH = 12
#: A message nesting its parts (attached messages included) deeper is refused whole.
MAX_NESTING = 100
#: More leaf parts than any real message has; the rest is not read.
MAX_PARTS = 1_000
MAX_HEADER_CHARS = 500
_DECODABLE = frozenset(
    {"7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "uuencode", "x-uue"}
)
_BAD_BASE64 = (email.errors.InvalidBase64CharactersDefect, email.errors.InvalidBase64LengthDefect)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]+")


@dataclass(frozen=True)
class MailLimits:
    """``max_message_bytes``: the raw message; the others per message's attachments."""

    max_message_bytes: int = 32_000_000
    max_attachment_bytes: int = 25_000_000
    max_attachments: int = 20


@dataclass
class Attachment:
    """A leaf part other than the body. ``data`` is set when it is to be ingested; else
    ``skipped`` says why not (unsupported, over a limit, undecodable)."""

    part: str  # MIME part number, as IMAP numbers them: "2", "2.1"
    filename: str | None
    content_type: str
    kind: DocumentKind | None
    data: bytes | None = None
    skipped: str | None = None
    #: charset declared for a text or HTML part
    charset: str | None = None
    #: where the sandbox wrote ``data`` (:mod:`~bluelabel.agents.mail.sandboxed`)
    path: str | None = None


@dataclass
class ParsedMessage:
    message_id: str | None
    sender: str | None
    to: str | None
    subject: str | None
    date: str | None  # ISO 8601 when the Date header is valid, else as written
    body: str = ""
    body_type: str | None = None  # plain | html
    html_title: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        """The message's identity, recorded with each document it yields."""
        data = {
            "message_id": self.message_id,
            "from": self.sender,
            "to": self.to,
            "subject": self.subject,
            "date": self.date,
        }
        return {k: v for k, v in data.items() if v}


def _header(message: Message, name: str) -> str | None:
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError, LookupError, email.errors.MessageError):
        return None  # a header the parser cannot make sense of
    if value is None:
        return None
    text = _CONTROL.sub(" ", str(value)).strip()
    return " ".join(text.split())[:MAX_HEADER_CHARS] or None


def _date(message: Message) -> str | None:
    raw = _header(message, "Date")
    if raw is None:
        return None
    try:
        return email.utils.parsedate_to_datetime(raw).isoformat()
    except (ValueError, TypeError, IndexError, OverflowError):
        return raw


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (ValueError, TypeError, IndexError, LookupError, email.errors.MessageError):
        return None
    if not name:
        return None
    name = _CONTROL.sub("", str(name)).replace("/", "_").replace("\\", "_").strip()
    return name[:200] or None


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except (ValueError, TypeError, LookupError):
        return None


@dataclass(frozen=True)
class Decoded:
    """A part's decoded bytes; or ``error`` (it cannot be decoded); or ``oversize`` (about how
    many bytes it holds, over the limit it was decoded under)."""

    data: bytes | None = None
    error: str | None = None
    oversize: int | None = None


def decode_part(part: Message, *, limit: int | None = None) -> Decoded:
    """The part's content, decoded from its transfer encoding, within ``limit`` bytes."""
    encoding = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower() or "7bit"
    if encoding not in _DECODABLE:
        return Decoded(error=f"unknown Content-Transfer-Encoding {encoding[:40]!r}")
    raw = part.get_payload(decode=False)
    if not isinstance(raw, str):
        return Decoded(error="not a single part")
    if limit is not None:  # refuse what is plainly too big before decoding it
        estimate = len(raw) * 3 // 4 if encoding == "base64" else len(raw)
        if estimate > limit + limit // 20 + 1024:
            return Decoded(oversize=estimate)
    before = len(part.defects)
    data = part.get_payload(decode=True)
    if any(isinstance(d, _BAD_BASE64) for d in part.defects[before:]):
        return Decoded(error="invalid base64 (characters outside its alphabet, or cut short)")
    if not isinstance(data, bytes):
        return Decoded(error="no content")
    if limit is not None and len(data) > limit:
        return Decoded(oversize=len(data))
    return Decoded(data=data)


def decode_text(data: bytes, charset: str | None) -> tuple[str | None, str | None]:
    """``(text, None)`` in the declared charset (UTF-8 when none), else ``(None, why)``.

    Bytes invalid in a declared charset are tried as UTF-8 (mail often says us-ascii and
    sends UTF-8), then replaced. A charset Python cannot decode text with (unknown, or not
    a text codec: :func:`~bluelabel.agents.formats.charset.text_codec`) is read as UTF-8
    when the bytes are UTF-8, else refused with its name."""
    name = charset or "utf-8"
    codec = text_codec(name)
    if codec is None:
        try:
            return data.decode("utf-8"), None
        except UnicodeDecodeError:
            return None, f"unknown charset {name[:40]!r}"
    try:
        return data.decode(codec), None
    except UnicodeDecodeError:
        try:
            return data.decode("utf-8"), None
        except UnicodeDecodeError:
            return data.decode(codec, errors="replace"), None


class _Walk:
    def __init__(self, parsed: ParsedMessage, body: Message | None, limits: MailLimits) -> None:
        self.parsed, self.body, self.limits = parsed, body, limits
        self.leaves = 0
        self.counted = 0
        self.body_parts: list[str] = []

    def visit(self, part: Message, number: str, depth: int, in_alternative: bool) -> None:
        if depth > MAX_DEPTH:
            self.parsed.problems.append(
                f"part {number}: nested more than {MAX_DEPTH} deep: not read"
            )
            return
        content_type = part.get_content_type()
        if content_type == "message/rfc822" or (
            part.is_multipart() and content_type.startswith("message/")
        ):
            self.leaf(part, number or "1", content_type, attached_message=True)
            return
        if part.is_multipart():
            children = part.get_payload()
            alternative = content_type == "multipart/alternative"
            holds_body = self.body is not None and contains(part, self.body)
            for index, child in enumerate(children if isinstance(children, list) else [], 1):
                if not isinstance(child, Message):
                    continue
                self.visit(
                    child,
                    f"{number}.{index}" if number else str(index),
                    depth + 1,
                    alternative and holds_body,
                )
            return
        if part is self.body:
            return
        if in_alternative:  # another rendering of the body
            return
        self.leaf(part, number or "1", content_type, attached_message=False)

    def leaf(
        self, part: Message, number: str, content_type: str, *, attached_message: bool
    ) -> None:
        self.leaves += 1
        if self.leaves > MAX_PARTS:
            if self.leaves == MAX_PARTS + 1:
                self.parsed.problems.append(
                    f"more than {MAX_PARTS:,} MIME parts: the rest is not read"
                )
            return
        filename = _filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        if (
            not attached_message
            and filename is None
            and disposition != "attachment"
            and content_type in ("text/plain", "text/html")
        ):
            self.inline_text(part, number, content_type)
            return
        kind = "email" if attached_message else kind_of(filename, content_type)
        attachment = Attachment(number, filename, content_type, kind, charset=_charset(part))
        self.parsed.attachments.append(attachment)
        if kind is None:
            attachment.skipped = f"{content_type} is not a document type Bluelabel reads"
            return
        self.counted += 1
        if self.counted > self.limits.max_attachments:
            attachment.skipped = (
                f"over the {self.limits.max_attachments}-attachment limit for one message "
                "([bluelabel] email_max_attachments)"
            )
            return
        if attached_message:
            inner = part.get_payload(0) if part.is_multipart() else None
            data = None
            if isinstance(inner, Message) and deeper_than(inner, MAX_DEPTH):
                attachment.skipped = f"the attached message nests more than {MAX_DEPTH} deep"
            else:
                # The standard library's generator fails on some messages it parsed (one
                # nested 1,000 deep raised AttributeError): any failure is this part's.
                try:
                    data = inner.as_bytes() if isinstance(inner, Message) else None
                except (MemoryError, ParseRefused):
                    raise
                except Exception:
                    data = None
            if data is None:
                attachment.skipped = attachment.skipped or "the attached message cannot be read"
                self.parsed.problems.append(f"part {number} ({content_type}): {attachment.skipped}")
            elif len(data) > self.limits.max_attachment_bytes:
                attachment.skipped = self._too_big(f"{len(data):,} bytes")
            else:
                attachment.data = data
            return
        decoded = decode_part(part, limit=self.limits.max_attachment_bytes)
        if decoded.data is not None:
            attachment.data = decoded.data
        elif decoded.oversize is not None:
            attachment.skipped = self._too_big(f"about {decoded.oversize:,} bytes")
        else:
            attachment.skipped = f"cannot be decoded: {decoded.error}"
            self.parsed.problems.append(
                f"part {number} ({filename or content_type}): {attachment.skipped}"
            )

    def _too_big(self, size: str) -> str:
        return (
            f"{size}, over the {self.limits.max_attachment_bytes:,}-byte limit for one "
            "attachment ([bluelabel] email_max_attachment_bytes)"
        )

    def inline_text(self, part: Message, number: str, content_type: str) -> None:
        text = self.text_of(part, number, content_type)
        if text:
            self.body_parts.append(text)

    def text_of(self, part: Message, number: str, content_type: str) -> str | None:
        decoded = decode_part(part, limit=self.limits.max_message_bytes)
        data = decoded.data
        if data is None:
            error = decoded.error or "larger than the message limit"
            self.parsed.problems.append(
                f"part {number} ({content_type}): cannot be decoded: {error}"
            )
            return None
        if content_type == "text/html":
            title, text = html_document_text(data, _charset(part))
            self.parsed.html_title = self.parsed.html_title or title
            return text
        plain, why = decode_text(data, _charset(part))
        if plain is None:
            self.parsed.problems.append(f"part {number} ({content_type}): cannot be decoded: {why}")
            return None
        return plain.replace("\r\n", "\n").replace("\r", "\n")


def _body_part(message: EmailMessage) -> Message | None:
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, TypeError, IndexError, email.errors.MessageError):
        return None


def parse_message(raw: bytes, limits: MailLimits, *, source: str) -> ParsedMessage:
    """The message in ``raw``; :class:`IngestError` when it is no message or over its limit."""
    if len(raw) > limits.max_message_bytes:
        raise LimitExceeded(
            source,
            f"the message is {len(raw):,} bytes, over the {limits.max_message_bytes:,}-byte "
            "limit ([bluelabel] email_max_message_bytes)",
            setting="email_max_message_bytes",
        )
    what = binary_kind(raw[:8192])
    if what is not None:
        raise IngestError(source, f"not an email message: the content is {what}")
    try:
        with parse_budget(PARSE_SECONDS):
            return _parse(raw, limits, source=source)
    except ParseRefused as exc:
        raise IngestError(
            source, f"malformed email: {exc} (a message built to exhaust the parser)"
        ) from None


def _parse(raw: bytes, limits: MailLimits, *, source: str) -> ParsedMessage:
    try:
        message = parse_bytes(raw)
    except RecursionError:
        raise IngestError(source, "malformed email: its parts nest too deeply") from None
    if not isinstance(message, EmailMessage) or not list(message.keys()):
        raise IngestError(source, "not an email message: it has no headers")
    if deeper_than(message, MAX_NESTING):
        raise IngestError(
            source, f"malformed email: its parts nest too deeply (more than {MAX_NESTING} levels)"
        )
    parsed = ParsedMessage(
        message_id=_header(message, "Message-ID"),
        sender=_header(message, "From"),
        to=_header(message, "To"),
        subject=_header(message, "Subject"),
        date=_date(message),
    )
    body = _body_part(message)
    walk = _Walk(parsed, body, limits)
    texts: list[str] = []
    if body is not None:
        content_type = body.get_content_type()
        text = walk.text_of(body, part_number(message, body), content_type)
        if text:
            texts.append(text)
            parsed.body_type = "html" if content_type == "text/html" else "plain"
    try:
        walk.visit(message, "", 0, False)
    except RecursionError:
        parsed.problems.append("the message's parts nest too deeply: the rest is not read")
    texts.extend(walk.body_parts)
    if texts and parsed.body_type is None:
        parsed.body_type = "plain"
    parsed.body = "\n\n".join(t.strip("\n") for t in texts if t.strip())
    return parsed
