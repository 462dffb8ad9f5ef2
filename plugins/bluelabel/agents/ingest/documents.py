"""Records and results: the one way a source's text becomes a stored document."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bluelabel.agents.ingest.options import IngestOptions
from bluelabel.agents.inputs import AgentContext
from bluelabel.agents.results import IngestResult
from bluelabel.store import DocumentRecord, KnowledgeStore


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def first_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:120]
    return None


#: Where a record's title came from; a digest prefers the summariser's title (the first
#: heading) over a fallback (a file name, a first line).
FALLBACK_TITLES = frozenset({"file name", "first line"})


def text_record(
    content_id: str,
    kind: str,
    source: str,
    length: int,
    opts: IngestOptions,
    extra: dict[str, Any],
    title: str | None,
    title_from: str,
) -> DocumentRecord:
    """The record of a text-like document (text, a web page): the step's title wins."""
    return DocumentRecord(
        content_id=content_id,
        content_type=kind,
        source=source,
        title=opts.title or title,
        content_length=length,
        ingested_at=now(),
        metadata={**extra, "title_from": "option" if opts.title else title_from},
        tags=list(opts.tags),
        text_layer=True,
    )


def store_document(record: DocumentRecord, text: Path | str, context: AgentContext) -> IngestResult:
    """Put ``record`` with ``text`` (a staged file, consumed, or a string) in the store."""
    store = context.store
    deduplicated = store.has(record.content_id)
    stored = store.put(record, text)
    return ingest_result(stored, store, context, deduplicated=deduplicated)


def ingest_result(
    record: DocumentRecord, store: KnowledgeStore, context: AgentContext, *, deduplicated: bool
) -> IngestResult:
    """The task's result for a stored document (noting the task try that ingested it)."""
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
