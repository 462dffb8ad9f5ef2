"""Run statistics from task tries: every try counts, outcomes named as what they are."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bluelabel.runstats import RunInfo, TaskTry, percentile, summarize_tries, tries_from_ledger

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def tr(
    task: str,
    run: str,
    state: str,
    start_s: float,
    seconds: float,
    *,
    try_number: int = 1,
    record: bool = True,
    pages: int | None = None,
    dag: str = "wf",
) -> TaskTry:
    rec: dict[str, Any] | None = None
    if record:
        rec = {
            "maxrss_peak_mb": 60.0,
            "maxrss_delta_mb": 10.0,
            "agent_run_ms": seconds * 500,  # the agent's own work: half of Airflow's time
        }
        if pages is not None:
            rec["pages"] = pages
    start = T0 + timedelta(seconds=start_s)
    return TaskTry(
        dag, run, task, -1, try_number, state, start, start + timedelta(seconds=seconds), rec
    )


def test_percentile() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 95) == 5
    assert percentile([], 50) is None


def test_a_run_with_a_skipped_step_succeeded_everywhere() -> None:
    # The batch workflow: nothing new, so its digest step is skipped; the run succeeded.
    tries = [tr("scan", "r1", "success", 0, 1), tr("digest", "r1", "skipped", 1, 0, record=False)]
    runs = [RunInfo("wf", "r1", "success", T0, T0 + timedelta(seconds=2))]
    stats = summarize_tries(tries, runs)
    assert stats["workflows"]["wf"]["success_rate"] == 1.0
    digest = stats["steps"]["wf"]["digest"]
    assert digest["outcomes"] == {"skipped": 1} and digest["success_rate"] is None
    # Without the DAG run's own state (the store's ledger) the same verdict:
    assert summarize_tries(tries)["workflows"]["wf"]["success_rate"] == 1.0


def test_upstream_failed_is_not_a_failure_of_the_step() -> None:
    tries = [
        tr("ingest", "r1", "failed", 0, 1),
        tr("digest", "r1", "upstream_failed", 1, 0, record=False),
    ]
    stats = summarize_tries(tries, [RunInfo("wf", "r1", "failed", T0, T0 + timedelta(seconds=1))])
    digest = stats["steps"]["wf"]["digest"]
    assert digest["outcomes"] == {"upstream_failed": 1} and digest["success_rate"] is None
    assert stats["workflows"]["wf"]["success_rate"] == 0.0


def test_every_try_counts_and_killed_ones_have_unknown_memory() -> None:
    tries = [
        tr("ingest", "r1", "failed", 0, 3, try_number=1, record=False),  # SIGKILL: no record
        tr("ingest", "r1", "failed", 10, 2, try_number=2),  # a timeout, measured
        tr("ingest", "r1", "success", 20, 1, try_number=3, pages=40),
    ]
    step = summarize_tries(tries)["steps"]["wf"]["ingest"]
    assert step["tries"] == 3
    assert step["outcomes"] == {"failed": 1, "killed": 1, "success": 1}
    assert step["success_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert step["memory_unknown_runs"] == 1
    assert step["peak_memory_mb"] == {"avg": 60.0, "max": 60.0}
    # Airflow's start to end, with the agent's own share beside it
    assert step["duration_ms"]["min"] == 1000 and step["duration_ms"]["max"] == 3000
    assert step["agent_share"] == pytest.approx((1000 + 500) / 1000 / 3, abs=1e-3)
    assert step["pages_per_second"] == pytest.approx(40 / 0.5)


def test_run_duration_and_series_come_from_the_dag_run() -> None:
    tries = [tr("a", "r1", "success", 0, 1), tr("a", "r2", "success", 10, 1)]
    runs = [
        RunInfo("wf", "r1", "success", T0, T0 + timedelta(seconds=4)),
        RunInfo("wf", "r2", "running", T0 + timedelta(seconds=10), None),
    ]
    workflow = summarize_tries(tries, runs)["workflows"]["wf"]
    assert workflow["outcomes"] == {"running": 1, "success": 1}
    assert workflow["duration_ms"]["avg"] == 4000  # the finished run only
    assert [p["state"] for p in workflow["series"]] == ["success"]


def test_ledger_records_become_tries() -> None:
    record = {
        "dag_id": "wf",
        "run_id": "r1",
        "task_id": "ingest",
        "map_index": -1,
        "try_number": 2,
        "outcome": "success",
        "started_at": T0.isoformat(),
        "finished_at": (T0 + timedelta(seconds=2)).isoformat(),
        "agent": "ingestion_agent",
    }
    (one,) = tries_from_ledger([record, {"dag_id": "broken"}])
    assert one.try_number == 2 and one.seconds == 2.0 and one.outcome == "success"


def test_a_killed_ledger_try_has_a_start_and_no_end() -> None:
    killed = {
        "dag_id": "wf",
        "run_id": "r1",
        "task_id": "ingest",
        "map_index": 0,
        "try_number": 1,
        "outcome": "killed",
        "started_at": T0.isoformat(),
        "finished_at": None,
        "agent": "ingestion_agent",
    }
    (one,) = tries_from_ledger([killed])
    assert one.outcome == "killed" and one.seconds is None and one.map_index == 0
    steps = summarize_tries([one])["steps"]["wf"]["ingest"]
    assert steps["success_rate"] == 0.0 and steps["memory_unknown_runs"] == 1
