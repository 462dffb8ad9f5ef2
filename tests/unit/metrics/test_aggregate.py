"""Aggregation and the report, on task-run data as the metadata DB returns it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bluelabel.metrics.aggregate import TaskRun, TimeParseError, aggregate, parse_time, percentile
from bluelabel.metrics.report import build_report, render_html, render_markdown

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def run(
    dag: str,
    task: str,
    run_id: str,
    state: str,
    start_s: float,
    ms: float,
    record: bool = True,
    pages: int | None = None,
) -> TaskRun:
    rec = {
        "duration_ms": ms,
        "maxrss_start_mb": 50.0,
        "maxrss_peak_mb": 60.0,
        "maxrss_delta_mb": 10.0,
        "agent_run_ms": ms / 2,
        "outcome": state,
    }
    if pages is not None:
        rec["pages"] = pages
    return TaskRun(
        dag, task, run_id, state, T0 + timedelta(seconds=start_s), ms, 1, rec if record else None
    )


RUNS = [
    run("wf", "ingest", "r1", "success", 0, 100, pages=10),
    run("wf", "digest", "r1", "success", 0.1, 50),
    run("wf", "ingest", "r2", "success", 10, 300, pages=30),
    run("wf", "digest", "r2", "success", 10.3, 70),
    # killed by the OOM killer: the scheduler marked it failed, the listener never ran
    run("wf", "ingest", "r3", "failed", 20, 900, record=False),
    run("wf", "digest", "r3", "upstream_failed", 20.9, 0, record=False),
]


def test_percentile() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 95) == 5
    assert percentile([], 50) is None


def test_aggregate_per_workflow_and_step() -> None:
    data = aggregate(RUNS)
    workflow = data["workflows"]["wf"]
    assert workflow["runs"] == 3 and workflow["success_rate"] == pytest.approx(2 / 3, abs=1e-4)
    ingest = data["steps"]["wf"]["ingest"]
    assert ingest["runs"] == 3 and ingest["success_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert ingest["duration_ms"]["min"] == 100 and ingest["duration_ms"]["max"] == 900
    assert ingest["memory_unknown_runs"] == 1  # shown as failed with unknown memory
    assert ingest["peak_memory_mb"] == {"avg": 60.0, "max": 60.0}
    assert ingest["pages_per_second"] == pytest.approx(40 / 0.2)
    assert [p["state"] for p in workflow["series"]] == ["success", "success", "failed"]


def test_report_has_the_seed_tables_and_marks_targets() -> None:
    report = build_report(RUNS, since=None, dag_ids=None)
    text = render_markdown(report)
    for heading in (
        "## Executive Summary",
        "### Workflow Execution Times",
        "### Memory Usage",
        "### Concurrent Processing",
        "## Performance Targets Achievement",
    ):
        assert heading in text
    targets = {row[0]: row[3] for row in report["targets"]}
    assert targets["Success rate"] == "NOT met"
    assert targets["Workflow total, average"] == "met"
    assert targets["Large PDF ingest (1,000+ pages), max"] == "no data"
    assert any("without a measurement" in f for f in report["findings"])
    html = render_html(report)
    assert html.count("<table>") == html.count("</table>") >= 5


def test_parse_time() -> None:
    assert parse_time("2026-01-01", "since") == T0
    assert parse_time(None, "since") is None
    assert parse_time("7d", "since") < datetime.now(timezone.utc) - timedelta(days=6)
    with pytest.raises(TimeParseError, match="since='soon'"):
        parse_time("soon", "since")
