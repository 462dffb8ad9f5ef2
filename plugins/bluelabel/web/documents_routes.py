"""``/api/documents`` (search and filters over the knowledge store), one document, its facets.

Answers come from the store's catalog through :mod:`bluelabel.store.search`, the same search
as ``bluelabel search`` and the digests': a document is found the moment its ingest commits,
and no API server lists the store. A user sees the documents ingested by runs of DAGs they
may read; documents ingested outside Airflow (the CLI) only if they may read every DAG.
"""

from __future__ import annotations

import functools
import logging
import os
from datetime import datetime
from typing import Any

import anyio
from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel

from bluelabel.errors import StoreError
from bluelabel.store import DocumentRecord, KnowledgeStore, configured_store
from bluelabel.store.search import facets, search
from bluelabel.timeparse import TimeParseError, parse_time
from bluelabel.web.deps import CachedUserDep, WebsiteAccess, readable_dag_ids, reads_every_dag

log = logging.getLogger(__name__)
router = APIRouter(dependencies=[WebsiteAccess])


def knowledge_store() -> KnowledgeStore:
    """The configured store, one per process (its catalog's connection pool is shared)."""
    return configured_store()


def visible_dags(user: Any) -> frozenset[str] | None:
    """The DAGs whose documents ``user`` sees; ``None``: every document (they read every DAG,
    so the documents ingested outside Airflow too)."""
    return None if reads_every_dag(user) else readable_dag_ids(user)


class Segment(BaseModel):
    text: str
    match: bool


class DocumentItem(BaseModel):
    content_id: str
    title: str
    content_type: str
    source: str
    ingested_at: str
    tags: list[str]
    page_count: int | None
    content_length: int
    summary: str
    snippet: list[Segment]
    score: float


class DocumentList(BaseModel):
    items: list[DocumentItem]
    total: int
    more: bool = False
    """``total`` is a lower bound: more documents match (the PostgreSQL catalog counts a
    broad query's matches up to 2,000)."""
    offset: int
    limit: int
    indexed: int
    """Documents in the catalog (all of the store's, whoever may see them)."""


class Facets(BaseModel):
    types: dict[str, int]
    tags: dict[str, int]


class Ingest(BaseModel):
    """One ingest of a document by a task (the store's provenance)."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1
    at: str | None = None


class DocumentDetail(BaseModel):
    content_id: str
    title: str
    content_type: str
    source: str
    ingested_at: str
    tags: list[str]
    page_count: int | None
    content_length: int
    source_bytes: int | None
    text_layer: bool
    warnings: list[str]
    metadata: dict[str, Any]
    summary: str
    key_points: list[str]
    keywords: list[str]
    ingests: list[Ingest]
    text_preview: str


def _title(record: DocumentRecord) -> str:
    return record.title or record.source


def _time(value: str | None, name: str) -> datetime | None:
    try:
        return parse_time(value, name)
    except TimeParseError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


#: Searches run in worker threads, this many at once, the rest waiting in arrival order: with
#: one thread per request, twenty concurrent searches share the GIL and all finish late;
#: first come, first served keeps the slowest answers near the typical one. Two per core: a
#: search waits on PostgreSQL for most of its time, and one per core left the cores idle
#: (benchmarks/search_api.py at 1,000,000 documents, 20 clients on 2 cores: 85-89 searches/s
#: with 2, 103-109 with 4).
SEARCH_SLOTS = anyio.CapacityLimiter(max(2, min(8, 2 * (os.cpu_count() or 1))))


@router.get("/api/documents", response_model=DocumentList)
async def list_documents(
    user: CachedUserDep,
    q: str | None = Query(None, max_length=500, description="words; all must match"),
    type: str | None = Query(None, max_length=40),
    tag: str | None = Query(None, max_length=200),
    source: str | None = Query(None, max_length=500, description="part of the source"),
    since: str | None = Query(None, description="ISO time or an age such as 7d"),
    until: str | None = Query(None),
    limit: int = Query(25, ge=1, le=100),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> Response:
    """Documents matching the words and filters: by relevance with words, else newest first.

    The page is serialised once, by pydantic's own JSON encoder, in the search's thread: not
    validated again and encoded by FastAPI in the event loop (a millisecond a page)."""
    dag_ids = await anyio.to_thread.run_sync(visible_dags, user)
    query = functools.partial(
        _documents,
        q=q,
        content_type=type,
        tags=[tag] if tag else [],
        dag_ids=dag_ids,
        source=source,
        since=_time(since, "since"),
        until=_time(until, "until"),
        limit=limit,
        offset=offset,
    )
    return await anyio.to_thread.run_sync(query, limiter=SEARCH_SLOTS)


def _documents(*, limit: int, offset: int, **criteria: Any) -> Response:
    try:
        page = search(knowledge_store().catalog, limit=limit, offset=offset, **criteria)
    except StoreError as exc:
        raise HTTPException(500, str(exc)) from None
    items = [
        DocumentItem(
            content_id=h.record.content_id,
            title=_title(h.record),
            content_type=h.record.content_type,
            source=h.record.source,
            ingested_at=h.record.ingested_at,
            tags=h.record.tags,
            page_count=h.record.page_count,
            content_length=h.record.content_length,
            summary=h.summary,
            snippet=[Segment(text=t, match=m) for t, m in h.snippet],
            score=h.score,
        )
        for h in page.hits
    ]
    answer = DocumentList(
        items=items,
        total=page.total,
        more=page.more,
        offset=offset,
        limit=limit,
        indexed=page.indexed,
    )
    return Response(answer.model_dump_json(), media_type="application/json")


@router.get("/api/documents/facets")
def document_facets(user: CachedUserDep) -> Facets:
    """How many documents (of those the user sees) there are of each type and tag (the
    choices of the filters)."""
    return Facets(**facets(knowledge_store().catalog, visible_dags(user)))


#: Characters of the text shown on the document page.
TEXT_PREVIEW_CHARS = 4000


@router.get("/api/documents/{content_id}")
def get_document(content_id: str, user: CachedUserDep) -> DocumentDetail:
    """A stored document: its record, summary and key points, and the runs that ingested it
    (those of DAGs the user may read)."""
    from bluelabel.agents.digest import ExtractiveSummarizer, SummaryOptions, summarize_record
    from bluelabel.agents.pdf.metadata import without_placeholders

    if not content_id.replace("-", "").replace("_", "").isalnum() or len(content_id) > 200:
        raise HTTPException(422, f"not a content id: {content_id[:80]!r}")
    store = knowledge_store()
    dag_ids = visible_dags(user)
    try:
        ingests = store.provenance(content_id)
        record = store.get(content_id)
    except StoreError as exc:
        raise HTTPException(500, str(exc)) from None
    if record is None or (
        dag_ids is not None and not any(i.get("dag_id") in dag_ids for i in ingests)
    ):  # a document one may not see is one that is not there: its id tells nothing
        raise HTTPException(404, f"document {content_id} is not in the knowledge store")
    catalog = store.catalog
    try:
        summary = summarize_record(record, store, SummaryOptions(), ExtractiveSummarizer())
        if summary.get("summary") and summary["summary"] != catalog.summary_of(content_id):
            catalog.set_summary(content_id, summary["summary"])  # the list shows it from now on
    except (StoreError, OSError) as exc:  # e.g. a read-only store: no cache, but a summary
        log.warning("bluelabel: summary of %s not cached: %s", content_id, exc)
        summary = {"summary": catalog.summary_of(content_id) or "", "key_points": []}
    try:
        with store.text_path(content_id).open("r", encoding="utf-8") as handle:
            preview = handle.read(TEXT_PREVIEW_CHARS)
    except FileNotFoundError:
        preview = ""
    return DocumentDetail(
        content_id=record.content_id,
        title=_title(record),
        content_type=record.content_type,
        source=record.source,
        ingested_at=record.ingested_at,
        tags=record.tags,
        page_count=record.page_count,
        content_length=record.content_length,
        source_bytes=record.source_bytes,
        text_layer=record.text_layer,
        warnings=record.warnings,
        metadata=without_placeholders(record.metadata),  # a record stored before ingest did
        summary=summary.get("summary") or summary.get("note") or "",
        key_points=list(summary.get("key_points") or []),
        keywords=list(summary.get("keywords") or []),
        ingests=[
            Ingest(**{k: v for k, v in entry.items() if k in Ingest.model_fields})
            for entry in ingests
            if dag_ids is None or entry.get("dag_id") in dag_ids
        ],
        text_preview=preview,
    )
