"""PDF files: checked, deduplicated (an encrypted one only once its password is checked),
extracted by the supervised workers, stored with their metadata and outline."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bluelabel.agents.files import LocalFile, content_id_of_file
from bluelabel.agents.ingest.documents import (
    choose_title,
    ingest_result,
    now,
    opening_of,
    store_document,
)
from bluelabel.agents.ingest.options import IngestOptions, byte_limit
from bluelabel.agents.inputs import AgentContext
from bluelabel.agents.pdf import (
    ExtractionLimits,
    OcrConfig,
    PdfExtraction,
    check_pdf_file,
    extract_pdf_text,
)
from bluelabel.agents.results import IngestResult
from bluelabel.store import DocumentRecord

#: The task log gets a progress line at most every this share of the pages, or this often.
LOG_EVERY_SHARE = 0.1
LOG_EVERY_SECONDS = 10.0


def page_log(
    log: Any, source: str, clock: Callable[[], float] = time.monotonic
) -> Callable[[int, int], None]:
    """``(done, total)`` -> a "SOURCE: done/total pages" line in the task log, at most every
    10 % of the pages or 10 s, and at the end (the live view has every value; a log of a
    2,560-page PDF had 480 such lines)."""
    last = {"done": 0, "at": clock()}

    def log_pages(done: int, total: int) -> None:
        at = clock()
        due = done - last["done"] >= LOG_EVERY_SHARE * total or at - last["at"] >= LOG_EVERY_SECONDS
        if done >= total or due:
            log.info("%s: %d/%d pages", source, done, total)
            last.update(done=done, at=at)

    return log_pages


def ingest_pdf(
    file: LocalFile,
    source: str,
    opts: IngestOptions,
    context: AgentContext,
    *,
    extra: dict[str, Any] | None = None,
    stem: str | None = None,
) -> IngestResult:
    """``stem``: the title when the PDF has none (default: the file's name)."""
    settings, store = context.settings, context.store
    limit = byte_limit(opts, settings.max_pdf_bytes, "max_pdf_bytes", source)
    check_pdf_file(file, source=source, max_bytes=limit)
    content_id = content_id_of_file(file, "pdf")
    existing = store.get(content_id)
    if existing is not None and not existing.metadata.get("encrypted"):
        # The same bytes: no password to check, nothing to extract.
        context.log.info("%s: already stored as %s", source, content_id)
        return ingest_result(existing, store, context, deduplicated=True)

    log_pages = page_log(context.log, source)

    def progress(done: int, total: int) -> None:
        context.progress("pages", done, total)
        log_pages(done, total)

    limits = ExtractionLimits(
        memory_mb=settings.ingest_memory_mb,
        timeout=settings.ingest_timeout,
        max_pages=opts.max_pages or settings.max_pages,
    )
    ocr = ocr_config(context)
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
            ocr=ocr,
        )
        if extraction is None:
            assert existing is not None
            return ingest_result(existing, store, context, deduplicated=True)
        warnings = pdf_warnings(extraction)
        for warning in warnings:
            context.log.warning("%s: %s", source, warning)
        if extraction.repaired:
            context.log.warning("%s: PDFium could not open the file; pypdf repaired it", source)
        metadata = dict(extraction.metadata)
        title, title_from = choose_title(
            opts,
            metadata.get("title"),
            opening_of(staged),
            stem or file.path.stem,
            outline=extraction.outline,
        )
        record = DocumentRecord(
            content_id=content_id,
            content_type="pdf",
            source=source,
            title=title,
            content_length=text_length(staged),
            ingested_at=now(),
            metadata={
                **metadata,
                "page_count": extraction.page_count,
                "pdf_backend": extraction.backend,
                "encrypted": extraction.encrypted,
                "title_from": title_from,
                **_ocr_metadata(extraction, ocr),
                **(extra or {}),
            },
            tags=list(opts.tags),
            text_layer=extraction.text_layer,
            page_count=extraction.page_count,
            source_bytes=file.size,
            warnings=warnings,
            outline=extraction.outline,
        )
        return store_document(record, staged, context)


def _ocr_metadata(extraction: PdfExtraction, ocr: OcrConfig | None) -> dict[str, Any]:
    """Which pages were OCR'd, and how (the record says where its text came from)."""
    if ocr is None or not extraction.ocr_pages:
        return {}
    return {
        "ocr_pages": extraction.ocr_pages,
        "ocr": {"engine": extraction.ocr_engine, "languages": ocr.languages, "dpi": ocr.dpi},
    }


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
    if extraction.ocr_failed:
        shown = "; ".join(f"page {page}: {why}" for page, why in extraction.ocr_failed[:10])
        warnings.append(f"OCR gave no text for {len(extraction.ocr_failed)} page(s): {shown}")
    if not extraction.text_layer and extraction.ocr_pages:
        warnings.append(
            f"no text layer (scanned or image-only PDF): {len(extraction.ocr_pages)} of {total} "
            f"pages read by OCR: {_pages(extraction.ocr_pages)}"
        )
    elif not extraction.text_layer:
        why = (
            f"OCR is unavailable: {extraction.ocr_unavailable}"
            if extraction.ocr_unavailable
            else "OCR found no text either"
            if extraction.ocr_attempted
            else "OCR it first"
        )
        warnings.append(f"no text layer (scanned or image-only PDF): nothing to summarise; {why}")
    elif extraction.ocr_unavailable and unreadable:
        warnings.append(f"pages without text were not OCR'd: {extraction.ocr_unavailable}")
    return warnings


def ocr_config(context: AgentContext) -> OcrConfig | None:
    """OCR as the settings ask for it (none when ``ocr_languages`` is empty)."""
    settings = context.settings
    if not settings.ocr_languages.strip():
        return None
    return OcrConfig(
        languages=settings.ocr_languages.strip(),
        tessdata=settings.ocr_tessdata,
        dpi=settings.ocr_dpi,
        page_timeout=settings.ocr_page_timeout,
    )


def text_length(path: Path) -> int:
    length = 0
    with path.open(encoding="utf-8") as handle:
        while block := handle.read(1 << 20):
            length += len(block)
    return length
