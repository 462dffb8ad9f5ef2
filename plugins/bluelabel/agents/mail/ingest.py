"""Storing one email message: the body as a document, each supported attachment as its own
(PDFs through the PDF path with OCR, text, HTML, DOCX, attached messages), all linked to the
message by its Message-ID, From, Subject and Date in their metadata.

Deduplication is by content: an attachment is the document its bytes (PDF, DOCX) or text
make, so the same PDF sent twice is stored once; the body's identity is the message's
headers and text, so the same message read twice (a re-run, its ``.eml`` copy) is stored once.
An attachment that cannot be ingested for good (corrupt, unsupported, over a limit) is
reported and the rest goes on; a transient failure (a full disk) stops the message, so that
it is read again next time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bluelabel.agents.files import LocalFile, check_regular_file
from bluelabel.agents.ingest.documents import store_document
from bluelabel.agents.ingest.docx import ingest_docx_file
from bluelabel.agents.ingest.html import ingest_html_file
from bluelabel.agents.ingest.options import IngestOptions
from bluelabel.agents.ingest.pdf import ingest_pdf
from bluelabel.agents.ingest.text import ingest_text_file
from bluelabel.agents.inputs import AgentContext
from bluelabel.agents.mail.message import Attachment, MailLimits, ParsedMessage, decode_text
from bluelabel.agents.mail.sandboxed import parse_in_sandbox
from bluelabel.agents.results import AttachmentEntry, IngestResult, MessageResult
from bluelabel.errors import BluelabelError, IngestError, LimitExceeded
from bluelabel.store import DocumentRecord

#: Messages attached to messages attached to ... are read this deep.
MAX_NESTED_MESSAGES = 3


def mail_limits(context: AgentContext) -> MailLimits:
    settings = context.settings
    return MailLimits(
        max_message_bytes=settings.email_max_message_bytes,
        max_attachment_bytes=settings.email_max_attachment_bytes,
        max_attachments=settings.email_max_attachments,
    )


def body_content_id(parsed: ParsedMessage) -> str:
    """The body document's id: the message's identity and its text."""
    digest = hashlib.sha256(b"email\0")
    for value in (parsed.message_id, parsed.sender, parsed.subject, parsed.date, parsed.body):
        digest.update((value or "").encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()[:32]


def _attachment_name(attachment: Attachment) -> str:
    if attachment.filename:
        return attachment.filename
    suffix = {"pdf": ".pdf", "text": ".txt", "html": ".html", "docx": ".docx", "email": ".eml"}
    return f"part-{attachment.part}{suffix.get(attachment.kind or '', '')}"


def ingest_eml_file(
    file: LocalFile,
    source: str,
    opts: IngestOptions,
    context: AgentContext,
    *,
    extra: dict[str, Any] | None = None,
) -> MessageResult:
    """A saved email message (``.eml``): its body and each supported attachment."""
    return ingest_message_file(file, source=source, opts=opts, context=context, extra=extra)


def ingest_message(
    raw: bytes,
    *,
    source: str,
    opts: IngestOptions,
    context: AgentContext,
    extra: dict[str, Any] | None = None,
    limits: MailLimits | None = None,
) -> MessageResult:
    """:func:`ingest_message_file` of a message held in memory (fetched over IMAP)."""
    with context.store.staging_file() as staged:
        staged.write_bytes(raw)
        file = check_regular_file(staged, source)
        return ingest_message_file(
            file, source=source, opts=opts, context=context, extra=extra, limits=limits
        )


def ingest_message_file(
    file: LocalFile,
    *,
    source: str,
    opts: IngestOptions,
    context: AgentContext,
    extra: dict[str, Any] | None = None,
    limits: MailLimits | None = None,
    depth: int = 0,
) -> MessageResult:
    """Parse the message in ``file`` in the sandbox and store its body and attachments;
    :class:`IngestError` when it is no message at all, over a limit, or breaks the parser."""
    limits = limits or mail_limits(context)
    if file.size > limits.max_message_bytes:
        raise LimitExceeded(
            source,
            f"the message is {file.size:,} bytes, over the {limits.max_message_bytes:,}-byte "
            "limit ([bluelabel] email_max_message_bytes)",
            setting="email_max_message_bytes",
        )
    with context.store.staging_file() as staged:
        folder = staged.with_suffix(".parts")
        folder.mkdir()
        try:
            parsed = parse_in_sandbox(
                file,
                folder,
                limits,
                source=source,
                memory_mb=context.settings.ingest_memory_mb,
                timeout=context.settings.ingest_timeout,
            )
            return _store_message(parsed, file.size, source, opts, context, extra, depth)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _store_message(
    parsed: ParsedMessage,
    size: int,
    source: str,
    opts: IngestOptions,
    context: AgentContext,
    extra: dict[str, Any] | None,
    depth: int,
) -> MessageResult:
    link = {**parsed.metadata(), **(extra or {})}
    for problem in parsed.problems:
        context.log.warning("%s: %s", source, problem)
    entries: list[AttachmentEntry] = []
    ids: list[str] = []
    old: list[str] = []
    attachment_opts = opts.model_copy(update={"title": None})
    for attachment in parsed.attachments:
        name = _attachment_name(attachment)
        entry = AttachmentEntry(attachment.part, attachment.filename, attachment.content_type)
        entries.append(entry)
        if attachment.path is None:
            entry.skipped = attachment.skipped
            context.log.info("%s: attachment %s not ingested: %s", source, name, entry.skipped)
            continue
        where = f"{source} / {name}"
        try:
            stored = _ingest_attachment(
                attachment, where, attachment_opts, context, link, name, depth
            )
        except BluelabelError as exc:
            if not exc.permanent:
                raise  # the message is read again next time
            entry.skipped = f"cannot be ingested: {getattr(exc, 'reason', str(exc))}"
            parsed.problems.append(f"part {attachment.part} ({name}): {entry.skipped}")
            context.log.warning("%s: %s", where, entry.skipped)
            continue
        entry.content_id = stored.content_id
        entry.deduplicated = stored.deduplicated
        for content_id in stored.content_ids:
            ids.append(content_id)
        old.extend(stored.deduplicated_ids)
    body: IngestResult | None = None
    title = opts.title or parsed.subject or parsed.html_title
    if parsed.body.strip():
        metadata = {
            **link,
            "body_type": parsed.body_type,
            "title_from": "option" if opts.title else "document" if title else "first line",
            "attachments": [
                {"filename": e.filename, "content_id": e.content_id}
                for e in entries
                if e.content_id
            ],
        }
        if parsed.problems:
            metadata["problems"] = parsed.problems
        record = DocumentRecord(
            content_id=body_content_id(parsed),
            content_type="email",
            source=source,
            title=title,
            content_length=len(parsed.body),
            ingested_at=datetime.now(timezone.utc).isoformat(),
            metadata=metadata,
            tags=list(opts.tags),
            text_layer=True,
            source_bytes=size,
            warnings=list(parsed.problems),
        )
        body = store_document(record, parsed.body, context)
        ids.insert(0, body.content_id)
        if body.deduplicated:
            old.insert(0, body.content_id)
    warnings = list(parsed.problems)
    if body is None:
        warnings.append("the message has no body text")
    return MessageResult(
        source=source,
        content_id=body.content_id if body else None,
        title=(body.title if body else None) or parsed.subject,
        content_length=body.content_length if body else 0,
        ingested_at=body.ingested_at if body else datetime.now(timezone.utc).isoformat(),
        store=context.store.location,
        metadata={**link, "body_type": parsed.body_type},
        attachments=entries,
        content_ids=list(dict.fromkeys(ids)),
        deduplicated_ids=list(dict.fromkeys(old)),
        problems=parsed.problems,
        warnings=warnings,
        deduplicated=bool(body and body.deduplicated),
        source_bytes=size,
    )


@dataclasses.dataclass
class _Stored:
    content_id: str
    deduplicated: bool
    content_ids: list[str]
    deduplicated_ids: list[str]


def _ingest_attachment(
    attachment: Attachment,
    where: str,
    opts: IngestOptions,
    context: AgentContext,
    link: dict[str, Any],
    name: str,
    depth: int,
) -> _Stored:
    assert attachment.path is not None and attachment.kind is not None
    file = check_regular_file(Path(attachment.path), where)
    extra = {**link, "attachment": name, "mime_part": attachment.part}
    if attachment.kind == "email":
        if depth >= MAX_NESTED_MESSAGES:
            raise _nested_too_deep(where)
        inner = ingest_message_file(
            file,
            source=where,
            opts=opts,
            context=context,
            extra={"attached_to": link.get("message_id")},
            depth=depth + 1,
        )
        if inner.content_id is None and not inner.content_ids:
            raise _no_text(where)
        first = inner.content_id or inner.content_ids[0]
        return _Stored(first, inner.deduplicated, inner.content_ids, inner.deduplicated_ids)
    stem = Path(name).stem
    with context.store.staging_file() as staged:
        if attachment.kind == "text":  # stored as UTF-8 whatever charset it was sent in
            text, why = decode_text(file.path.read_bytes(), attachment.charset)
            if text is None:
                raise IngestError(where, why or "not text")
            staged.write_text(text, encoding="utf-8", errors="surrogatepass")
            file = check_regular_file(staged, where)
        result: IngestResult
        if attachment.kind == "pdf":
            result = ingest_pdf(file, where, opts, context, extra=extra, stem=stem)
        elif attachment.kind == "html":
            result = ingest_html_file(
                file, where, opts, context, extra=extra, charset=attachment.charset, stem=stem
            )
        elif attachment.kind == "docx":
            result = ingest_docx_file(file, where, opts, context, extra=extra, stem=stem)
        else:
            result = ingest_text_file(file, where, opts, context, extra=extra, stem=stem)
    dedup = [result.content_id] if result.deduplicated else []
    return _Stored(result.content_id, result.deduplicated, [result.content_id], dedup)


def _nested_too_deep(where: str) -> BluelabelError:
    return IngestError(where, f"messages attached more than {MAX_NESTED_MESSAGES} deep")


def _no_text(where: str) -> BluelabelError:
    return IngestError(where, "the attached message holds nothing to store")
