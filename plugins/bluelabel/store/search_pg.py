"""PostgreSQL's side of the one search (:mod:`bluelabel.store.search`): the tsquery of the
words, the capped count of the matches, and the page with its highlighted passages.

The costs it avoids: testing a row against a query decompresses its ``tsvector`` (a few
kilobytes per document), and ``ts_headline`` parses every character it is given.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

#: ``ts_headline`` parses all the text it is given: it gets this many characters around the
#: first place one of the words occurs, not the first 20,000 (see the page query) ...
HEADLINE_WINDOW = 600
#: ... starting this many characters before it (a passage is 24 words, about 150 characters).
HEADLINE_LEAD = 200


class Statements(Protocol):
    """What the search runs its SQL through (one connection, one transaction)."""

    def scalar(self, sql: str, args: dict[str, Any] | None = None) -> int: ...
    def value(self, sql: str, args: dict[str, Any] | None = None) -> Any: ...


#: A catalog's estimated size is read again after this many seconds (reading it at every
#: search cost a round trip).
INDEXED_TTL = 10.0
_estimates: dict[str, tuple[float, int]] = {}


def estimated_rows(run: Statements, url: str) -> int:
    """The planner's estimate of the catalog's documents (of the catalog at ``url``)."""
    at, estimate = _estimates.get(url, (float("-inf"), 0))
    if time.monotonic() - at > INDEXED_TTL:
        estimate = run.scalar(
            "SELECT greatest(reltuples, 0)::bigint FROM pg_class "
            "WHERE oid = 'bluelabel_documents'::regclass"
        )
        _estimates[url] = (time.monotonic(), estimate)
    return estimate


def tsquery(words: Sequence[str], *, prefix: bool, any_word: bool = False) -> str:
    """Every word must occur (``any_word``: one of them); ``prefix``: the last one as a
    prefix."""
    tokens = [f"'{word}'" for word in words]
    if prefix and tokens:
        tokens[-1] += ":*"
    return (" | " if any_word else " & ").join(tokens)


def capped_count(
    run: Statements,
    from_where: str,
    args: dict[str, Any],
    *,
    cap: int,
    estimate_cap: int | None,
    words: bool,
) -> int:
    """How many rows ``from_where`` finds, at most ``cap + 1``; ``cap + 1`` without counting
    when the planner expects ``estimate_cap`` or more (None: always counted). ``words``: the
    rows are those of a full-text match."""
    capped = f"SELECT count(*) FROM (SELECT 1 {from_where} LIMIT {cap + 1}) capped"
    if not words:
        # Rows of an index or a plain column: 2,001 of them cost little, in this process. The
        # planner would start parallel workers for a tag's 30,000 rows: 20-80 ms, against
        # 5-9 ms without them (1,000,000 documents, a busy server).
        return run.scalar(f"SET LOCAL max_parallel_workers_per_gather = 0; {capped}", args)
    if estimate_cap is not None:
        plan = run.value(f"EXPLAIN (FORMAT JSON) SELECT 1 {from_where}", args)
        if plan[0]["Plan"]["Plan Rows"] >= estimate_cap:
            return cap + 1
    # The planner would rather read rows in order until it has enough: cheap by its costs,
    # but each row's tsvector is decompressed to test it (40 ms to find 2,000 of 9,000
    # matches). The GIN index finds them without decompressing any. The setting goes with the
    # count (one round trip, not three) and holds to the end of the search's transaction: its
    # page is not read better by a sequential scan either.
    return run.scalar(f"SET LOCAL enable_seqscan = off; {capped}", args)


#: The rows of a page (``page``: content_id, score) with their highlighted passages.
#: ``ts_headline`` parses every character it is given (a quarter of a millisecond per 1,000
#: here), so it is given the title and :data:`HEADLINE_WINDOW` characters of the body, from a
#: little before the first place one of the words' stems occurs (``strpos``, as written,
#: capitalised or in capitals; less an English stem's final "i": "polici" of "policy"), or
#: from the body's start when the title holds one. Of one word, that highlights its first
#: occurrence, as the whole text would (every cover is one word long, and the first wins). Of
#: several (``:tsq_any``: any of them), the passage of that window with the most occurrences
#: of them, not the best of the whole text: reading all of it cost 0.5 ms a document, most of
#: a search. Where the window highlights nothing: when the body holds one of the words (its
#: stem matched inside another word first), its first 20,000 characters are read; when only
#: the title or the summary does (the body's ``D`` lexemes, in the tsvector, say so), the title
#: and the summary are, not the body for nothing.
PAGE_WITH_HEADLINES = f"""
, probe AS (
    SELECT coalesce(array_agg(CASE WHEN length(w) > 3 THEN rtrim(w, 'i') ELSE w END), '{{}}')
        AS stems
    FROM unnest(tsvector_to_array(to_tsvector('english', :words))) w)
SELECT d.record, d.summary,
    CASE WHEN strpos(near.headline, :mark) > 0 THEN near.headline
    WHEN ts_filter(d.search, '{{d}}') @@ any_word THEN ts_headline('english',
        coalesce(d.title, '') || ' ' || coalesce(nullif(b.text, ''), d.summary), query,
        :headline)
    ELSE ts_headline('english', coalesce(d.title, '') || ' ' || d.summary, any_word, :headline)
    END,
    p.score
FROM page p
JOIN bluelabel_documents d ON d.content_id = p.content_id
CROSS JOIN to_tsquery('english', :tsq) query
CROSS JOIN to_tsquery('english', :tsq_any) any_word
CROSS JOIN probe
-- the body decompressed once (OFFSET 0: kept a subquery), not at every use below
CROSS JOIN LATERAL (SELECT left(d.body, 20000) AS text OFFSET 0) b
CROSS JOIN LATERAL (
    SELECT CASE WHEN bool_or(strpos(coalesce(d.title, ''), form) > 0) THEN 1
        ELSE min(nullif(strpos(b.text, form), 0)) END AS first
    FROM unnest(probe.stems) stem, unnest(ARRAY[stem, initcap(stem), upper(stem)]) form) at
CROSS JOIN LATERAL (
    SELECT CASE WHEN at.first IS NULL THEN '' ELSE ts_headline('english',
        coalesce(d.title, '') || ' ' || substr(b.text, greatest(1, at.first - {HEADLINE_LEAD}),
        {HEADLINE_WINDOW}), any_word, :headline) END AS headline
    OFFSET 0) near  -- kept a subquery: flattened, its ts_headline ran once per use above
ORDER BY p.score DESC, d.ingested_at DESC, d.content_id DESC
"""
