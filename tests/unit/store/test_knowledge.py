"""The knowledge store: content addressing, atomic writes, queries that read little."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bluelabel.errors import StoreError
from bluelabel.store import DocumentRecord, KnowledgeStore
from devtools.samples import build_pdf, sample_pages
from devtools.waiting import wait_until


def record(content_id: str, when: datetime, **extra: object) -> DocumentRecord:
    return DocumentRecord(
        content_id=content_id,
        content_type="text",
        source=f"src-{content_id}",
        title=f"T {content_id}",
        content_length=5,
        ingested_at=when.isoformat(),
        **extra,
    )  # type: ignore[arg-type]


NOW = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)


def test_put_get_and_read_back(store: KnowledgeStore) -> None:
    stored = store.put(record("a" * 32, NOW), "hello")
    assert store.get("a" * 32) == stored
    assert store.read_text("a" * 32) == "hello"
    assert store.has("a" * 32) and not store.has("b" * 32)
    assert store.get("b" * 32) is None


def test_second_put_keeps_the_first(store: KnowledgeStore) -> None:
    first = store.put(record("c" * 32, NOW), "first")
    again = store.put(record("c" * 32, NOW + timedelta(days=1)), "second")
    assert again == first and store.read_text("c" * 32) == "first"
    assert store.catalog.count() == 1


def test_query_newest_first_with_time_window_and_filters(store: KnowledgeStore) -> None:
    for day in range(6):
        store.put(
            record(f"{day:032d}", NOW + timedelta(days=day), tags=["odd"] if day % 2 else []),
            f"doc {day}",
        )
    assert [r.content_id[-1] for r in store.query(limit=3)] == ["5", "4", "3"]
    window = store.query(limit=None, since=NOW + timedelta(days=1), until=NOW + timedelta(days=3))
    assert [r.content_id[-1] for r in window] == ["3", "2", "1"]
    assert [r.content_id[-1] for r in store.query(tags=["odd"], limit=None)] == ["5", "3", "1"]
    assert store.query(source_contains="src-00000000000000000000000000000002")[
        0
    ].content_id.endswith("2")


def test_query_reads_only_the_catalog(store: KnowledgeStore) -> None:
    for day in range(20):
        store.put(record(f"{day:032d}", NOW + timedelta(days=day)), "x")
    for path in (Path(store.location) / "objects").rglob("*.json"):
        path.write_text("{ not json")  # reading any record would raise
    assert [r.content_id[-2:] for r in store.query(limit=3)] == ["19", "18", "17"]


def test_lost_catalog_row_is_restored_on_next_put(store: KnowledgeStore) -> None:
    store.put(record("d" * 32, NOW), "text")
    store.catalog.remove("d" * 32)  # a crash between the record and its row
    assert store.query() == []
    store.put(record("d" * 32, NOW), "text")
    assert [r.content_id for r in store.query()] == ["d" * 32]


def test_object_storage_path_store(tmp_path: Path) -> None:
    # The non-local code path, through Airflow's ObjectStoragePath (file:// needs no service).
    from airflow.sdk import ObjectStoragePath

    remote = ObjectStoragePath(f"file://{tmp_path}/remote-store")
    with pytest.raises(StoreError, match="set \\[bluelabel\\] catalog_conn_id"):
        KnowledgeStore(remote).query()
    store = KnowledgeStore(remote, catalog=f"sqlite:///{tmp_path}/catalog.sqlite3")
    assert not store.is_local
    store.put(record("e" * 32, NOW), "remote text")
    assert store.read_text("e" * 32) == "remote text"
    assert [r.content_id for r in store.query()] == ["e" * 32]
    assert (tmp_path / "remote-store" / "objects" / "ee" / f"{'e' * 32}.txt").exists()


KILL_SCRIPT = """
import sys
from bluelabel.agents import AgentContext, AgentInput, get_agent
from bluelabel.store import KnowledgeStore
ctx = AgentContext(store=KnowledgeStore(sys.argv[1]))
get_agent("ingestion").run(AgentInput(task_type="pdf", content={"file_path": sys.argv[2]},
                                      config={"workers": 1}), ctx)
"""


@pytest.mark.slow  # over 10 s: make test only
def test_killed_ingest_leaves_nothing_visible(tmp_path: Path) -> None:
    pdf = tmp_path / "big.pdf"
    pdf.write_bytes(build_pdf(sample_pages(1500)))
    store_dir = tmp_path / "store"
    process = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(store_dir), str(pdf)])
    staging = store_dir / "tmp"

    def extracting() -> bool:
        assert process.poll() is None, "ingest ended before it could be killed"
        return staging.exists() and any(staging.iterdir())

    wait_until(extracting, timeout=30, interval=0.01, what="the extraction started")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    store = KnowledgeStore(store_dir)
    assert store.query() == []
    assert not (store_dir / "objects").exists() or not list((store_dir / "objects").rglob("*"))
    # ...and the document can be ingested afterwards
    subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(store_dir), str(pdf)], check=True)
    (only,) = store.query()
    assert store.read_text(only.content_id).count("\f") == 1499
    assert json.loads(
        (store_dir / "objects" / only.content_id[:2] / f"{only.content_id}.json").read_text()
    )


def test_files_are_readable_as_the_umask_allows(store: KnowledgeStore) -> None:
    from bluelabel.store.paths import FILE_MODE

    path = Path(store.write_digest("d.md", "# digest"))
    mask = os.umask(0o022)
    os.umask(mask)
    assert 0o666 & ~mask == FILE_MODE
    assert path.stat().st_mode & 0o777 == FILE_MODE  # not mkstemp's 0600
