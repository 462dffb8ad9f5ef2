"""The ingestion agent: PDF files, URLs, text files and inline text into the knowledge store.

Every source is untrusted: local paths are resolved and kept inside the allowed roots
(:mod:`~bluelabel.agents.files`), PDFs are extracted by supervised workers under a memory
bound and a deadline (:mod:`~bluelabel.agents.pdf`), text is streamed under its byte limit
(:mod:`~bluelabel.agents.text`), URLs are fetched by :mod:`~bluelabel.agents.web`. Limits
come from the step's options, capped by the ``[bluelabel]`` settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, Literal

from bluelabel.agents.files import (
    LocalFile,
    binary_kind,
    check_regular_file,
    content_id_of_file,
    content_id_of_text,
    local_file,
)
from bluelabel.agents.html_text import html_to_text
from bluelabel.agents.inbox import Inbox, check_inbox_allowed
from bluelabel.agents.models import AgentContext, AgentInput, TaskType
from bluelabel.agents.options import option
from bluelabel.agents.pdf import ExtractionLimits, PdfExtraction, check_pdf_file, extract_pdf_text
from bluelabel.agents.results import InboxFileResult, IngestResult, UrlListResult
from bluelabel.agents.text import check_text_size, stage_text_stream
from bluelabel.agents.web import FetchPolicy, decode_body, fetch_url, is_text_type, looks_like_pdf
from bluelabel.errors import AgentInputError, BluelabelError, IngestError, NoLongerInInbox
from bluelabel.store import DocumentRecord, KnowledgeStore

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ".rst"})
MAX_URLS_PER_FILE = 100
#: URL responses that may be HTML pages (reduced to their main text).
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class IngestOptions:
    """Options of the ingestion agent (step ``config``)."""

    password: str | None = option(None, "Password of an encrypted PDF.", per_run=True, secret=True)
    title: str | None = option(None, "Title to record instead of the document's own.", per_run=True)
    tags: list[str] = option([], "Tags to record with the document.", per_run=True)
    pdf_backend: Literal["pdfium", "pypdf"] | None = option(
        None, "PDF text extractor; default [bluelabel] pdf_backend."
    )
    workers: int | None = option(
        None,
        "Processes that extract one large PDF; default [bluelabel] ingest_workers.",
        minimum=1,
        ceiling="workers",
    )
    max_pages: int | None = option(
        None, "Refuse PDFs with more pages.", minimum=1, ceiling="max_pages"
    )
    max_bytes: int | None = option(
        None,
        "Refuse larger documents (bytes); at most [bluelabel] max_pdf_bytes, max_text_bytes or "
        "max_url_bytes for the kind of source.",
        minimum=1,
    )
    timeout: float | None = option(
        None,
        "URLs: seconds to wait for the server at any one moment.",
        minimum=0.1,
        ceiling="url_timeout",
    )
    total_timeout: float | None = option(
        None, "URLs: seconds for the whole fetch.", minimum=0.1, ceiling="url_total_timeout"
    )
    max_redirects: int | None = option(
        None, "URLs: redirects to follow.", minimum=0, ceiling="max_redirects"
    )


def _byte_limit(opts: IngestOptions, ceiling: int, setting: str, source: str) -> int:
    if opts.max_bytes is None:
        return ceiling
    if opts.max_bytes > ceiling:
        raise AgentInputError(
            f"{source}: max_bytes = {opts.max_bytes:,} is above this deployment's limit "
            f"{ceiling:,} ([bluelabel] {setting})"
        )
    return opts.max_bytes


def _task_type(request: AgentInput) -> TaskType:
    if request.task_type:
        return request.task_type
    content = request.content
    if "url" in content:
        return "url"
    if "text" in content:
        return "text"
    if "file_path" in content:
        return "text" if Path(str(content["file_path"])).suffix.lower() in TEXT_SUFFIXES else "pdf"
    raise AgentInputError(
        "ingestion input needs content.file_path, content.url or content.text "
        f"(got keys: {', '.join(sorted(content)) or 'none'})"
    )


def _require_str(request: AgentInput, key: str) -> str:
    value = request.content.get(key)
    if not isinstance(value, str) or not value.strip():
        raise AgentInputError(f"ingestion input: content.{key} must be a non-empty string")
    return value.strip()


class IngestionAgent:
    """Ingest a PDF or text file (``content.file_path``), a URL (``content.url``) or text
    (``content.text``); one file of the batch inbox (``context.inbox_file``). The result is
    small: ids and metadata, never the text."""

    name = "ingestion_agent"
    options: ClassVar[type[IngestOptions]] = IngestOptions

    def run(
        self, request: AgentInput, context: AgentContext
    ) -> IngestResult | InboxFileResult | UrlListResult:
        opts = request.options(IngestOptions, settings=context.settings)
        if "inbox_file" in request.context:
            return self._ingest_inbox_item(request, opts, context)
        task_type = _task_type(request)
        if task_type == "url":
            return self.ingest_url(_require_str(request, "url"), opts, context)
        if "file_path" in request.content and "text" not in request.content:
            raw = _require_str(request, "file_path")
            file = local_file(raw, base_dir=context.base_dir, roots=context.allowed_roots)
            return self.ingest_file(file, str(file.path), opts, context, task_type=task_type)
        if task_type == "pdf":
            _require_str(request, "file_path")  # raises: a PDF needs a file
        inline = request.content.get("text")
        if not isinstance(inline, str):
            raise AgentInputError("ingestion input: content.text must be a string")
        return self.ingest_text(inline, request.source, opts, context)

    # ------------------------------------------------------------------ files
    def ingest_file(
        self,
        file: LocalFile,
        source: str,
        opts: IngestOptions,
        context: AgentContext,
        *,
        task_type: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> IngestResult:
        """A checked local file: a PDF, or text (by ``task_type``, else by its suffix)."""
        if task_type is None:
            task_type = "text" if file.path.suffix.lower() in TEXT_SUFFIXES else "pdf"
        if task_type == "pdf":
            return self._ingest_pdf(file, source, opts, context, extra=extra)
        limit = _byte_limit(opts, context.settings.max_text_bytes, "max_text_bytes", source)
        store = context.store
        with store.staging_file() as staged, file.open() as handle:
            text = stage_text_stream(handle, staged, max_bytes=limit, source=source)
            if text.first_line is None:  # nothing but white space
                raise IngestError(source, "the text is empty")
            record = self._text_record(
                text.content_id, "text", source, text.chars, opts, {}, file.path.stem
            )
            return self._put(record, staged, store, context)

    def ingest_text(
        self, text: str, source: str, opts: IngestOptions, context: AgentContext
    ) -> IngestResult:
        """Inline text (the trigger form, a template, stdin read by the CLI)."""
        check_text_size(text, max_bytes=context.settings.max_text_bytes, source=source)
        if not text.strip():
            raise IngestError(source, "the text is empty")
        record = self._text_record(
            content_id_of_text(text), "text", source, len(text), opts, {}, _first_line(text)
        )
        return self._put(record, text, context.store, context)

    # ------------------------------------------------------------------ pdf
    def _ingest_pdf(
        self,
        file: LocalFile,
        source: str,
        opts: IngestOptions,
        context: AgentContext,
        *,
        extra: dict[str, Any] | None = None,
    ) -> IngestResult:
        settings, store = context.settings, context.store
        limit = _byte_limit(opts, settings.max_pdf_bytes, "max_pdf_bytes", source)
        check_pdf_file(file, source=source, max_bytes=limit)
        content_id = content_id_of_file(file, "pdf")
        existing = store.get(content_id)
        if existing is not None and not existing.metadata.get("encrypted"):
            # The same bytes: no password to check, nothing to extract.
            context.log.info("%s: already stored as %s", source, content_id)
            return self._note(existing, store, context, deduplicated=True)

        def progress(done: int, total: int) -> None:
            context.progress("pages", done, total)
            context.log.info("%s: %d/%d pages", source, done, total)

        limits = ExtractionLimits(
            memory_mb=settings.ingest_memory_mb,
            timeout=settings.ingest_timeout,
            max_pages=opts.max_pages or settings.max_pages,
        )
        with store.staging_file() as staged:
            extraction = extract_pdf_text(
                file,
                staged,
                source=source,
                password=opts.password,
                backend=opts.pdf_backend or settings.pdf_backend,  # type: ignore[arg-type]
                workers=opts.workers or settings.workers,
                limits=limits,
                progress=progress,
                # an encrypted document already stored: the open checked the password
                opened=lambda _: existing is None,
            )
            if extraction is None:
                assert existing is not None
                return self._note(existing, store, context, deduplicated=True)
            warnings = pdf_warnings(extraction)
            for warning in warnings:
                context.log.warning("%s: %s", source, warning)
            if extraction.repaired:
                context.log.warning("%s: PDFium could not open the file; pypdf repaired it", source)
            metadata = dict(extraction.metadata)
            record = DocumentRecord(
                content_id=content_id,
                content_type="pdf",
                source=source,
                title=opts.title or metadata.get("title") or file.path.stem,
                content_length=_text_length(staged),
                ingested_at=_now(),
                metadata={
                    **metadata,
                    "page_count": extraction.page_count,
                    "pdf_backend": extraction.backend,
                    "encrypted": extraction.encrypted,
                    **(extra or {}),
                },
                tags=list(opts.tags),
                text_layer=extraction.text_layer,
                page_count=extraction.page_count,
                source_bytes=file.size,
                warnings=warnings,
                outline=extraction.outline,
            )
            return self._put(record, staged, store, context)

    # ------------------------------------------------------------------ url
    def ingest_url(self, url: str, opts: IngestOptions, context: AgentContext) -> IngestResult:
        settings = context.settings
        policy = FetchPolicy(
            timeout=opts.timeout or settings.url_timeout,
            total_timeout=opts.total_timeout or settings.url_total_timeout,
            max_bytes=_byte_limit(opts, settings.max_url_bytes, "max_url_bytes", url),
            max_redirects=(
                settings.max_redirects if opts.max_redirects is None else opts.max_redirects
            ),
            allow_private=context.allow_private_urls,
        )
        store = context.store
        with store.staging_file() as body:
            with body.open("wb") as sink:
                fetched = fetch_url(url, sink, policy)
            extra: dict[str, Any] = {
                "url": fetched.url,
                "http_status": fetched.status,
                "mime_type": fetched.content_type,
            }
            if fetched.redirects:
                extra["redirects"] = fetched.redirects
            if looks_like_pdf(body, fetched.content_type):
                return self.ingest_file(
                    check_regular_file(body, url), url, opts, context, task_type="pdf", extra=extra
                )
            with body.open("rb") as handle:
                head = handle.read(8192)
            binary = binary_kind(head)
            if binary is not None or not (
                is_text_type(fetched.content_type)
                or fetched.content_type == "application/octet-stream"
            ):
                what = binary or "not text"
                raise IngestError(
                    url, f"not text: the response is {what} (Content-Type {fetched.content_type})"
                )
            raw = body.read_bytes()
        text = decode_body(raw, fetched.charset)
        title = None
        if fetched.content_type in _HTML_TYPES or "<html" in text[:2048].lower():
            title, text = html_to_text(text)
        if not text.strip():
            raise IngestError(url, f"no readable text in the response ({fetched.content_type})")
        record = self._text_record(
            content_id_of_text(text, "url"), "url", url, len(text), opts, extra, title
        )
        return self._put(record, text, store, context)

    # ------------------------------------------------------------------ batch inbox
    def _ingest_inbox_item(
        self, request: AgentInput, opts: IngestOptions, context: AgentContext
    ) -> InboxFileResult:
        """One inbox file, then filed under ``processed/`` or ``quarantine/`` (with why)."""
        inbox = Inbox(str(request.context["inbox"]))
        name = str(request.context["inbox_file"])
        check_inbox_allowed(inbox, context)
        source = f"{inbox.location}/{name}"
        try:
            with inbox.local_file(name, roots=context.allowed_roots) as file:
                if file.path.suffix.lower() == ".url":
                    result: IngestResult | UrlListResult = self._ingest_url_file(
                        file, source, opts, context
                    )
                else:
                    result = self.ingest_file(file, source, opts, context)
        except NoLongerInInbox:
            raise
        except BluelabelError as exc:
            moved = inbox.quarantine(name, str(exc))
            context.log.error("%s quarantined (%s): %s", name, moved, exc)
            raise
        except Exception as exc:  # a bug or an unexpected library error: still file the input
            reason = f"{type(exc).__name__}: {exc}"
            inbox.quarantine(name, reason)
            raise IngestError(source, f"quarantined: {reason}") from exc
        return InboxFileResult(name, inbox.mark_processed(name), result)

    def _ingest_url_file(
        self, file: LocalFile, source: str, opts: IngestOptions, context: AgentContext
    ) -> UrlListResult:
        """Every URL in a ``.url`` file; any failure fails the file, naming each bad line."""
        with file.open() as handle:
            data = handle.read(MAX_URLS_PER_FILE * 4096 + 1)
        if len(data) > MAX_URLS_PER_FILE * 4096:
            raise IngestError(source, "the .url file is too large for a list of URLs")
        try:
            lines = data.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise IngestError(source, "the .url file is not UTF-8 text") from None
        urls = [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]
        urls = [(n, url) for n, url in urls if not url.startswith("#")]
        if not urls:
            raise IngestError(source, "the .url file lists no URL (one http(s) URL per line)")
        if len(urls) > MAX_URLS_PER_FILE:
            raise IngestError(source, f"more than {MAX_URLS_PER_FILE} URLs in one .url file")
        results: list[IngestResult] = []
        failures: list[tuple[int, BluelabelError]] = []
        for done, (number, url) in enumerate(urls, 1):
            try:
                results.append(self.ingest_url(url, opts, context))
            except BluelabelError as exc:
                failures.append((number, exc))
            context.progress("urls", done, len(urls))
        if failures:
            stored = f"; {len(results)} other URL(s) were stored" if results else ""
            why = "; ".join(f"line {number}: {exc}" for number, exc in failures)
            # Worth a retry only if every failure may pass (timeouts, 5xx).
            permanent = any(exc.permanent for _, exc in failures)
            raise IngestError(source, why + stored, permanent=permanent)
        return UrlListResult(
            source=source,
            content_ids=[r.content_id for r in results],
            deduplicated_ids=[r.content_id for r in results if r.deduplicated],
            titles=[r.title for r in results],
            content_length=sum(r.content_length for r in results),
        )

    # ------------------------------------------------------------------ storing
    @staticmethod
    def _text_record(
        content_id: str,
        kind: str,
        source: str,
        length: int,
        opts: IngestOptions,
        extra: dict[str, Any],
        title: str | None,
    ) -> DocumentRecord:
        return DocumentRecord(
            content_id=content_id,
            content_type=kind,
            source=source,
            title=opts.title or title,
            content_length=length,
            ingested_at=_now(),
            metadata=dict(extra),
            tags=list(opts.tags),
            text_layer=True,
        )

    def _put(
        self, record: DocumentRecord, text: Path | str, store: KnowledgeStore, context: AgentContext
    ) -> IngestResult:
        deduplicated = store.has(record.content_id)
        stored = store.put(record, text)
        return self._note(stored, store, context, deduplicated=deduplicated)

    @staticmethod
    def _note(
        record: DocumentRecord, store: KnowledgeStore, context: AgentContext, *, deduplicated: bool
    ) -> IngestResult:
        if context.run is not None:
            store.note_ingest(record.content_id, context.run)
        return IngestResult(
            content_id=record.content_id,
            content_type=record.content_type,
            title=record.title,
            source=record.source,
            content_length=record.content_length,
            text_layer=record.text_layer,
            ingested_at=record.ingested_at,
            store=store.location,
            metadata=dict(record.metadata),
            page_count=record.page_count,
            source_bytes=record.source_bytes,
            warnings=list(record.warnings),
            deduplicated=deduplicated,
        )


# ---------------------------------------------------------------------- helpers
def _pages(numbers: list[int], limit: int = 50) -> str:
    shown = ", ".join(map(str, numbers[:limit]))
    return shown if len(numbers) <= limit else f"{shown} and {len(numbers) - limit} more"


def pdf_warnings(extraction: PdfExtraction) -> list[str]:
    warnings = []
    total = extraction.page_count
    if extraction.failed_pages:
        warnings.append(
            f"{len(extraction.failed_pages)} of {total} pages could not be read: "
            f"{_pages(extraction.failed_pages)}"
        )
    unreadable = sorted(set(extraction.empty_pages) - set(extraction.failed_pages))
    if extraction.text_layer and unreadable:
        warnings.append(
            f"{len(unreadable)} of {total} pages have no text (damaged, blank or image-only): "
            f"{_pages(unreadable)}"
        )
    if extraction.truncated_pages:
        warnings.append(
            f"{len(extraction.truncated_pages)} page(s) hold more text than any real page and "
            f"were cut: {_pages(extraction.truncated_pages)}"
        )
    if not extraction.text_layer:
        warnings.append(
            "no text layer (scanned or image-only PDF): nothing to summarise; OCR it first"
        )
    return warnings


def _text_length(path: Path) -> int:
    length = 0
    with path.open(encoding="utf-8") as handle:
        while block := handle.read(1 << 20):
            length += len(block)
    return length


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:120]
    return None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


__all__ = ["TEXT_SUFFIXES", "IngestOptions", "IngestionAgent", "content_id_of_file"]
