"""``bluelabel ingest DIR``, ``bluelabel search`` and ``bluelabel store reindex``, run as a
user runs them, against the store's SQLite catalog."""

from __future__ import annotations

import json
from pathlib import Path

from bluelabel.store import KnowledgeStore
from bluelabel.store.search import search
from tests.unit.cli.test_commands import run


def _folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "glacier.txt").write_text("The glacier retreated; surveyors mapped the moraine.")
    (docs / "sub" / "harbour.html").write_text(
        "<html><title>Harbour</title><body>Cranes unload ships near the glacier.</body></html>"
    )
    (docs / "sub" / "tides.md").write_text("Spring tides follow the full moon.")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    (docs / "notes.bin").write_bytes(b"\x00\x01")  # not a supported file: not tried
    (docs / ".hidden.txt").write_text("a hidden file is skipped")
    return docs


def test_ingest_a_folder_search_it_and_reindex(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ingest = run("ingest", str(_folder(tmp_path)), "--store", str(store), "--tag", "demo")
    assert ingest.returncode == 1  # one file failed
    failures = [line for line in ingest.stderr.splitlines() if "ingest failed" in line]
    assert len(failures) == 1 and "broken.pdf" in failures[0], ingest.stderr
    assert ingest.stdout.strip().startswith("ingested 3 of 4 file(s)"), ingest.stdout

    found = run("search", "glacier", "--store", str(store), "--format", "json")
    assert found.returncode == 0, found.stderr
    items = json.loads(found.stdout)
    assert {i["title"] for i in items} == {"Harbour", "glacier"}
    assert all(set(i) >= {"content_id", "title", "snippet", "score"} for i in items)
    same = search(KnowledgeStore(store).catalog, q="glacier")  # what the API answers
    assert [i["content_id"] for i in items] == [h.record.content_id for h in same.hits]
    html = json.loads(
        run("search", "glacier", "--type", "html", "--store", str(store), "--format", "json").stdout
    )
    assert [i["title"] for i in html] == ["Harbour"]
    assert (
        json.loads(
            run(
                "search", "tides", "--tag", "other", "--store", str(store), "--format", "json"
            ).stdout
        )
        == []
    )
    text = run("search", "tides", "--tag", "demo", "--store", str(store))
    assert "tides" in text.stdout and text.returncode == 0

    (store / "catalog.sqlite3").unlink()  # a store from before the catalog: rebuilt
    for extra in store.glob("catalog.sqlite3*"):
        extra.unlink()
    reindex = run("store", "reindex", "--store", str(store))
    assert reindex.returncode == 0 and "3 document(s) read; 3 catalog row(s) added" in (
        reindex.stdout
    ), reindex.stdout + reindex.stderr
    check = run("store", "check", "--store", str(store))
    assert check.returncode == 0 and check.stdout.splitlines()[-1] == "no problems found"
    again = json.loads(run("search", "glacier", "--store", str(store), "--format", "json").stdout)
    assert again == items


def test_reindex_imports_the_run_files_of_an_older_store(tmp_path: Path) -> None:
    """A store from before the run ledger was a catalog table keeps its history."""
    from datetime import datetime, timezone

    store = tmp_path / "store"
    folder = store / "runs" / "20261102"
    folder.mkdir(parents=True)
    record = {
        "dag_id": "batch",
        "run_id": "r1",
        "task_id": "ingest",
        "map_index": -1,
        "try_number": 1,
        "outcome": "success",
        "agent": "ingestion_agent",
        "started_at": "2026-11-02T09:00:00+00:00",
        "finished_at": "2026-11-02T09:00:02+00:00",
    }
    (folder / "20261102T090002000000Z-batch-ingest--1-1-ab12cd34.json").write_text(
        json.dumps(record)
    )
    first = run("store", "reindex", "--store", str(store))
    again = run("store", "reindex", "--store", str(store))
    assert first.returncode == 0 and "; 1 run record(s) imported" in first.stdout, first.stderr
    assert "; 0 run record(s) imported" in again.stdout
    since = datetime(2026, 11, 1, tzinfo=timezone.utc)
    until = datetime(2026, 11, 3, tzinfo=timezone.utc)
    [entry] = KnowledgeStore(store).tries(since=since, until=until)
    assert entry["run_id"] == "r1" and entry["outcome"] == "success"


def test_a_large_folder_goes_in_chunks_to_several_processes(tmp_path: Path) -> None:
    from bluelabel.cli.catalog import CHUNK_FILES

    docs = tmp_path / "many"
    docs.mkdir()
    count = 2 * CHUNK_FILES + 50  # three chunks, for two processes
    for n in range(count):
        (docs / f"{n:04d}.txt").write_text(f"Note {n}: the orchard ledger, entry number{n}.")
    (docs / "0100.md").write_text((docs / "0100.txt").read_text())  # same text, same chunk
    (docs / f"{CHUNK_FILES + 10:04d}.pdf").write_bytes(b"%PDF-1.7 not really")  # chunk two
    store = tmp_path / "store"
    ingest = run("ingest", str(docs), "--store", str(store), "--jobs", "2")
    assert ingest.returncode == 1, ingest.stderr
    failures = [line for line in ingest.stderr.splitlines() if "ingest failed" in line]
    assert len(failures) == 1 and f"{CHUNK_FILES + 10:04d}.pdf" in failures[0], ingest.stderr
    assert ingest.stdout.strip() == (
        f"ingested {count + 1} of {count + 2} file(s) below {docs} ({count} new, 1 failed)"
    )
    catalog = KnowledgeStore(store).catalog
    assert catalog.count() == count
    assert search(catalog, q=f"number{count - 1}").total == 1  # the last chunk is committed
    check = run("store", "check", "--store", str(store))
    assert check.stdout.splitlines()[-1] == "no problems found", check.stdout


def test_jobs_must_be_one_or_more(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("a")
    refused = run("ingest", str(docs), "--store", str(tmp_path / "store"), "--jobs", "0")
    assert refused.returncode != 0 and "--jobs 0: give 1 or more processes" in refused.stderr


def test_ctrl_c_ends_a_folder_ingest_with_every_stored_document_in_the_catalog(
    tmp_path: Path,
) -> None:
    import os
    import signal
    import subprocess
    import time

    from tests.unit.cli.test_commands import BLUELABEL

    docs = tmp_path / "many"
    docs.mkdir()
    for n in range(3000):
        (docs / f"{n:04d}.txt").write_text(f"Note {n} of the harbour ledger. " * 40)
    store = tmp_path / "store"
    ingest = subprocess.Popen(
        [BLUELABEL, "ingest", str(docs), "--store", str(store), "--jobs", "2", "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not (store / "objects").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # mid-chunk
    os.killpg(ingest.pid, signal.SIGINT)
    ingest.communicate(timeout=120)
    assert ingest.returncode in (130, 0)  # 0: it had finished already
    check = run("store", "check", "--store", str(store))
    assert check.stdout.splitlines()[-1] == "no problems found", check.stdout
