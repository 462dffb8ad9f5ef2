"""The catalog: one row per document however many ingests race, where it lives, its schema."""

from __future__ import annotations

import multiprocessing
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bluelabel.config import reset_settings
from bluelabel.errors import StoreError
from bluelabel.store import DocumentRecord, KnowledgeStore
from bluelabel.store.catalog_db import HEAD, catalog_url, connection_url, store_schema
from bluelabel.store.records import RunRef
from bluelabel.store.search import search

TEXT = "Twenty ingests of one file race to store it; the catalog keeps one row. " * 20


def _record() -> DocumentRecord:
    return DocumentRecord(
        content_id="f" * 32,
        content_type="text",
        source="/inbox/race.txt",
        title="Race",
        content_length=len(TEXT),
        ingested_at=datetime.now(timezone.utc).isoformat(),
        tags=["race"],
    )


def _put(location: str, url: str | None) -> None:
    KnowledgeStore(location, catalog=url).put(_record(), TEXT)


def _rows(store: KnowledgeStore) -> tuple[int, int, int]:
    page = search(store.catalog, q="ingests race")
    tags = search(store.catalog, tags=["race"]).total
    return store.catalog.count(), page.total, tags


def test_twenty_threads_storing_one_file_leave_one_row(store: KnowledgeStore) -> None:
    barrier = threading.Barrier(20)

    def put() -> None:
        barrier.wait()
        KnowledgeStore(store.location, catalog=store.catalog.url).put(_record(), TEXT)

    threads = [threading.Thread(target=put) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _rows(store) == (1, 1, 1)


@pytest.mark.slow  # over 10 s: make test only
def test_twenty_processes_storing_one_file_leave_one_row(store: KnowledgeStore) -> None:
    spawn = multiprocessing.get_context("spawn")  # fresh interpreters: first use migrates too
    processes = [
        spawn.Process(target=_put, args=(store.location, store.catalog.url)) for _ in range(20)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0] * 20
    assert _rows(store) == (1, 1, 1)


def test_twenty_batching_stores_storing_one_file_leave_one_row(store: KnowledgeStore) -> None:
    barrier = threading.Barrier(20)

    def put() -> None:
        mine = KnowledgeStore(store.location, catalog=store.catalog.url)
        with mine.catalog_batch(size=50):
            barrier.wait()
            mine.put(_record(), TEXT)
            mine.put(_record(), TEXT)  # again in the same batch: still one row

    threads = [threading.Thread(target=put) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _rows(store) == (1, 1, 1)


def _record_n(n: int) -> DocumentRecord:
    return DocumentRecord(
        content_id=f"{n:032x}",
        content_type="text",
        source=f"/inbox/batch-{n}.txt",
        title=f"Batch {n}",
        content_length=12,
        ingested_at=datetime.now(timezone.utc).isoformat(),
    )


def test_many_rows_at_once_add_the_new_ones_with_their_tags(
    store: KnowledgeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch (on PostgreSQL one statement per few MB of text) adds the rows not there yet,
    says how many, and tags only those; a batch longer than a statement is split."""
    import bluelabel.store.catalog_pg as catalog_module

    monkeypatch.setattr(catalog_module, "PG_STATEMENT_CHARS", 5_000)
    catalog = store.catalog

    def item(n: int, tags: list[str]) -> tuple[DocumentRecord, str, None]:
        record = DocumentRecord(
            content_id=f"{n:032x}",
            content_type="text",
            source=f"/inbox/batch-{n}.txt",
            title=f"Batch {n}",
            content_length=2000,
            ingested_at=datetime(2026, 1, 1, n, tzinfo=timezone.utc).isoformat(),
            tags=tags,
        )
        return record, f"Batched words number{n} " * 80 + "nul\x00byte", None

    assert catalog.add_many([item(1, ["a"])]) == 1
    # 1 is there already (its tags stay as they were), 2 and 3 are new, 3 twice in the batch
    added = catalog.add_many([item(1, ["b"]), item(2, ["a", "b", "a"]), item(3, []), item(3, [])])
    assert added == 2
    assert catalog.count() == 3
    assert search(catalog, tags=["a"]).total == 2
    assert search(catalog, tags=["b"]).total == 1
    assert [h.record.content_id for h in search(catalog, q="number2").hits] == [f"{2:032x}"]
    assert catalog.add_many([]) == 0
    catalog.note_ingests(
        [(f"{n:032x}", RunRef("dag_a", "run_1", "ingest"), None) for n in (1, 2, 2)]
    )
    assert [p["dag_id"] for p in catalog.provenance(f"{2:032x}")] == ["dag_a"]
    assert catalog.dags_of([f"{n:032x}" for n in (1, 2, 3)]) == ({"dag_a"}, True)


def _note(content_id: str, title: str, tags: list[str] | None = None) -> DocumentRecord:
    """A short text document's record (its source named after its title)."""
    return DocumentRecord(
        content_id=content_id,
        content_type="text",
        source=f"/inbox/{title}.txt",
        title=title,
        content_length=40,
        ingested_at=datetime(2026, 1, 1, tzinfo=timezone.utc).isoformat(),
        tags=tags or [],
    )


def test_reindex_rebuilds_the_rows_from_the_blobs_while_writers_commit(
    store: KnowledgeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reading thread and the committing ones (several on PostgreSQL) rebuild every row,
    its tags and provenance; a document without its text is named, not indexed; a write that
    fails stops the reindex with its error instead of hanging it."""
    from sqlalchemy import text as sql

    from bluelabel.store.reindex import reindex

    ids = []
    for n in range(23):
        record = _note(f"{n:02d}" + "a" * 30, f"Note {n}", ["even"] if n % 2 == 0 else [])
        store.put(record, f"Orchard ledger entry word{n}, kept for the reindex.")
        if n % 3 == 0:
            store.note_ingest(record.content_id, RunRef("dag_b", f"run_{n}", "ingest"))
        ids.append(record.content_id)
    store.text_path(ids[5]).unlink()  # a record without its text
    catalog = store.catalog
    with catalog.writing() as conn:
        conn.execute(sql("DELETE FROM bluelabel_provenance"))
    for content_id in ids:
        catalog.remove(content_id)
    assert catalog.count() == 0

    assert reindex(store, batch=4, writers=3) == (23, 22, 0)
    assert catalog.count() == 22
    assert search(catalog, tags=["even"]).total == 12  # 0, 2, ..., 22
    assert [h.record.content_id for h in search(catalog, q="word7").hits] == [ids[7]]
    assert catalog.dags_of([ids[3], ids[6]]) == ({"dag_b"}, False)
    assert any(ids[5] in problem for problem in store.problems)
    assert reindex(store, batch=4, writers=3) == (23, 0, 0)  # again: nothing new
    for content_id in ids[:10]:
        catalog.remove(content_id)
    store.problems.clear()
    assert reindex(store, batch=3, jobs=3) == (23, 9, 0)  # 5 has no text; PostgreSQL: 3 processes
    assert catalog.count() == 22 and search(catalog, tags=["even"]).total == 12
    assert any(ids[5] in problem for problem in store.problems)  # from the process that met it

    calls = []

    def failing(items: object) -> int:
        calls.append(1)
        raise StoreError("cannot reach the knowledge store's catalog: test")

    monkeypatch.setattr(catalog, "add_many", failing)
    with pytest.raises(StoreError, match="cannot reach"):
        reindex(store, batch=2, writers=2)
    assert len(calls) <= 4  # the reading stopped: not one call per batch of the 23


def test_reindex_names_a_damaged_record_and_adds_every_other(store: KnowledgeStore) -> None:
    """More documents than the readers read ahead, one record truncated, FIFOs for a record
    and a text: each is named (its file), the others are all added, in batches cut where
    they fall."""
    from bluelabel.store.reindex import READ_AHEAD, reindex

    ids = []
    for n in range(READ_AHEAD + 9):
        record = _note(f"{n:03d}" + "b" * 29, f"Memo {n}")
        store.put(record, f"Harbour memo number{n} for the readers.")
        ids.append(record.content_id)
    for content_id in ids:
        store.catalog.remove(content_id)
    damaged = store.record_path(ids[3])
    damaged.write_text('{"content_id": "trunc', encoding="utf-8")
    # FIFOs would block a reader for good: a record's, a text's
    fifo = store.record_path("00" + "f" * 30)
    os.mkfifo(fifo)
    store.text_path(ids[8]).unlink()
    os.mkfifo(store.text_path(ids[8]))

    assert reindex(store, batch=7, writers=2) == (len(ids) + 1, len(ids) - 2, 0)
    assert store.catalog.count() == len(ids) - 2
    for path in (damaged, fifo, store.text_path(ids[8])):
        assert [p for p in store.problems if str(path) in p]
    assert [h.record.content_id for h in search(store.catalog, q="number40").hits] == [ids[40]]


def test_a_batch_is_found_from_its_commit_on(store: KnowledgeStore) -> None:
    with store.catalog_batch(size=3):
        for n in range(4):
            store.put(_record_n(n), f"batched text {n}")
            assert store.record_path(f"{n:032x}").exists()  # the blobs are written at once
            if n < 2:
                assert store.catalog.count() == 0  # the rows wait for their batch
        assert store.catalog.count() == 3  # the first three were committed together
    assert store.catalog.count() == 4  # the rest when the block ended
    assert search(store.catalog, q="batched").total == 4


KILLED_BATCH = """
import os, sys
from datetime import datetime, timezone
from bluelabel.store import DocumentRecord, KnowledgeStore
store = KnowledgeStore(sys.argv[1], catalog=sys.argv[2] if len(sys.argv) > 2 else None)
with store.catalog_batch(size=100):
    for n in range(5):
        store.put(DocumentRecord(content_id=f"{n:032x}", content_type="text",
            source=f"/inbox/{n}.txt", title=None, content_length=6,
            ingested_at=datetime.now(timezone.utc).isoformat()), f"killed {n}")
    os._exit(0)  # dies before the batch's commit
"""


def test_a_batch_killed_before_its_commit_is_repaired(store: KnowledgeStore) -> None:
    import subprocess
    import sys

    from bluelabel.store.check import check_store

    url = store.catalog.url if store.catalog.dialect == "postgresql" else None
    argv = [sys.executable, "-c", KILLED_BATCH, store.location, *([url] if url else [])]
    subprocess.run(argv, check=True)
    assert store.catalog.count() == 0
    report = check_store(store, repair=True)
    assert len(report.findings) == 5, report.lines()
    assert store.catalog.count() == 5
    assert search(store.catalog, q="killed").total == 5
    assert check_store(store).ok


def test_a_batch_that_cannot_be_committed_says_how_to_mend_it(tmp_path: Path) -> None:
    store = KnowledgeStore(tmp_path / "store", catalog="postgresql+psycopg2://nobody@127.0.0.1:9/x")
    with (
        pytest.raises(StoreError, match=r"2 document\(s\) stored without their catalog rows"),
        store.catalog_batch(size=10),
    ):
        store.put(_record_n(1), "one")
        store.put(_record_n(2), "two")
    assert store.get(f"{1:032x}") is not None  # the documents themselves are stored


def test_the_schema_is_at_the_newest_migration(store: KnowledgeStore) -> None:
    from sqlalchemy import text

    with store.catalog.reading() as conn:
        version = conn.execute(text("SELECT version_num FROM bluelabel_alembic_version")).one()
    assert version == (HEAD,)


def test_where_the_catalog_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert catalog_url(tmp_path, True, "") == f"sqlite:///{tmp_path}/catalog.sqlite3"
    with pytest.raises(StoreError, match=r"set \[bluelabel\] catalog_conn_id to a PostgreSQL"):
        catalog_url("s3://bucket/store", False, "")
    monkeypatch.setenv("AIRFLOW_CONN_BLUELABEL_CATALOG", "postgres://u:p@db.example:5433/cat")
    assert connection_url("bluelabel_catalog") == "postgresql+psycopg2://u:p@db.example:5433/cat"
    monkeypatch.setenv(
        "AIRFLOW_CONN_JSON_CAT", '{"conn_type": "postgres", "host": "h", "schema": "d"}'
    )
    assert connection_url("json_cat") == "postgresql+psycopg2://h/d"
    monkeypatch.setenv("AIRFLOW_CONN_MYSQL_CAT", "mysql://u@h/d")
    with pytest.raises(StoreError, match="not PostgreSQL"):
        connection_url("mysql_cat")


def test_catalog_conn_id_names_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit.store.conftest import empty_pg_catalog

    url = empty_pg_catalog()
    monkeypatch.setenv("AIRFLOW_CONN_BLUELABEL_CATALOG", url.replace("+psycopg2", ""))
    monkeypatch.setenv("AIRFLOW__BLUELABEL__CATALOG_CONN_ID", "bluelabel_catalog")
    reset_settings()
    try:
        store = KnowledgeStore(tmp_path / "store")
        store.put(_record(), TEXT)
        assert store.catalog.dialect == "postgresql" and store.catalog.count() == 1
        assert not (tmp_path / "store" / "catalog.sqlite3").exists()
        # another store (a run may name one, e.g. on S3) has its own schema of that database:
        # the configured store's documents are not found in it (they have no text there)
        other = KnowledgeStore(tmp_path / "other")
        assert other.catalog.count() == 0 and other.query() == []
        other.put(_record(), TEXT)
        assert other.catalog.count() == 1 and store.catalog.count() == 1
        assert store_schema(tmp_path / "store") in store.catalog.url
        assert store_schema(tmp_path / "other") in other.catalog.url
    finally:
        monkeypatch.delenv("AIRFLOW__BLUELABEL__CATALOG_CONN_ID")
        reset_settings()


def test_an_unreachable_catalog_is_one_transient_line(tmp_path: Path) -> None:
    from bluelabel.store.catalog import Catalog

    catalog = Catalog.__new__(Catalog)  # no first use: the server is gone from the start
    from sqlalchemy import create_engine

    catalog.engine = create_engine("postgresql+psycopg2://nobody:secret@127.0.0.1:9/none")
    catalog.dialect, catalog.url = "postgresql", "x"
    with pytest.raises(StoreError, match="cannot reach the knowledge store's catalog") as caught:
        catalog.count()
    assert caught.value.permanent is False and "secret" not in str(caught.value)
