"""Word documents: deduplicated by their bytes (as PDFs are), their text read in the
supervised worker within the memory bound, the unpacked-size limit and the deadline."""

from __future__ import annotations

from typing import Any

from bluelabel.agents.files import LocalFile, content_id_of_file
from bluelabel.agents.formats import read_document
from bluelabel.agents.formats.docx import extract_docx_text
from bluelabel.agents.ingest.documents import (
    choose_title,
    ingest_result,
    now,
    opening_of,
    store_document,
)
from bluelabel.agents.ingest.options import IngestOptions, byte_limit
from bluelabel.agents.ingest.pdf import text_length
from bluelabel.agents.inputs import AgentContext
from bluelabel.agents.results import IngestResult
from bluelabel.errors import IngestError
from bluelabel.store import DocumentRecord


def ingest_docx_file(
    file: LocalFile,
    source: str,
    opts: IngestOptions,
    context: AgentContext,
    *,
    extra: dict[str, Any] | None = None,
    stem: str | None = None,
) -> IngestResult:
    settings, store = context.settings, context.store
    limit = byte_limit(opts, settings.max_document_bytes, "max_document_bytes", source)
    if file.size > limit:
        read_document(file, limit=limit, source=source, setting="max_document_bytes")
    content_id = content_id_of_file(file, "docx")
    existing = store.get(content_id)
    if existing is not None:
        context.log.info("%s: already stored as %s", source, content_id)
        return ingest_result(existing, store, context, deduplicated=True)
    with store.staging_file() as staged:
        extraction = extract_docx_text(
            file,
            staged,
            source=source,
            max_unpacked=settings.max_unpacked_bytes,
            memory_mb=settings.ingest_memory_mb,
            timeout=settings.ingest_timeout,
        )
        if extraction.chars == 0:
            raise IngestError(source, "the Word document holds no text")
        title, title_from = choose_title(
            opts, extraction.title, opening_of(staged), stem or file.path.stem
        )
        record = DocumentRecord(
            content_id=content_id,
            content_type="docx",
            source=source,
            title=title,
            content_length=text_length(staged),
            ingested_at=now(),
            metadata={
                **(extra or {}),
                "title_from": title_from,
            },
            tags=list(opts.tags),
            source_bytes=file.size,
        )
        return store_document(record, staged, context)
