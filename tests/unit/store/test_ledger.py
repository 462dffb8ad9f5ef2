"""The run ledger as a catalog table, on SQLite and PostgreSQL: one row per try from its start
to its report, the period in one query, killed tries by their deadline, and the import of the
JSON files stores kept before (``bluelabel store reindex``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bluelabel.store import KnowledgeStore
from bluelabel.store.ledger import KILLED_REASON, REPORT_SLACK, UNBOUNDED_TRY, records_of_runs
from bluelabel.store.records import RunRef
from bluelabel.store.reindex import import_ledger_files

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def report(run: RunRef, outcome: str, start: datetime, seconds: float, **extra: Any) -> dict:
    """A try's record as the metrics listener keeps it."""
    return {
        "dag_id": run.dag_id,
        "run_id": run.run_id,
        "task_id": run.task_id,
        "map_index": run.map_index,
        "try_number": run.try_number,
        "outcome": outcome,
        "duration_ms": seconds * 1000,
        "agent": "ingestion_agent",
        "started_at": start.isoformat(),
        "finished_at": (start + timedelta(seconds=seconds)).isoformat(),
        **extra,
    }


def start(store: KnowledgeStore, run: RunRef, at: datetime, limit: timedelta | None) -> None:
    store.start_try(
        run,
        started_at=at,
        time_limit=limit,
        dag_display_name="Batch Ingestion",
        record={"agent": "ingestion_agent", "source": f"/in/{run.run_id}.pdf"},
    )


def rows(store: KnowledgeStore) -> list[tuple[Any, ...]]:
    from sqlalchemy import text

    with store.catalog.reading() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT run_id, try_number, outcome, dag_display_name, finished_at IS NULL "
                    "FROM bluelabel_tries ORDER BY run_id, try_number"
                )
            )
        ]


def test_a_try_is_one_row_from_its_start_to_its_report(store: KnowledgeStore) -> None:
    run = RunRef("batch", "r1", "ingest", 4, 1)
    start(store, run, T0, timedelta(minutes=10))
    start(store, run, T0, timedelta(minutes=10))  # said twice: still one row
    assert rows(store) == [("r1", 1, "running", "Batch Ingestion", True)]

    store.record_try(report(run, "failed", T0, 3, reason="not a PDF"))

    assert rows(store) == [("r1", 1, "failed", "Batch Ingestion", False)]  # the name stays
    [entry] = store.tries(since=T0, until=T0 + DAY)
    assert entry["outcome"] == "failed" and entry["reason"] == "not a PDF"
    assert entry["map_index"] == 4 and entry["dag_display_name"] == "Batch Ingestion"
    assert datetime.fromisoformat(entry["finished_at"]) == T0 + timedelta(seconds=3)


def test_the_period_is_the_tries_that_reported_in_it(store: KnowledgeStore) -> None:
    for n, at in enumerate((T0 - DAY, T0 + timedelta(hours=1), T0 + 2 * DAY)):
        store.record_try(report(RunRef("batch", f"r{n}", "ingest"), "success", at, 60))
    found = store.tries(since=T0, until=T0 + DAY)
    assert [e["run_id"] for e in found] == ["r1"]
    assert store.tries(since=T0 + 3 * DAY, until=T0 + 4 * DAY) == []


def test_a_try_without_a_report_is_killed_once_past_its_deadline(store: KnowledgeStore) -> None:
    limit = timedelta(minutes=30)
    start(store, RunRef("batch", "r1", "ingest"), T0, limit)
    start(store, RunRef("batch", "r2", "ingest"), T0, None)  # no limit: a day
    deadline = T0 + limit + REPORT_SLACK

    def killed(until: datetime, now: datetime | None = None) -> list[str]:
        found = store.tries(since=T0, until=until, now=now or until)
        assert all(e["outcome"] == "killed" and e["finished_at"] is None for e in found)
        return [e["run_id"] for e in found]

    assert killed(deadline - timedelta(seconds=1)) == []  # may still be running
    assert killed(deadline) == ["r1"]
    assert killed(T0 + 2 * DAY) == ["r1", "r2"]
    # a period ending in the future is judged as of now
    assert killed(T0 + 2 * DAY, now=deadline - timedelta(seconds=1)) == []
    # each killed try is in the one period its deadline falls in
    assert store.tries(since=deadline + timedelta(seconds=1), until=T0 + UNBOUNDED_TRY) == []
    [entry] = store.tries(since=T0, until=deadline)
    assert entry["reason"] == KILLED_REASON and entry["source"] == "/in/r1.pdf"
    assert entry["retried"] is False and entry["agent"] == "ingestion_agent"


def test_a_killed_try_that_airflow_retried_says_so(store: KnowledgeStore) -> None:
    first, second = RunRef("batch", "r1", "ingest"), RunRef("batch", "r1", "ingest", -1, 2)
    start(store, first, T0, timedelta(minutes=5))
    start(store, second, T0 + timedelta(minutes=20), timedelta(minutes=5))
    store.record_try(report(second, "success", T0 + timedelta(minutes=20), 30))
    found = {e["try_number"]: e for e in store.tries(since=T0, until=T0 + DAY)}
    assert found[1]["outcome"] == "killed" and found[1]["retried"] is True
    assert found[2]["outcome"] == "success" and "retried" not in found[2]


def _old_ledger(root: Path, entries: list[dict]) -> list[Path]:
    """Files as stores kept them before the table (``runs/YYYYMMDD/<time>-...json``)."""
    paths = []
    for n, entry in enumerate(entries):
        finished = datetime.fromisoformat(entry["finished_at"])
        folder = root / "runs" / finished.strftime("%Y%m%d")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{finished:%Y%m%dT%H%M%S%fZ}-{entry['dag_id']}-{n}.json"
        path.write_text(json.dumps(entry, sort_keys=True))
        paths.append(path)
    return paths


def test_reindex_imports_the_old_run_files_once_and_leaves_them(store: KnowledgeStore) -> None:
    old = [
        report(RunRef("batch", "r1", "ingest", -1, 1), "failed", T0, 2, reason="torn"),
        report(RunRef("batch", "r1", "ingest", -1, 2), "success", T0 + timedelta(minutes=1), 4),
        report(RunRef("pdf", "r9", "digest", 0, 1), "success", T0 + DAY, 1),
    ]
    paths = _old_ledger(Path(store.location), old)
    damaged = paths[0].parent / "20261102T100000000000Z-broken.json"
    damaged.write_text('{"dag_id": "batch", "run_')
    # a try already in the table (reported since) is not overwritten by its old file
    store.record_try({**old[2], "outcome": "failed", "dag_display_name": "PDF"})

    assert import_ledger_files(store, batch=2) == 2
    assert import_ledger_files(store) == 0  # again: nothing new

    found = store.tries(since=T0 - DAY, until=T0 + 2 * DAY)
    assert [(e["run_id"], e["try_number"], e["outcome"]) for e in found] == [
        ("r1", 1, "failed"),
        ("r1", 2, "success"),
        ("r9", 1, "failed"),
    ]
    assert found[0]["reason"] == "torn" and found[0]["dag_display_name"] is None
    assert all(p.exists() for p in paths) and damaged.exists()  # the user's files stay
    assert any("broken.json" in p and "not a run record" in p for p in store.problems)


def test_the_table_and_its_indexes(store: KnowledgeStore) -> None:
    from sqlalchemy import inspect

    with store.catalog.reading() as conn:
        table = inspect(conn)
        key = table.get_pk_constraint("bluelabel_tries")["constrained_columns"]
        indexes = {i["name"]: i["column_names"] for i in table.get_indexes("bluelabel_tries")}
    assert key == ["dag_id", "run_id", "task_id", "map_index", "try_number"]
    assert indexes["bluelabel_tries_finished"] == ["finished_at"]
    assert indexes["bluelabel_tries_deadline"] == ["outcome", "deadline_at"]


def test_a_record_without_its_try_is_refused(store: KnowledgeStore) -> None:
    with pytest.raises(ValueError, match="run_id"):
        store.record_try({"dag_id": "batch", "task_id": "t", "started_at": T0.isoformat()})


def test_the_records_of_runs_are_the_tries_that_reported(store: KnowledgeStore) -> None:
    """What the metrics readers join with Airflow's tries: the reported records of the runs
    asked for, by try; a ``running`` row (still running, or killed) has none yet."""
    done = RunRef("batch", "r1", "ingest", 4, 1)
    retried = RunRef("batch", "r1", "ingest", 4, 2)
    running = RunRef("batch", "r1", "digest", -1, 1)
    other_dag = RunRef("other", "r1", "plain", -1, 1)
    other_run = RunRef("batch", "r2", "ingest", -1, 1)
    start(store, done, T0, None)
    store.record_try(report(done, "failed", T0, 3, maxrss_peak_mb=120.5))
    store.record_try(report(retried, "success", T0 + DAY, 2))
    start(store, running, T0, None)
    store.record_try(report(other_dag, "success", T0, 1))
    store.record_try(report(other_run, "success", T0, 1))

    found = records_of_runs(store.catalog, [("batch", "r1")])

    assert set(found) == {("batch", "r1", "ingest", 4, 1), ("batch", "r1", "ingest", 4, 2)}
    first = found[("batch", "r1", "ingest", 4, 1)]
    assert first["outcome"] == "failed" and first["maxrss_peak_mb"] == 120.5
    assert records_of_runs(store.catalog, []) == {}
    # many runs are asked for in several queries, each run's records still found
    many = [("batch", f"x{i}") for i in range(1200)] + [("other", "r1")]
    assert set(records_of_runs(store.catalog, many)) == {("other", "r1", "plain", -1, 1)}
