"""The ingestion agent: PDF files, URLs and inline text into the knowledge store."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bluelabel.agents.html_text import html_to_text
from bluelabel.agents.models import AgentContext, AgentInput, TaskType
from bluelabel.agents.pdf import PdfExtraction, check_pdf_file, extract_pdf_text
from bluelabel.agents.web import FetchPolicy, fetch_url, looks_like_pdf
from bluelabel.errors import AgentInputError, IngestError
from bluelabel.store import DocumentRecord, KnowledgeStore

DEFAULT_MAX_PDF_BYTES = 500_000_000
DEFAULT_MAX_PAGES = 20_000
DEFAULT_MAX_TEXT_BYTES = 100_000_000
_HASH_BLOCK = 1 << 20
#: Titles that PDF generators write when the author gave none.
PLACEHOLDER_TITLES = {
    "",
    "untitled",
    "(anonymous)",
    "anonymous",
    "(unspecified)",
    "unspecified",
    "title",
    "document",
    "microsoft word",
}
_TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text", ".rst"}


def content_id_of_file(path: Path, kind: str) -> str:
    digest = hashlib.sha256(kind.encode() + b"\0")
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()[:32]


def content_id_of_text(text: str, kind: str = "text") -> str:
    return hashlib.sha256(kind.encode() + b"\0" + text.encode("utf-8")).hexdigest()[:32]


def resolve_local_path(raw: str, context: AgentContext) -> Path:
    """Resolve ``raw`` against ``context.base_dir``; refuse paths outside the allowed roots."""
    path = Path(os.path.expanduser(raw))
    if not path.is_absolute() and context.base_dir is not None:
        path = context.base_dir / path
    resolved = path.resolve()
    if context.allowed_roots is not None and not any(
        resolved.is_relative_to(Path(root).resolve()) for root in context.allowed_roots
    ):
        roots = ", ".join(str(r) for r in context.allowed_roots)
        raise IngestError(raw, f"path is outside the allowed roots ({roots})")
    return resolved


def _infer_task_type(request: AgentInput) -> TaskType:
    if request.task_type:
        return request.task_type
    content = request.content
    if "url" in content:
        return "url"
    if "text" in content:
        return "text"
    if "file_path" in content:
        suffix = Path(str(content["file_path"])).suffix.lower()
        return "text" if suffix in _TEXT_SUFFIXES else "pdf"
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
    """Ingest a PDF (``content.file_path``), a URL (``content.url``) or text (``content.text``).

    Options (step ``config`` over ``content`` over ``metadata``): ``password``,
    ``pdf_backend`` (pdfium|pypdf), ``max_pages``, ``max_bytes``, ``workers``, ``tags``,
    ``title``. The result is small: ids and metadata, never the text.
    """

    name = "ingestion_agent"

    def run(self, request: AgentInput, context: AgentContext) -> dict[str, Any]:
        if "inbox_file" in request.context:  # one file of the batch workflow's inbox
            from bluelabel.agents.inbox import ingest_inbox_item

            return ingest_inbox_item(self, request, context)
        task_type = _infer_task_type(request)
        if task_type == "url":
            return self.ingest_url(_require_str(request, "url"), request, context)
        if "file_path" in request.content and "text" not in request.content:
            path = resolve_local_path(_require_str(request, "file_path"), context)
            return self.ingest_file(path, str(path), request, context, task_type=task_type)
        if task_type == "pdf":
            _require_str(request, "file_path")  # raises: a PDF needs a file
        inline = request.content.get("text")
        if not isinstance(inline, str):
            raise AgentInputError("ingestion input: content.text must be a string")
        return self._ingest_text(inline, request.source, request, context)

    def ingest_file(
        self,
        path: Path,
        source: str,
        request: AgentInput,
        context: AgentContext,
        *,
        task_type: str | None = None,
    ) -> dict[str, Any]:
        """A local PDF or text file (by ``task_type``, else by its suffix)."""
        if task_type is None:
            task_type = "text" if path.suffix.lower() in _TEXT_SUFFIXES else "pdf"
        if task_type == "pdf":
            return self._ingest_pdf_file(path, source, request, context)
        try:
            size = path.stat().st_size
            limit = int(request.option("max_bytes", DEFAULT_MAX_TEXT_BYTES))
            if size > limit:
                raise IngestError(source, f"text file is {size} bytes, over the {limit}-byte limit")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise IngestError(source, f"cannot read text file: {exc}") from None
        return self._ingest_text(text, source, request, context, title=path.stem)

    def ingest_url(self, url: str, request: AgentInput, context: AgentContext) -> dict[str, Any]:
        return self._ingest_url(url, request, context)

    # ------------------------------------------------------------------ pdf
    def _ingest_pdf_file(
        self,
        path: Path,
        source: str,
        request: AgentInput,
        context: AgentContext,
        *,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        store = context.store
        size = check_pdf_file(
            path, max_bytes=int(request.option("max_bytes", DEFAULT_MAX_PDF_BYTES))
        )
        content_id = content_id_of_file(path, "pdf")
        existing = store.get(content_id)
        if existing is not None:
            context.log.info("%s: already stored as %s", source, content_id)
            return _result(existing, store, deduplicated=True)

        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            context.log.info(
                "%s: %d/%d pages (%.1f s)",
                source,
                min(done, total),
                total,
                time.perf_counter() - started,
            )

        with store.staging_file() as staged:
            extraction = extract_pdf_text(
                path,
                staged,
                password=_optional_str(request.option("password")),
                backend=request.option("pdf_backend"),
                workers=_optional_int(request.option("workers")),
                max_pages=int(request.option("max_pages", DEFAULT_MAX_PAGES)),
                progress=progress,
            )
            warnings = _pdf_warnings(extraction)
            for warning in warnings:
                context.log.warning("%s: %s", source, warning)
            metadata = dict(extraction.metadata)
            if str(metadata.get("title", "")).strip().lower() in PLACEHOLDER_TITLES:
                metadata.pop("title", None)  # "(anonymous)" & co: generator defaults, not titles
            title = request.option("title") or metadata.get("title") or path.stem
            record = DocumentRecord(
                content_id=content_id,
                content_type="pdf",
                source=source,
                title=title,
                content_length=_text_length(staged),
                ingested_at=_now(),
                metadata={
                    **metadata,
                    "page_count": extraction.page_count,
                    "pdf_backend": extraction.backend,
                    "encrypted": extraction.encrypted,
                    **(extra or {}),
                },
                tags=_tags(request),
                text_layer=extraction.text_layer,
                page_count=extraction.page_count,
                source_bytes=size,
                warnings=warnings,
            )
            stored = store.put(record, staged)
        return _result(stored, store)

    # ------------------------------------------------------------------ url
    def _ingest_url(self, url: str, request: AgentInput, context: AgentContext) -> dict[str, Any]:
        policy = FetchPolicy(
            timeout=float(request.option("timeout", 20.0)),
            total_timeout=float(request.option("total_timeout", 60.0)),
            max_bytes=int(request.option("max_bytes", FetchPolicy.max_bytes)),
            max_redirects=int(request.option("max_redirects", FetchPolicy.max_redirects)),
            allow_private=context.allow_private_urls,
        )
        with context.store.staging_file() as body:
            with body.open("wb") as sink:
                fetched = fetch_url(url, sink, policy)
            extra = {
                "url": fetched.url,
                "http_status": fetched.status,
                "mime_type": fetched.content_type,
            }
            if fetched.redirects:
                extra["redirects"] = fetched.redirects
            if looks_like_pdf(body, fetched.content_type):
                pdf_path = body.with_suffix(".pdf")
                body.rename(pdf_path)
                try:
                    result = self._ingest_pdf_file(pdf_path, url, request, context, extra=extra)
                finally:
                    pdf_path.unlink(missing_ok=True)
                return result
            raw = body.read_bytes()
        text = raw.decode(fetched.charset or "utf-8", errors="replace")
        if (
            fetched.content_type in ("text/html", "application/xhtml+xml")
            or "<html" in text[:2048].lower()
        ):
            title, text = html_to_text(text)
        else:
            title = None
        if not text.strip():
            raise IngestError(url, f"no readable text in the response ({fetched.content_type})")
        return self._ingest_text(text, url, request, context, title=title, kind="url", extra=extra)

    # ------------------------------------------------------------------ text
    def _ingest_text(
        self,
        text: str,
        source: str,
        request: AgentInput,
        context: AgentContext,
        *,
        title: str | None = None,
        kind: str = "text",
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if not text.strip():
            raise IngestError(source, "the text is empty")
        content_id = content_id_of_text(text, kind)
        metadata = {**dict(request.metadata), **(extra or {})}
        chosen_title = (
            request.option("title") or metadata.get("title") or title or _first_line(text)
        )
        record = DocumentRecord(
            content_id=content_id,
            content_type=kind,
            source=source,
            title=chosen_title,
            content_length=len(text),
            ingested_at=_now(),
            metadata=metadata,
            tags=_tags(request),
            text_layer=True,
        )
        deduplicated = context.store.has(content_id)
        stored = context.store.put(record, text)
        return _result(stored, context.store, deduplicated=deduplicated)


# ---------------------------------------------------------------------- helpers
def _result(
    record: DocumentRecord, store: KnowledgeStore, *, deduplicated: bool = False
) -> dict[str, Any]:
    metadata = {"title": record.title, "source": record.source, **record.metadata}
    return {
        "content_id": record.content_id,
        "content_type": record.content_type,
        "metadata": metadata,
        "content_length": record.content_length,
        "text_layer": record.text_layer,
        "title": record.title,
        "source": record.source,
        "page_count": record.page_count,
        "source_bytes": record.source_bytes,
        "warnings": record.warnings,
        "deduplicated": deduplicated,
        "store": store.location,
        "ingested_at": record.ingested_at,
    }


def _pdf_warnings(extraction: PdfExtraction) -> list[str]:
    warnings = []
    if extraction.failed_pages:
        pages = ", ".join(map(str, extraction.failed_pages[:50]))
        more = (
            ""
            if len(extraction.failed_pages) <= 50
            else f" and {len(extraction.failed_pages) - 50} more"
        )
        warnings.append(
            f"{len(extraction.failed_pages)} of {extraction.page_count} pages could "
            f"not be read: {pages}{more}"
        )
    unreadable = sorted(set(extraction.empty_pages) - set(extraction.failed_pages))
    if extraction.text_layer and unreadable:
        pages = ", ".join(map(str, unreadable[:50]))
        more = "" if len(unreadable) <= 50 else f" and {len(unreadable) - 50} more"
        warnings.append(
            f"{len(unreadable)} of {extraction.page_count} pages have no text "
            f"(damaged, blank or image-only): {pages}{more}"
        )
    if not extraction.text_layer:
        warnings.append(
            "no text layer (scanned or image-only PDF): nothing to summarise; OCR it first"
        )
    return warnings


def _text_length(path: Path) -> int:
    length = 0
    with path.open(encoding="utf-8") as handle:
        while block := handle.read(_HASH_BLOCK):
            length += len(block)
    return length


def _tags(request: AgentInput) -> list[str]:
    tags = request.option("tags", [])
    if isinstance(tags, str):
        return [tags]
    if isinstance(tags, Sequence):
        return [str(t) for t in tags]
    raise AgentInputError("ingestion input: tags must be a list of strings")


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:120]
    return None


def _optional_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _optional_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()
