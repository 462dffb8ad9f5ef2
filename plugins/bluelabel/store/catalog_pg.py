"""The PostgreSQL side of :class:`bluelabel.store.catalog.Catalog`'s writes: many rows in one
statement (their columns as arrays, through ``unnest``), each new one with its ``tsvector``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

#: The catalog's columns of a document (both dialects).
FIELDS = [
    "content_id",
    "title",
    "content_type",
    "source",
    "tags",
    "ingested_at",
    "pages",
    "length",
    "summary",
    "record",
]

COLUMNS = [*FIELDS, "body"]
#: The rows of ``Catalog.add_many`` as arrays (one statement, however many rows), each new one
#: with its tsvector, and the tags of the new ones.
INSERT_MANY = f"""
WITH given AS (
    SELECT * FROM unnest(
        CAST(:content_id AS text[]), CAST(:title AS text[]), CAST(:content_type AS text[]),
        CAST(:source AS text[]), CAST(:tags AS text[]), CAST(:ingested_at AS text[]),
        CAST(:pages AS integer[]), CAST(:length AS bigint[]), CAST(:summary AS text[]),
        CAST(:record AS text[]), CAST(:body AS text[]))
    AS g({", ".join(COLUMNS)})
), new AS (
    INSERT INTO bluelabel_documents ({", ".join(COLUMNS)}, search)
    SELECT {", ".join(f"g.{name}" for name in COLUMNS)},
        setweight(to_tsvector('english', coalesce(g.title, '') || ' ' || g.source), 'A') ||
        setweight(to_tsvector('english', g.summary), 'B') ||
        setweight(to_tsvector('english', g.body), 'D')
    FROM given g
    WHERE NOT EXISTS (SELECT 1 FROM bluelabel_documents e WHERE e.content_id = g.content_id)
    ON CONFLICT (content_id) DO NOTHING
    RETURNING content_id
), tagged AS (
    INSERT INTO bluelabel_tags (tag, content_id)
    SELECT t.tag, t.content_id
    FROM unnest(CAST(:tag AS text[]), CAST(:tag_of AS text[])) AS t(tag, content_id)
    JOIN new ON new.content_id = t.content_id
    ON CONFLICT DO NOTHING
)
SELECT count(*) FROM new
"""
PROVENANCE_MANY = """
INSERT INTO bluelabel_provenance (content_id, dag_id, run_id, task_id, map_index, try_number,
    ingested_at)
SELECT * FROM unnest(CAST(:c AS text[]), CAST(:d AS text[]), CAST(:r AS text[]),
    CAST(:t AS text[]), CAST(:m AS integer[]), CAST(:n AS integer[]), CAST(:at AS text[]))
ON CONFLICT DO NOTHING
"""
#: A statement of :meth:`.catalog.Catalog.add_many` carries at most this many characters of text (a
#: batch of long documents is split: each statement is held whole in memory, twice).
PG_STATEMENT_CHARS = 8_000_000


def by_size(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        weight = len(row["body"]) + len(row["record"]) + len(row["summary"])
        if chunk and size + weight > PG_STATEMENT_CHARS:
            yield chunk
            chunk, size = [], 0
        chunk.append(row)
        size += weight
    if chunk:
        yield chunk


def add_rows(conn: Any, rows: list[dict[str, Any]]) -> int:
    """One statement for the rows: each new one's tsvector computed (only theirs: rows
    already there are passed over first), its tags added; how many were new."""
    from sqlalchemy import text as sql

    args: dict[str, Any] = {name: [row[name] for row in rows] for name in COLUMNS}
    args["tag"] = [tag for row in rows for tag in row["tag_list"]]
    args["tag_of"] = [row["content_id"] for row in rows for _ in row["tag_list"]]
    return int(conn.execute(sql(INSERT_MANY), args).scalar_one())
