"""The one search of the knowledge store, over its catalog: the API, the CLI and the digests.

Words: every word must occur (English stemming: "reports" finds "report"); only when they match
nothing, the last word as a prefix (still being typed). Filters: type, tags (all must be
present), a source substring (case folded), ingestion time, and the DAGs a user may read (a
document is seen by those who may read a DAG whose run ingested it; ``dag_ids=None``: no
such limit). With words, by relevance (newest first when more than :data:`RANKED_MATCHES`
match: ranking every document costs more than it tells); without, newest first.

SQLite: FTS5 with bm25 (title 10, summary 4, body 1) and its ``snippet``. PostgreSQL: the
``search`` tsvector (weights A title and source, B summary, D body) through its GIN index,
``ts_rank`` and ``ts_headline`` (the count and the page's SQL: :mod:`.search_pg`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bluelabel.store.catalog import Catalog
from bluelabel.store.records import DocumentRecord
from bluelabel.store.search_pg import (
    PAGE_WITH_HEADLINES,
    capped_count,
    estimated_rows,
    tsquery,
)
from bluelabel.store.search_text import (
    MARK_END,
    MARK_START,
    like_escape,
    match_expression,
    segments,
    sortable_utc,
)

#: Queries matching more documents than this list them newest first instead of by relevance.
RANKED_MATCHES = 2000
#: PostgreSQL counts matches up to this many (a page's ``total`` says "at least" beyond it):
#: counting a common word's million matches costs seconds and tells nothing more.
TOTAL_CAP = RANKED_MATCHES
#: PostgreSQL does not count at all when its planner expects this many matches: even a count
#: capped at :data:`TOTAL_CAP` reads (and decompresses) every row it passes, tens of ms for
#: two common words. The margin absorbs the planner's error on words that occur together
#: less often than their frequencies predict.
ESTIMATE_CAP = 5 * TOTAL_CAP
_TOKEN = re.compile(r"\w+", re.UNICODE)
_SNIPPET = f"snippet(bluelabel_documents_fts, -1, '{MARK_START}', '{MARK_END}', '…', 24)"
_HEADLINE = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=8, MaxFragments=1, "
    "FragmentDelimiter=…"
)


@dataclass(frozen=True)
class Hit:
    """One document of a result page, from the catalog alone."""

    record: DocumentRecord
    summary: str
    #: the matching passage, as (text, is_match) segments; empty without words
    snippet: list[tuple[str, bool]] = field(default_factory=list)
    #: relevance, higher is better (0 without words, or when listed newest first)
    score: float = 0.0

    @property
    def snippet_text(self) -> str:
        return "".join(text for text, _ in self.snippet) or self.summary


@dataclass(frozen=True)
class Page:
    hits: list[Hit]
    total: int
    indexed: int  # documents in the catalog (PostgreSQL: its estimate, past 100,000)
    #: ``total`` is a lower bound: more documents match (PostgreSQL, past :data:`TOTAL_CAP`)
    more: bool = False


def _filters(
    dialect: str,
    *,
    content_type: str | None,
    tags: Sequence[str],
    source: str | None,
    since: datetime | None,
    until: datetime | None,
    dag_ids: frozenset[str] | None,
) -> tuple[list[str], dict[str, Any]]:
    where: list[str] = []
    args: dict[str, Any] = {}
    if content_type:
        where.append("d.content_type = :type")
        args["type"] = content_type
    for n, tag in enumerate(dict.fromkeys(tags)):
        where.append(f"d.content_id IN (SELECT content_id FROM bluelabel_tags WHERE tag = :tag{n})")
        args[f"tag{n}"] = tag
    if source:
        # case folded alike everywhere: LIKE folds ASCII on SQLite, ILIKE all on PostgreSQL
        like = "ILIKE" if dialect == "postgresql" else "LIKE"
        where.append(f"d.source {like} :source ESCAPE '\\'")
        args["source"] = f"%{like_escape(source)}%"
    if since:
        where.append("d.ingested_at >= :since")
        args["since"] = sortable_utc(since.isoformat())
    if until:
        where.append("d.ingested_at <= :until")
        args["until"] = sortable_utc(until.isoformat())
    if dag_ids is not None:
        if not dag_ids:
            where.append("1 = 0")
        else:
            names = [f":dag{n}" for n in range(len(dag_ids))]
            where.append(
                "EXISTS (SELECT 1 FROM bluelabel_provenance p WHERE p.content_id = d.content_id"
                f" AND p.dag_id IN ({', '.join(names)}))"
            )
            args.update({f"dag{n}": dag for n, dag in enumerate(sorted(dag_ids))})
    return where, args


def search(
    catalog: Catalog,
    *,
    q: str | None = None,
    content_type: str | None = None,
    tags: Sequence[str] = (),
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 25,
    offset: int = 0,
    dag_ids: frozenset[str] | None = None,
    count: bool = True,
) -> Page:
    """A page of matching documents (``count=False``: no totals, for digests)."""
    page = _search(
        catalog,
        q=q,
        content_type=content_type,
        tags=tags,
        source=source,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
        dag_ids=dag_ids,
        count=count,
    )
    filtered = any((content_type, tags, source, since, until)) or dag_ids is not None
    counted = filtered or bool(_TOKEN.search(q or ""))  # not: all documents, ``indexed``
    if catalog.dialect == "postgresql" and count and counted and page.total > TOTAL_CAP:
        return replace(page, total=TOTAL_CAP, more=True)
    return page


def _search(
    catalog: Catalog,
    *,
    q: str | None,
    content_type: str | None,
    tags: Sequence[str],
    source: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
    offset: int,
    dag_ids: frozenset[str] | None,
    count: bool,
) -> Page:
    where, args = _filters(
        catalog.dialect,
        content_type=content_type,
        tags=tags,
        source=source,
        since=since,
        until=until,
        dag_ids=dag_ids,
    )
    args["limit"] = -1 if limit is None and catalog.dialect != "postgresql" else limit
    args["offset"] = offset
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    with catalog.reading() as conn:
        run = _Run(conn)
        indexed = _indexed(run, catalog.dialect, catalog.url) if count else 0
        if not _TOKEN.search(q or ""):
            rows = run.all(
                f"SELECT d.record, d.summary FROM bluelabel_documents d{clause} "
                "ORDER BY d.ingested_at DESC, d.content_id DESC LIMIT :limit OFFSET :offset",
                args,
            )
            if not count:
                total = len(rows)
            elif not where:
                total = indexed
            else:
                total = _count(run, catalog.dialect, f"FROM bluelabel_documents d{clause}", args)
            hits = [Hit(DocumentRecord.from_dict(json.loads(r)), s) for r, s in rows]
            return Page(hits=hits, total=total, indexed=indexed)
        if catalog.dialect == "postgresql":
            return _search_pg(run, q or "", where, args, indexed)
        return _search_sqlite(run, q or "", where, args, indexed)


def _indexed(run: _Run, dialect: str, url: str) -> int:
    if dialect == "postgresql" and (estimate := estimated_rows(run, url)) > 100_000:
        return estimate
    return run.scalar("SELECT count(*) FROM bluelabel_documents")


def _count(
    run: _Run,
    dialect: str,
    from_where: str,
    args: dict[str, Any],
    *,
    words: bool = False,
    estimate: bool = True,
) -> int:
    """How many rows match; on PostgreSQL at most ``TOTAL_CAP + 1``. ``words``: the rows of
    a full-text match, which are not counted when the planner expects :data:`ESTIMATE_CAP`
    or more (unless ``estimate=False``)."""
    if dialect != "postgresql":
        return run.scalar(f"SELECT count(*) {from_where}", args)
    return capped_count(
        run,
        from_where,
        args,
        cap=TOTAL_CAP,
        estimate_cap=ESTIMATE_CAP if words and estimate else None,
        words=words,
    )


class _Run:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def all(self, sql: str, args: dict[str, Any] | None = None) -> list[Any]:
        from sqlalchemy import text

        return list(self.conn.execute(text(sql), args or {}).all())

    def scalar(self, sql: str, args: dict[str, Any] | None = None) -> int:
        return int(self.value(sql, args))

    def value(self, sql: str, args: dict[str, Any] | None = None) -> Any:
        from sqlalchemy import text

        return self.conn.execute(text(sql), args or {}).scalar_one()


def _search_sqlite(run: _Run, q: str, where: list[str], args: dict[str, Any], indexed: int) -> Page:
    fts = "bluelabel_documents_fts"
    args["match"] = match_expression(q, prefix=False)
    count_sql = f"SELECT count(*) FROM {fts} WHERE {fts} MATCH :match"
    matches = run.scalar(count_sql, args)
    if matches == 0:
        args["match"] = match_expression(q) or args["match"]
        matches = run.scalar(count_sql, args)
    ranked = matches <= RANKED_MATCHES
    if not where:
        # FTS5 sorts by rank (or walks rowids) itself and computes the snippets of the rows
        # it returns only: one pass over the match, not two.
        order = "rank" if ranked else "rowid DESC"
        page = run.all(
            f"SELECT rowid, {_SNIPPET}, rank FROM {fts} WHERE {fts} MATCH :match "
            f"ORDER BY {order} LIMIT :limit OFFSET :offset",
            args,
        )
        total = matches
    else:
        rank, order = (", rank", "h.rank") if ranked else (", 0", "h.id DESC")
        page = run.all(
            f"WITH hits AS MATERIALIZED (SELECT rowid AS id{rank} AS rank FROM {fts} "
            f"WHERE {fts} MATCH :match) SELECT h.id, NULL, h.rank, count(*) OVER () FROM hits h "
            f"JOIN bluelabel_documents d ON d.doc = h.id WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT :limit OFFSET :offset",
            args,
        )
        total = page[0][3] if page else 0
    ids = [row[0] for row in page]
    if not ids:
        return Page(hits=[], total=total, indexed=indexed)
    marks = ", ".join(f":id{n}" for n in range(len(ids)))
    by_id = {f"id{n}": doc for n, doc in enumerate(ids)}
    snippets = {row[0]: row[1] for row in page if row[1] is not None}
    if len(snippets) < len(ids):
        snippets = dict(
            run.all(
                f"SELECT rowid, {_SNIPPET} FROM {fts} WHERE {fts} MATCH :match "
                f"AND rowid IN ({marks})",
                {"match": args["match"], **by_id},
            )
        )
    records = {
        doc: (record, summary)
        for doc, record, summary in run.all(
            f"SELECT doc, record, summary FROM bluelabel_documents WHERE doc IN ({marks})", by_id
        )
    }
    hits = [
        Hit(
            DocumentRecord.from_dict(json.loads(records[doc][0])),
            records[doc][1],
            segments(snippets.get(doc, "")),
            -float(rank or 0.0),
        )
        for doc, _, rank, *_ in page
        if doc in records
    ]
    return Page(hits=hits, total=total, indexed=indexed)


def _search_pg(
    run: _Run,
    q: str,
    where: list[str],
    args: dict[str, Any],
    indexed: int,
    *,
    estimate: bool = True,
) -> Page:
    rest = "".join(f" AND {w}" for w in where)
    matching = (
        "FROM bluelabel_documents d, to_tsquery('english', :tsq) query "
        f"WHERE d.search @@ query{rest}"
    )
    args["tsq"] = tsquery(_TOKEN.findall(q), prefix=False)
    args["tsq_any"] = tsquery(_TOKEN.findall(q), prefix=False, any_word=True)
    total = _count(run, "postgresql", matching, args, words=True, estimate=estimate)
    if total == 0:
        args["tsq"] = tsquery(_TOKEN.findall(q), prefix=True)
        args["tsq_any"] = tsquery(_TOKEN.findall(q), prefix=True, any_word=True)
        total = _count(run, "postgresql", matching, args, words=True, estimate=estimate)
    ranked = total <= RANKED_MATCHES
    order = (
        "score DESC, d.ingested_at DESC, d.content_id DESC"
        if ranked
        else "d.ingested_at DESC, d.content_id DESC"
    )
    rank = "ts_rank(d.search, query)" if ranked else "0.0"
    words = _TOKEN.findall(q)
    page = run.all(
        f"WITH page AS (SELECT d.content_id, {rank} AS score {matching} ORDER BY {order} "
        f"LIMIT :limit OFFSET :offset) {PAGE_WITH_HEADLINES}",
        {
            **args,
            "headline": _HEADLINE,
            "words": " ".join(words),
            "mark": MARK_START,
        },
    )
    if estimate and not ranked and not args["offset"] and not page:
        # The planner expected thousands and none match: count (and try the prefix) after
        # all. Fewer than expected but some is not retried: the order must not depend on the
        # page size (``bluelabel search`` and the API ask for different ones).
        return _search_pg(run, q, where, args, indexed, estimate=False)
    hits = [
        Hit(DocumentRecord.from_dict(json.loads(r)), s, segments(h), float(score))
        for r, s, h, score in page
    ]
    return Page(hits=hits, total=total, indexed=indexed)


def facets(catalog: Catalog, dag_ids: frozenset[str] | None = None) -> dict[str, dict[str, int]]:
    """Document counts by type and by tag (the filter choices), of the documents one sees."""
    where, args = _filters(
        catalog.dialect,
        content_type=None,
        tags=(),
        source=None,
        since=None,
        until=None,
        dag_ids=dag_ids,
    )
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    with catalog.reading() as conn:
        run = _Run(conn)
        types = run.all(
            f"SELECT d.content_type, count(*) FROM bluelabel_documents d{clause} "
            "GROUP BY d.content_type ORDER BY 2 DESC",
            args,
        )
        tags = run.all(
            "SELECT t.tag, count(*) FROM bluelabel_tags t JOIN bluelabel_documents d "
            f"ON d.content_id = t.content_id{clause} GROUP BY t.tag ORDER BY 2 DESC, 1 LIMIT 200",
            args,
        )
    return {"types": {k: int(v) for k, v in types}, "tags": {k: int(v) for k, v in tags}}
