"""Records and results: the one way a source's text becomes a stored document."""

from __future__ import annotations

from collections.abc import Sequence
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


#: Where a record's title came from when the document named itself nowhere: a file name or
#: the first line of inline text (the summariser is not told these as the title).
FALLBACK_TITLES = frozenset({"file name", "first line"})


def choose_title(
    opts: IngestOptions,
    own: str | None,
    opening: str,
    fallback: str | None,
    fallback_from: str = "file name",
    outline: Sequence[Any] = (),
) -> tuple[str | None, str]:
    """A document's one title, chosen once at ingest, and where it came from ("option",
    "document", "heading", ``fallback_from``): the step's ``title`` option; else the
    document's ``own`` title (PDF or Word metadata, an HTML title) unless it is a placeholder
    ("untitled", a file name); else the first heading of its text (``opening``: its first
    ``TITLE_HEAD_CHARS`` characters; ``outline``: a PDF's ``[level, title, page]`` bookmarks);
    else ``fallback``. The list, search, the document page, digests and the CLI all show it."""
    if opts.title:
        return opts.title, "option"
    # imported here: the text model is for ingesting, not for importing this module
    from bluelabel.agents.summarize.structure import heading_title, outline_of, usable_title

    title = usable_title(own)
    if title:
        return title, "document"
    heading = heading_title(opening, outline_of(outline))
    if heading:
        return heading, "heading"
    return fallback, fallback_from


def opening_of(path: Path) -> str:
    """The opening of a staged text file that :func:`choose_title` reads (its first
    ``TITLE_HEAD_CHARS`` characters)."""
    from bluelabel.agents.summarize.structure import TITLE_HEAD_CHARS

    with path.open(encoding="utf-8", errors="replace") as handle:
        return handle.read(TITLE_HEAD_CHARS)


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
    """The record of a text-like document (text, a web page); ``title`` and ``title_from``
    as :func:`choose_title` gives them."""
    return DocumentRecord(
        content_id=content_id,
        content_type=kind,
        source=source,
        title=title,
        content_length=length,
        ingested_at=now(),
        metadata={**extra, "title_from": title_from},
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
