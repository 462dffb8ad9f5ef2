"""Per-workflow and per-step statistics from the metadata DB: task instances (their state and
duration, which the scheduler records even for a task killed before its listener ran) joined
with the listener's ``bluelabel_metrics`` XCom records (CPU, memory, pages)."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bluelabel.metrics import METRICS_XCOM_KEY
from bluelabel.timeparse import TimeParseError, parse_time

__all__ = ["TaskRun", "TimeParseError", "aggregate", "load_task_runs", "parse_time", "percentile"]


@dataclass
class TaskRun:
    dag_id: str
    task_id: str
    run_id: str
    state: str
    start: datetime | None
    duration_ms: float | None
    try_number: int
    record: dict[str, Any] | None  # the listener's record; None if it never ran (killed)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _stats(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"avg": None, "min": None, "max": None, "p50": None, "p95": None}
    return {
        "avg": round(sum(values) / len(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "p50": round(percentile(values, 50) or 0, 3),
        "p95": round(percentile(values, 95) or 0, 3),
    }


@dataclass
class Group:
    runs: int = 0
    succeeded: int = 0
    finished: int = 0
    durations: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    deltas: list[float] = field(default_factory=list)
    pages: int = 0
    agent_seconds: float = 0.0
    unknown_memory: int = 0

    def add(self, run: TaskRun) -> None:
        self.runs += 1
        if run.state in ("success", "failed", "upstream_failed"):
            self.finished += 1
            self.succeeded += run.state == "success"
        if run.duration_ms is not None:
            self.durations.append(run.duration_ms)
        record = run.record or {}
        if isinstance(record.get("maxrss_peak_mb"), (int, float)):
            self.peaks.append(record["maxrss_peak_mb"])
            self.deltas.append(record.get("maxrss_delta_mb") or 0.0)
        elif run.state in ("success", "failed"):
            self.unknown_memory += 1
        if isinstance(record.get("pages"), int) and isinstance(
            record.get("agent_run_ms"), (int, float)
        ):
            self.pages += record["pages"]
            self.agent_seconds += record["agent_run_ms"] / 1000

    def summary(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "success_rate": round(self.succeeded / self.finished, 4) if self.finished else None,
            "duration_ms": _stats(self.durations),
            "peak_memory_mb": {"avg": _stats(self.peaks)["avg"], "max": _stats(self.peaks)["max"]},
            "memory_delta_mb": {
                "avg": _stats(self.deltas)["avg"],
                "max": _stats(self.deltas)["max"],
            },
            "memory_unknown_runs": self.unknown_memory,
            "pages_per_second": round(self.pages / self.agent_seconds, 1)
            if self.agent_seconds
            else None,
        }


def load_task_runs(
    session: Any,
    *,
    dag_ids: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200_000,
) -> list[TaskRun]:
    """Task instances (newest first) with their metrics records, by one outer-join query."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from sqlalchemy import and_, select

    # XCom's primary key starts with dag_run_id: join through the run's id so the database
    # finds each task's record by index (joining on dag_id/run_id scanned XCom per row).
    query = (
        select(
            TaskInstance.dag_id,
            TaskInstance.task_id,
            TaskInstance.run_id,
            TaskInstance.state,
            TaskInstance.start_date,
            TaskInstance.duration,
            TaskInstance.try_number,
            XComModel.value,
        )
        .join(
            DagRun, and_(DagRun.dag_id == TaskInstance.dag_id, DagRun.run_id == TaskInstance.run_id)
        )
        .outerjoin(
            XComModel,
            and_(
                XComModel.dag_run_id == DagRun.id,
                XComModel.task_id == TaskInstance.task_id,
                XComModel.map_index == TaskInstance.map_index,
                XComModel.key == METRICS_XCOM_KEY,
            ),
        )
        .order_by(TaskInstance.start_date.desc())
        .limit(limit)
    )
    if dag_ids is not None:
        query = query.where(TaskInstance.dag_id.in_(list(dag_ids)))
    if since is not None:
        query = query.where(TaskInstance.start_date >= since)
    if until is not None:
        query = query.where(TaskInstance.start_date <= until)
    runs = []
    for dag_id, task_id, run_id, state, start, duration, try_number, value in session.execute(
        query
    ):
        record = None
        if value is not None:
            record = json.loads(value) if isinstance(value, (str, bytes)) else value
        # The listener times execution in the task process; the task instance's duration also
        # counts process start-up, and is all there is when the listener never ran.
        measured = (record or {}).get("duration_ms")
        duration_ms = (
            measured
            if measured is not None
            else (duration * 1000 if duration is not None else None)
        )
        runs.append(
            TaskRun(
                dag_id,
                task_id,
                run_id,
                str(state.value if hasattr(state, "value") else state),
                start,
                duration_ms,
                try_number or 0,
                record,
            )
        )
    return runs


#: Points of a workflow's duration series sent to the page (the newest).
MAX_SERIES = 500


def _latest(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(points, key=lambda p: p["start"])[-MAX_SERIES:]


def aggregate(runs: Iterable[TaskRun]) -> dict[str, Any]:
    """``{"workflows": {dag_id: {...}}, "steps": {dag_id: {task_id: {...}}}}``.

    Workflow figures are over DAG runs: a run's duration is the span of its tasks, and it
    succeeded when all of its tasks did.
    """
    steps: dict[str, dict[str, Group]] = defaultdict(lambda: defaultdict(Group))
    dag_runs: dict[tuple[str, str], list[TaskRun]] = defaultdict(list)
    for run in runs:
        steps[run.dag_id][run.task_id].add(run)
        dag_runs[(run.dag_id, run.run_id)].append(run)
    workflows: dict[str, Group] = defaultdict(Group)
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (dag_id, run_id), tasks in dag_runs.items():
        group = workflows[dag_id]
        group.runs += 1
        states = {t.state for t in tasks}
        if states <= {"success", "failed", "upstream_failed", "skipped"}:
            group.finished += 1
            group.succeeded += "failed" not in states and "upstream_failed" not in states
        starts = [t.start for t in tasks if t.start]
        ends = [
            t.start + timedelta(milliseconds=t.duration_ms)
            for t in tasks
            if t.start and t.duration_ms is not None
        ]
        if starts and ends:
            span = (max(ends) - min(starts)).total_seconds() * 1000
            group.durations.append(span)
            series[dag_id].append(
                {
                    "run_id": run_id,
                    "start": min(starts).isoformat(),
                    "duration_ms": round(span, 3),
                    "state": "failed"
                    if "failed" in states
                    else "success"
                    if states == {"success"}
                    else "other",
                }
            )
        peaks = [
            t.record["maxrss_peak_mb"]
            for t in tasks
            if t.record and isinstance(t.record.get("maxrss_peak_mb"), (int, float))
        ]
        if peaks:
            group.peaks.append(max(peaks))
        for t in tasks:
            rec = t.record or {}
            if isinstance(rec.get("pages"), int) and isinstance(
                rec.get("agent_run_ms"), (int, float)
            ):
                group.pages += rec["pages"]
                group.agent_seconds += rec["agent_run_ms"] / 1000
    return {
        "workflows": {
            dag_id: {**g.summary(), "series": _latest(series[dag_id])}
            for dag_id, g in sorted(workflows.items())
        },
        "steps": {
            dag_id: {task_id: g.summary() for task_id, g in sorted(tasks.items())}
            for dag_id, tasks in sorted(steps.items())
        },
    }
