"""A full-text index of the knowledge store, kept by the API server in SQLite (FTS5).

The store may live on S3 and hold tens of thousands of documents: a query must not read them.
So the API server keeps this index under the Airflow home and brings it up to date from the
store's ``index/`` entries (names only; a document is read once, when it first appears):

* :meth:`SearchIndex.sync` lists ``index/``, indexes the entries it has not seen (title,
  source, tags, a summary and the first :data:`MAX_TEXT_CHARS` of the text) and drops
  documents whose entries are gone. Concurrent API-server workers serialise on a lock file.
* :meth:`SearchIndex.search` answers words (all must match, the last one as a prefix, English
  stemming) and filters (type, tag, source substring, ingestion time) from the index alone.

The index is derived data: delete the file and the next sync rebuilds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bluelabel.config import get_settings
from bluelabel.store import DocumentRecord, KnowledgeStore
from bluelabel.web.search_text import (
    MARK_END,
    MARK_START,
    like_escape,
    match_expression,
    opening,
    segments,
    sortable_utc,
)

#: Text beyond this many characters of a document is not searchable (it bounds the index:
#: a 2,561-page PDF has 4.4 M characters). Titles, summaries and sources always are.
MAX_TEXT_CHARS = 1_000_000
SCHEMA_VERSION = "1"
#: Queries matching more documents than this list them newest first instead of by relevance.
RANKED_MATCHES = 2000
#: The matching passage of a row: up to 24 tokens from any column, matches marked.
_SNIPPET = f"snippet(documents_fts, -1, '{MARK_START}', '{MARK_END}', '…', 24)"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    content_id TEXT NOT NULL UNIQUE,
    title TEXT,
    summary TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    content_type TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_time ON documents (ingested_at DESC, content_id);
CREATE INDEX IF NOT EXISTS documents_type_time ON documents (content_type, ingested_at DESC);
CREATE INDEX IF NOT EXISTS documents_filters
    ON documents (source, content_type, ingested_at, content_id);
CREATE TABLE IF NOT EXISTS tags (tag TEXT NOT NULL, doc INTEGER NOT NULL,
                                 PRIMARY KEY (tag, doc)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (name TEXT PRIMARY KEY, content_id TEXT NOT NULL)
    WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
    title, summary, text, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""


@dataclass(frozen=True)
class Hit:
    """One document of a result page, from the index alone."""

    record: DocumentRecord
    summary: str
    #: the matching passage, as (text, is_match) segments; empty without a query
    snippet: list[tuple[str, bool]] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    hits: list[Hit]
    total: int
    indexed: int  # documents in the index


def default_index_path(store_location: str) -> Path:
    """``$AIRFLOW_HOME/bluelabel/search/<hash of the store location>.sqlite3``."""
    airflow_home = get_settings().airflow_home
    digest = hashlib.sha256(store_location.encode()).hexdigest()[:16]
    return Path(airflow_home) / "bluelabel" / "search" / f"{digest}.sqlite3"


class SearchIndex:
    """The index of one store, in one SQLite file (WAL: readers never wait for the writer)."""

    def __init__(self, store: KnowledgeStore, path: Path | None = None) -> None:
        self.store = store
        self.path = path or default_index_path(store.location)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._sync_lock = threading.Lock()
        with self._connect_writer() as db:
            db.executescript(_SCHEMA)
            stored = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if stored is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                # Relevance: title matches weigh most, then the summary, then the body.
                db.execute(
                    "INSERT INTO documents_fts (documents_fts, rank) "
                    "VALUES ('rank', 'bm25(10.0, 4.0, 1.0)')"
                )

    # ------------------------------------------------------------------ connections
    def _reader(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("PRAGMA query_only = ON")
            self._local.db = db
        return db

    @contextlib.contextmanager
    def _connect_writer(self) -> Iterator[sqlite3.Connection]:
        """A write connection holding the index's lock file (one writer across processes)."""
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            db = sqlite3.connect(self.path, timeout=30)
            try:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                with db:
                    yield db
            finally:
                db.close()

    # ------------------------------------------------------------------ keeping up
    def _listed(self) -> dict[str, str]:
        """``index/`` entry name -> content id (names only, nothing is read)."""
        folder = self.store.root / "index"
        try:
            if isinstance(folder, Path):
                with os.scandir(folder) as scan:
                    names = [e.name for e in scan if e.name.endswith(".json")]
            else:
                names = [p.name for p in folder.iterdir() if p.name.endswith(".json")]
        except FileNotFoundError:
            return {}
        return {n: n[:-5].split("-", 1)[1] for n in names if "-" in n}

    def sync(self) -> int:
        """Index the store's new entries and forget removed ones; the number of new documents.

        One sync at a time per process (others return 0 at once: their index is one sync old)."""
        if not self._sync_lock.acquire(blocking=False):
            return 0
        try:
            return self._sync()
        finally:
            self._sync_lock.release()

    def _sync(self) -> int:
        listed = self._listed()
        known = {name for (name,) in self._reader().execute("SELECT name FROM entries")}
        new = [n for n in listed if n not in known]
        gone = known - listed.keys()
        if not new and not gone:
            return 0
        added = 0
        with self._connect_writer() as db:
            for name in sorted(new):
                content_id = listed[name]
                exists = db.execute(
                    "SELECT 1 FROM documents WHERE content_id = ?", (content_id,)
                ).fetchone()
                if not exists and self._add(db, content_id):
                    added += 1
                db.execute("INSERT OR IGNORE INTO entries VALUES (?, ?)", (name, content_id))
            for name in gone:
                db.execute("DELETE FROM entries WHERE name = ?", (name,))
            if gone:
                orphans = [
                    row[0]
                    for row in db.execute(
                        "SELECT id FROM documents WHERE content_id NOT IN "
                        "(SELECT content_id FROM entries)"
                    )
                ]
                for doc in orphans:
                    db.execute("DELETE FROM documents WHERE id = ?", (doc,))
                    db.execute("DELETE FROM documents_fts WHERE rowid = ?", (doc,))
                    db.execute("DELETE FROM tags WHERE doc = ?", (doc,))
        return added

    def _read_text(self, content_id: str) -> str:
        try:
            with self.store.text_path(content_id).open("r", encoding="utf-8") as handle:
                text: str = handle.read(MAX_TEXT_CHARS)
                return text
        except FileNotFoundError:
            return ""

    def _add(self, db: sqlite3.Connection, content_id: str) -> bool:
        record = self.store.get(content_id)
        if record is None:  # an index entry whose record is gone: nothing to show
            return False
        text = self._read_text(content_id)
        summary = opening(text)
        cursor = db.execute(
            "INSERT INTO documents (content_id, title, summary, source, content_type, "
            "ingested_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                content_id,
                record.title,
                summary,
                record.source,
                record.content_type,
                sortable_utc(record.ingested_at),
                json.dumps(record.to_dict(), ensure_ascii=False),
            ),
        )
        doc = cursor.lastrowid
        db.execute(
            "INSERT INTO documents_fts (rowid, title, summary, text) VALUES (?, ?, ?, ?)",
            (doc, f"{record.title or ''} {record.source}", summary, text),
        )
        db.executemany(
            "INSERT OR IGNORE INTO tags VALUES (?, ?)", [(t, doc) for t in set(record.tags)]
        )
        return True

    # ------------------------------------------------------------------ reading
    def search(
        self,
        *,
        q: str | None = None,
        content_type: str | None = None,
        tag: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> Page:
        """A page of matching documents: by relevance with words (newest first when more than
        :data:`RANKED_MATCHES` match: ranking every document costs more than it tells), else
        newest first."""
        where: list[str] = []
        args: list[Any] = []
        if content_type:
            where.append("d.content_type = ?")
            args.append(content_type)
        if tag:
            where.append("d.id IN (SELECT doc FROM tags WHERE tag = ?)")
            args.append(tag)
        db = self._reader()
        if source:
            # A substring can use no index (the source's indexed words miss parts of words),
            # but the covering index of the filtered columns is small to scan, unlike the
            # rows, which carry the records: 3 ms instead of 12 for a page and its count
            # over 10,000 documents. LIKE folds ASCII case as lower() would (SQLite has no
            # Unicode folding without ICU), at a third of instr(lower(...))'s cost.
            where.append("d.source LIKE ? ESCAPE '\\'")
            args.append(f"%{like_escape(source)}%")
        if since:
            where.append("d.ingested_at >= ?")
            args.append(sortable_utc(since.isoformat()))
        if until:
            where.append("d.ingested_at <= ?")
            args.append(sortable_utc(until.isoformat()))
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        indexed = db.execute("SELECT count(*) FROM documents").fetchone()[0]
        # Whole words first (stemmed: "reports" finds "report"); only when they match nothing,
        # the last word as a prefix (still being typed): ranking a prefix costs ~7x more.
        match = match_expression(q or "", prefix=False)
        if match is None:
            table = "documents d INDEXED BY documents_filters" if source else "documents d"
            rows = db.execute(
                f"SELECT d.record, d.summary FROM documents d WHERE d.id IN ("
                f"SELECT d.id FROM {table}{clause} "
                "ORDER BY d.ingested_at DESC, d.content_id LIMIT ? OFFSET ?) "
                "ORDER BY d.ingested_at DESC, d.content_id",
                (*args, limit, offset),
            ).fetchall()
            total = db.execute(f"SELECT count(*) FROM {table}{clause}", args).fetchone()[0]
            hits = [Hit(DocumentRecord.from_dict(json.loads(r)), s) for r, s in rows]
            return Page(hits=hits, total=total, indexed=indexed)
        # FTS5 answers MATCH ... ORDER BY rank LIMIT n from the index alone; a join with the
        # documents table would make SQLite rank every match first.
        matches = self._count(db, match)
        if matches == 0:
            match = match_expression(q or "") or match
            matches = self._count(db, match)
        ranked = matches <= RANKED_MATCHES
        if not where:
            # FTS5 sorts by rank (or walks rowids) itself and computes the snippets of the
            # rows it returns only: one pass over the match, not two.
            order = "rank" if ranked else "rowid DESC"
            page = db.execute(
                f"SELECT rowid, {_SNIPPET} FROM documents_fts WHERE documents_fts MATCH ? "
                f"ORDER BY {order} LIMIT ? OFFSET ?",
                (match, limit, offset),
            ).fetchall()
            ids = [row[0] for row in page]
            hits = self._hits(db, ids, match, snippets=dict(page))
            return Page(hits=hits, total=matches, indexed=indexed)
        rank, order = (", rank", "h.rank") if ranked else ("", "h.id DESC")
        page = db.execute(
            f"WITH hits AS MATERIALIZED (SELECT rowid AS id{rank} FROM documents_fts "
            "WHERE documents_fts MATCH ?) "
            f"SELECT h.id, count(*) OVER () FROM hits h JOIN documents d ON d.id = h.id"
            f"{clause} ORDER BY {order} LIMIT ? OFFSET ?",
            (match, *args, limit, offset),
        ).fetchall()
        ids = [row[0] for row in page]
        total = page[0][1] if page else 0
        return Page(hits=self._hits(db, ids, match), total=total, indexed=indexed)

    @staticmethod
    def _count(db: sqlite3.Connection, match: str | None) -> int:
        sql = "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?"
        return int(db.execute(sql, (match,)).fetchone()[0])

    @staticmethod
    def _hits(
        db: sqlite3.Connection, ids: list[int], match: str, snippets: dict[int, str] | None = None
    ) -> list[Hit]:
        """The documents of ``ids``, in that order, each with its matching passage (given, or
        computed here)."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        records = {
            doc: (record, summary)
            for doc, record, summary in db.execute(
                f"SELECT id, record, summary FROM documents WHERE id IN ({marks})", ids
            )
        }
        if snippets is None:
            snippets = dict(
                db.execute(
                    f"SELECT rowid, {_SNIPPET} FROM documents_fts "
                    f"WHERE documents_fts MATCH ? AND rowid IN ({marks})",
                    (match, *ids),
                ).fetchall()
            )
        return [
            Hit(
                DocumentRecord.from_dict(json.loads(records[doc][0])),
                records[doc][1],
                segments(snippets.get(doc, "")),
            )
            for doc in ids
            if doc in records
        ]

    def facets(self) -> dict[str, dict[str, int]]:
        """Document counts by type and by tag (the filter choices)."""
        db = self._reader()
        types = db.execute(
            "SELECT content_type, count(*) FROM documents GROUP BY content_type ORDER BY 2 DESC"
        ).fetchall()
        tags = db.execute(
            "SELECT tag, count(*) FROM tags GROUP BY tag ORDER BY 2 DESC, 1 LIMIT 200"
        ).fetchall()
        return {"types": dict(types), "tags": dict(tags)}

    def set_summary(self, content_id: str, summary: str) -> None:
        """Replace the opening shown for a document by its real summary (searchable too)."""
        with self._connect_writer() as db:
            row = db.execute(
                "SELECT id, title, source FROM documents WHERE content_id = ?", (content_id,)
            ).fetchone()
            if row is None:
                return
            doc, title, source = row
            text = db.execute("SELECT text FROM documents_fts WHERE rowid = ?", (doc,)).fetchone()
            db.execute("UPDATE documents SET summary = ? WHERE id = ?", (summary, doc))
            db.execute("DELETE FROM documents_fts WHERE rowid = ?", (doc,))
            db.execute(
                "INSERT INTO documents_fts (rowid, title, summary, text) VALUES (?, ?, ?, ?)",
                (doc, f"{title or ''} {source}", summary, text[0] if text else ""),
            )

    def summary_of(self, content_id: str) -> str | None:
        row = (
            self._reader()
            .execute("SELECT summary FROM documents WHERE content_id = ?", (content_id,))
            .fetchone()
        )
        return None if row is None else str(row[0])
