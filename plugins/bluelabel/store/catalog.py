"""The knowledge store's catalog: one SQL row per document, the table every reader queries.

Blobs (text, records, provenance notes, digests) stay in the store's folder or object store;
the catalog holds what readers filter, sort and search on, so nobody lists ``objects/``:

* ``bluelabel_documents``: id, title, type, source, tags, ingested time, pages, length, summary,
  the record as JSON, and the full-text index of the dialect (``search`` tsvector + GIN and
  ``body`` for snippets on PostgreSQL; the FTS5 table ``bluelabel_documents_fts`` on SQLite);
* ``bluelabel_tags``: one row per tag of a document (the tag filter);
* ``bluelabel_provenance``: each Airflow task try that ingested a document (permissions);
* ``bluelabel_digests``: who made each published digest and what it covers (permissions);
* ``bluelabel_tries``: the run ledger, a row per Bluelabel task try (:mod:`.ledger`).

Where: ``[bluelabel] catalog_conn_id`` names an Airflow connection (PostgreSQL), read from
``AIRFLOW_CONN_<ID>`` without importing Airflow when set there, else through Airflow's lookup;
empty, an embedded SQLite file ``catalog.sqlite3`` beside a local store (WAL). The
schema is created and migrated on first use by Alembic (``store/migrations``, version table
``bluelabel_alembic_version``), under a lock so concurrent first users migrate once.

``bluelabel store reindex`` rebuilds the documents' tables from the blobs (not the ledger).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from bluelabel.errors import StoreError
from bluelabel.store.catalog_db import SQLITE_NAME, catalog_url, engine_for
from bluelabel.store.catalog_pg import FIELDS as _FIELDS
from bluelabel.store.catalog_pg import PROVENANCE_MANY, add_rows, by_size
from bluelabel.store.records import DocumentRecord, RunRef
from bluelabel.store.search_text import opening, sortable_utc

#: Text beyond this many characters of a document is not searchable (it bounds the index:
#: a 2,561-page PDF has 4.4 M characters). Titles, summaries and sources always are.
MAX_TEXT_CHARS = 1_000_000
#: PostgreSQL's tsvector holds at most 1 MB of lexemes: its body is cut shorter.
PG_TEXT_CHARS = 200_000
__all__ = ["MAX_TEXT_CHARS", "SQLITE_NAME", "Catalog", "catalog_url"]


class Catalog:
    """The catalog of one store: writes (idempotent upserts) and the lookups of one document.

    Searching and listing are :mod:`bluelabel.store.search`'s."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)
        self.dialect: str = self.engine.dialect.name

    def __repr__(self) -> str:
        return f"Catalog({self.engine.url!r})"

    @contextlib.contextmanager
    def writing(self) -> Iterator[Any]:
        with (
            self._errors(),
            self.engine.connect().execution_options(write=True) as conn,
            conn.begin(),
        ):
            yield conn

    @contextlib.contextmanager
    def reading(self) -> Iterator[Any]:
        with self._errors(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """A database that cannot be reached (down, refusing, locked too long) is one
        :class:`StoreError` line, transient: a retry may find it back."""
        from sqlalchemy.exc import OperationalError

        try:
            yield
        except OperationalError as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(
                f"cannot reach the knowledge store's catalog {where}: {reason}", permanent=False
            ) from None

    # ------------------------------------------------------------------ writing
    def add(self, record: DocumentRecord, text: str, summary: str | None = None) -> bool:
        """Upsert one document; True if this call added it (False: it was there)."""
        return self.add_many([(record, text, summary)]) == 1

    def add_many(self, items: Iterable[tuple[DocumentRecord, str, str | None]]) -> int:
        """Upsert documents in one transaction; how many were new."""
        rows = [self._row(record, body, summary) for record, body, summary in items]
        if not rows:
            return 0
        with self.writing() as conn:
            if self.dialect == "postgresql":
                return sum(add_rows(conn, chunk) for chunk in by_size(rows))
            return sum(self._add_sqlite(conn, row) for row in rows)

    def _row(self, record: DocumentRecord, body: str, summary: str | None) -> dict[str, Any]:
        return {
            "content_id": record.content_id,
            "title": record.title,
            "content_type": record.content_type,
            "source": record.source,
            "tags": json.dumps(record.tags, ensure_ascii=False),
            "ingested_at": sortable_utc(record.ingested_at),
            "pages": record.page_count,
            "length": record.content_length,
            "summary": summary if summary is not None else opening(body),
            "record": record.to_json(),
            "body": (
                body[:PG_TEXT_CHARS].replace("\x00", "")
                if self.dialect == "postgresql"
                else body[:MAX_TEXT_CHARS]
            ),
            "tag_list": sorted({str(tag)[:200] for tag in record.tags}),
        }

    @staticmethod
    def _add_sqlite(conn: Any, row: dict[str, Any]) -> int:
        from sqlalchemy import text as sql

        inserted = conn.execute(sql(_SQLITE_INSERT), row).first()
        if inserted is None:
            return 0
        conn.execute(
            sql(
                "INSERT INTO bluelabel_documents_fts (rowid, title, summary, text) "
                "VALUES (:doc, :title, :summary, :body)"
            ),
            {
                "doc": inserted[0],
                "title": f"{row['title'] or ''} {row['source']}",
                "summary": row["summary"],
                "body": row["body"],
            },
        )
        for tag in row["tag_list"]:
            conn.execute(
                sql(
                    "INSERT INTO bluelabel_tags (tag, content_id) VALUES (:t, :c) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"t": tag, "c": row["content_id"]},
            )
        return 1

    def note_ingest(self, content_id: str, run: RunRef, at: str | None = None) -> None:
        self.note_ingests([(content_id, run, at)])

    def note_ingests(self, entries: Iterable[tuple[str, RunRef, str | None]]) -> None:
        from sqlalchemy import text as sql

        now = datetime.now(timezone.utc).isoformat()
        rows = [
            {
                "c": content_id,
                "d": run.dag_id,
                "r": run.run_id,
                "t": run.task_id,
                "m": run.map_index,
                "n": run.try_number,
                "at": sortable_utc(at or now),
            }
            for content_id, run, at in entries
        ]
        if not rows:
            return
        with self.writing() as conn:
            if self.dialect == "postgresql":  # one statement, not a round trip per row
                columns = ("c", "d", "r", "t", "m", "n", "at")
                conn.execute(
                    sql(PROVENANCE_MANY), {key: [row[key] for row in rows] for key in columns}
                )
                return
            conn.execute(
                sql(
                    "INSERT INTO bluelabel_provenance (content_id, dag_id, run_id, task_id, "
                    "map_index, try_number, ingested_at) VALUES (:c, :d, :r, :t, :m, :n, :at) "
                    "ON CONFLICT DO NOTHING"
                ),
                rows,
            )

    def set_summary(self, content_id: str, summary: str) -> None:
        """Replace the opening shown for a document by its real summary (searchable too)."""
        from sqlalchemy import text as sql

        with self.writing() as conn:
            if self.dialect == "postgresql":
                conn.execute(
                    sql(
                        "UPDATE bluelabel_documents SET summary = :s, search = "
                        f"{_PG_VECTOR} WHERE content_id = :c"
                    ),
                    {"s": summary, "c": content_id},
                )
                return
            row = conn.execute(
                sql("SELECT doc, title, source FROM bluelabel_documents WHERE content_id = :c"),
                {"c": content_id},
            ).first()
            if row is None:
                return
            doc, title, source = row
            body = conn.execute(
                sql("SELECT text FROM bluelabel_documents_fts WHERE rowid = :d"), {"d": doc}
            ).first()
            conn.execute(
                sql("UPDATE bluelabel_documents SET summary = :s WHERE content_id = :c"),
                {"s": summary, "c": content_id},
            )
            conn.execute(sql("DELETE FROM bluelabel_documents_fts WHERE rowid = :d"), {"d": doc})
            conn.execute(
                sql(
                    "INSERT INTO bluelabel_documents_fts (rowid, title, summary, text) "
                    "VALUES (:d, :t, :s, :b)"
                ),
                {
                    "d": doc,
                    "t": f"{title or ''} {source}",
                    "s": summary,
                    "b": body[0] if body else "",
                },
            )

    def remove(self, content_id: str) -> None:
        from sqlalchemy import text as sql

        with self.writing() as conn:
            if self.dialect != "postgresql":
                conn.execute(
                    sql(
                        "DELETE FROM bluelabel_documents_fts WHERE rowid = "
                        "(SELECT doc FROM bluelabel_documents WHERE content_id = :c)"
                    ),
                    {"c": content_id},
                )
            for table in ("bluelabel_tags", "bluelabel_documents"):
                conn.execute(sql(f"DELETE FROM {table} WHERE content_id = :c"), {"c": content_id})

    def add_digest(
        self,
        name: str,
        *,
        kind: str,
        run: RunRef | None,
        covered_dag_ids: Iterable[str] = (),
        unattributed: bool = False,
    ) -> None:
        """Remember who made the digest published as ``name`` (its files' shared stem) and
        what it covers: the digest routes show it to whom those DAGs' permissions allow."""
        from sqlalchemy import text as sql

        row = {
            "n": name,
            "k": kind,
            "d": run.dag_id if run else None,
            "r": run.run_id if run else None,
            "c": json.dumps(sorted(set(covered_dag_ids))),
            "u": bool(unattributed),
            "at": sortable_utc(datetime.now(timezone.utc).isoformat()),
        }
        with self.writing() as conn:
            conn.execute(
                sql(
                    "INSERT INTO bluelabel_digests (name, kind, dag_id, run_id, covered_dag_ids,"
                    " unattributed, created_at) VALUES (:n, :k, :d, :r, :c, :u, :at) "
                    "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, dag_id = "
                    "excluded.dag_id, run_id = excluded.run_id, covered_dag_ids = "
                    "excluded.covered_dag_ids, unattributed = excluded.unattributed, "
                    "created_at = excluded.created_at"
                ),
                row,
            )

    # ------------------------------------------------------------------ reading
    def digest(self, name: str) -> dict[str, Any] | None:
        """Who made the digest ``name`` and what it covers; ``None`` if not recorded."""
        from sqlalchemy import text as sql

        with self.reading() as conn:
            row = conn.execute(
                sql(
                    "SELECT kind, dag_id, run_id, covered_dag_ids, unattributed "
                    "FROM bluelabel_digests WHERE name = :n"
                ),
                {"n": name},
            ).first()
        if row is None:
            return None
        kind, dag_id, run_id, covered, unattributed = row
        return {
            "kind": str(kind),
            "dag_id": dag_id,
            "run_id": run_id,
            "covered_dag_ids": frozenset(json.loads(covered or "[]")),
            "unattributed": bool(unattributed),
        }

    def dags_of(self, content_ids: Iterable[str], batch: int = 500) -> tuple[set[str], bool]:
        """The DAGs whose runs ingested these documents, and whether any of them was
        ingested by no Airflow run (the CLI's): what a digest showing them covers."""
        from sqlalchemy import bindparam
        from sqlalchemy import text as sql

        ids = list(dict.fromkeys(content_ids))
        dags: set[str] = set()
        attributed: set[str] = set()
        query = sql(
            "SELECT content_id, dag_id FROM bluelabel_provenance WHERE content_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        with self.reading() as conn:
            for start in range(0, len(ids), batch):
                for content_id, dag_id in conn.execute(query, {"ids": ids[start : start + batch]}):
                    attributed.add(content_id)
                    dags.add(str(dag_id))
        return dags, len(attributed) < len(ids)

    def has(self, content_id: str) -> bool:
        from sqlalchemy import text as sql

        with self.reading() as conn:
            row = conn.execute(
                sql("SELECT 1 FROM bluelabel_documents WHERE content_id = :c"), {"c": content_id}
            ).first()
        return row is not None

    def summary_of(self, content_id: str) -> str | None:
        from sqlalchemy import text as sql

        with self.reading() as conn:
            row = conn.execute(
                sql("SELECT summary FROM bluelabel_documents WHERE content_id = :c"),
                {"c": content_id},
            ).first()
        return None if row is None else str(row[0])

    def provenance(self, content_id: str) -> list[dict[str, Any]]:
        """Each task try that ingested the document, oldest first."""
        from sqlalchemy import text as sql

        with self.reading() as conn:
            rows = conn.execute(
                sql(
                    "SELECT dag_id, run_id, task_id, map_index, try_number, ingested_at "
                    "FROM bluelabel_provenance WHERE content_id = :c ORDER BY ingested_at"
                ),
                {"c": content_id},
            ).all()
        keys = ("dag_id", "run_id", "task_id", "map_index", "try_number", "at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def count(self) -> int:
        from sqlalchemy import text as sql

        with self.reading() as conn:
            return int(conn.execute(sql("SELECT count(*) FROM bluelabel_documents")).scalar_one())

    def ids(self, batch: int = 10_000) -> Iterator[str]:
        """Every document id, in id order, read in batches (bounded memory)."""
        from sqlalchemy import text as sql

        after = ""
        while True:
            with self.reading() as conn:
                found = [
                    row[0]
                    for row in conn.execute(
                        sql(
                            "SELECT content_id FROM bluelabel_documents WHERE content_id > :a "
                            "ORDER BY content_id LIMIT :n"
                        ),
                        {"a": after, "n": batch},
                    )
                ]
            yield from found
            if len(found) < batch:
                return
            after = found[-1]


_COLUMNS = ", ".join(_FIELDS)
_VALUES = ", ".join(f":{name}" for name in _FIELDS)
_SQLITE_INSERT = (
    f"INSERT INTO bluelabel_documents ({_COLUMNS}, doc) VALUES ({_VALUES}, "
    "(SELECT coalesce(max(doc), 0) + 1 FROM bluelabel_documents)) "
    "ON CONFLICT (content_id) DO NOTHING RETURNING doc"
)
#: The tsvector of a row whose summary becomes ``:s`` (an UPDATE's ``summary`` is the old one).
_PG_VECTOR = (
    "setweight(to_tsvector('english', coalesce(title, '') || ' ' || source), 'A') || "
    "setweight(to_tsvector('english', :s), 'B') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'D')"
)
