"""Run statistics: the one place where task tries become figures.

Per try, per step, per run and per workflow; every try counts (a retried task's earlier tries
too). Outcomes are what Airflow says, named as a person would read them: ``success``,
``failed``, ``killed`` (the try failed and its measurement never arrived: OOM, SIGKILL, a lost
worker; memory unknown), ``skipped``, ``upstream_failed`` (never ran because a task before it
failed), ``running``. A step's success rate is over the tries that ran to an end (success,
failed, killed); skipped and upstream-failed tries are counted apart, never as failures of the
step. A run's outcome is the DAG run's own state when known. Task time is Airflow's start to
end of the try; the agent's own share (its ``agent_run_ms``) is shown beside it.

Used by the metrics API and page, ``bluelabel report`` and the periodic digest. No Airflow
import: loaders (:mod:`bluelabel.metrics.db` for the metadata DB, :func:`tries_from_ledger`
for the store's run ledger) produce :class:`TaskTry` and :class:`RunInfo` values.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

FINISHED = frozenset({"success", "failed", "killed"})
#: Points of a workflow's duration series (the newest).
MAX_SERIES = 500


@dataclass(frozen=True)
class TaskTry:
    """One try of one task instance, as Airflow recorded it, with its measurement if any."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    state: str
    start: datetime | None
    end: datetime | None
    #: the metrics listener's record of this try; None: it never arrived
    record: Mapping[str, Any] | None = None

    @property
    def outcome(self) -> str:
        state = {"up_for_retry": "failed", "up_for_reschedule": "running"}.get(
            self.state, self.state
        )
        if state == "failed" and self.record is None and self.start is not None:
            return "killed"
        return state or "none"

    @property
    def seconds(self) -> float | None:
        """Airflow's start to end of the try."""
        if self.start is None or self.end is None:
            return None
        return max(0.0, (self.end - self.start).total_seconds())

    def number(self, key: str) -> float | None:
        value = (self.record or {}).get(key)
        return (
            float(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            else None
        )


@dataclass(frozen=True)
class RunInfo:
    """A DAG run as Airflow recorded it."""

    dag_id: str
    run_id: str
    state: str
    start: datetime | None
    end: datetime | None

    @property
    def seconds(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return max(0.0, (self.end - self.start).total_seconds())


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Spread:
    count: int
    avg: float | None
    min: float | None
    max: float | None
    p50: float | None
    p95: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            return cls(0, None, None, None, None, None)
        return cls(
            len(values),
            sum(values) / len(values),
            min(values),
            max(values),
            percentile(values, 50),
            percentile(values, 95),
        )

    def scaled(self, factor: float, digits: int = 3) -> dict[str, float | None]:
        def conv(value: float | None) -> float | None:
            return None if value is None else round(value * factor, digits)

        return {k: conv(getattr(self, k)) for k in ("avg", "min", "max", "p50", "p95")}


@dataclass
class StepStats:
    """Every try of one step (task id) of one workflow."""

    dag_id: str
    task_id: str
    outcomes: Counter[str] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)
    agent_ms: list[float] = field(default_factory=list)
    #: Airflow seconds of the tries whose agent time is known (the share's denominator)
    measured_seconds: float = 0.0
    peaks_mb: list[float] = field(default_factory=list)
    deltas_mb: list[float] = field(default_factory=list)
    memory_unknown: int = 0
    pages: int = 0
    agent_seconds_with_pages: float = 0.0

    def add(self, t: TaskTry) -> None:
        outcome = t.outcome
        self.outcomes[outcome] += 1
        if outcome not in FINISHED:
            return
        if t.seconds is not None:
            self.seconds.append(t.seconds)
        agent = t.number("agent_run_ms")
        if agent is not None:
            self.agent_ms.append(agent)
            self.measured_seconds += t.seconds or 0.0
        peak = t.number("maxrss_peak_mb")
        if peak is None:
            self.memory_unknown += 1
        else:
            self.peaks_mb.append(peak)
            self.deltas_mb.append(t.number("maxrss_delta_mb") or 0.0)
        pages = t.number("pages")
        if pages is not None and agent:
            self.pages += int(pages)
            self.agent_seconds_with_pages += agent / 1000

    @property
    def tries(self) -> int:
        return sum(self.outcomes.values())

    @property
    def finished(self) -> int:
        return sum(self.outcomes[o] for o in FINISHED)

    @property
    def success_rate(self) -> float | None:
        return self.outcomes["success"] / self.finished if self.finished else None

    def to_dict(self) -> dict[str, Any]:
        duration = Spread.of(self.seconds)
        agent = Spread.of(self.agent_ms)
        share = (
            (sum(self.agent_ms) / 1000) / self.measured_seconds
            if self.agent_ms and self.measured_seconds > 0
            else None
        )
        peaks, deltas = Spread.of(self.peaks_mb), Spread.of(self.deltas_mb)
        return {
            "tries": self.tries,
            "runs": self.tries,  # kept for clients of the first API
            "outcomes": dict(sorted(self.outcomes.items())),
            "success_rate": None if self.success_rate is None else round(self.success_rate, 4),
            "duration_ms": duration.scaled(1000),
            "agent_ms": agent.scaled(1),
            "agent_share": None if share is None else round(min(share, 1.0), 4),
            "peak_memory_mb": {"avg": _r(peaks.avg), "max": _r(peaks.max)},
            "memory_delta_mb": {"avg": _r(deltas.avg), "max": _r(deltas.max)},
            "memory_unknown_runs": self.memory_unknown,
            "pages_per_second": round(self.pages / self.agent_seconds_with_pages, 1)
            if self.agent_seconds_with_pages
            else None,
        }


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class RunStats:
    """One DAG run: its outcome, Airflow's duration, the peak memory of its tries."""

    dag_id: str
    run_id: str
    outcome: str
    start: datetime | None
    seconds: float | None
    tries: int
    peak_mb: float | None
    pages: int
    agent_seconds: float

    def to_point(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "start": self.start.isoformat() if self.start else None,
            "duration_ms": None if self.seconds is None else round(self.seconds * 1000, 3),
            "state": self.outcome,
        }


def _run_outcome(tries: Sequence[TaskTry]) -> str:
    """Without the DAG run's own state: failed when a task's last try failed, else success
    once nothing is left running."""
    last: dict[tuple[str, int], TaskTry] = {}
    for t in tries:
        key = (t.task_id, t.map_index)
        if key not in last or t.try_number > last[key].try_number:
            last[key] = t
    outcomes = {t.outcome for t in last.values()}
    if outcomes & {"failed", "killed", "upstream_failed"}:
        return "failed"
    if outcomes <= {"success", "skipped"}:
        return "success"
    return "running"


def run_stats(tries: Iterable[TaskTry], runs: Iterable[RunInfo] = ()) -> list[RunStats]:
    """Per DAG run, oldest first."""
    by_run: dict[tuple[str, str], list[TaskTry]] = defaultdict(list)
    for t in tries:
        by_run[(t.dag_id, t.run_id)].append(t)
    known = {(r.dag_id, r.run_id): r for r in runs}
    out = []
    for key in sorted(set(by_run) | set(known), key=lambda k: _run_start(by_run[k], known.get(k))):
        group, info = by_run.get(key, []), known.get(key)
        starts = [t.start for t in group if t.start]
        ends = [t.end for t in group if t.end]
        if info is not None and info.state not in ("", "none"):
            outcome = {"queued": "running"}.get(info.state, info.state)
            seconds = info.seconds
            start = info.start
        else:
            outcome = _run_outcome(group)
            start = min(starts) if starts else None
            seconds = (max(ends) - start).total_seconds() if start and ends else None
        peaks = [p for t in group if (p := t.number("maxrss_peak_mb")) is not None]
        pages = agent = 0.0
        for t in group:
            if (n := t.number("pages")) is not None and (a := t.number("agent_run_ms")):
                pages += n
                agent += a / 1000
        out.append(
            RunStats(
                key[0],
                key[1],
                outcome,
                start,
                seconds,
                len(group),
                max(peaks) if peaks else None,
                int(pages),
                agent,
            )
        )
    return out


def _run_start(tries: Sequence[TaskTry], info: RunInfo | None) -> datetime:
    starts = [t.start for t in tries if t.start]
    if info is not None and info.start is not None:
        return info.start
    return min(starts) if starts else datetime.min.replace(tzinfo=timezone.utc)


@dataclass
class WorkflowStats:
    dag_id: str
    runs: list[RunStats] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        outcomes = Counter(r.outcome for r in self.runs)
        finished = outcomes["success"] + outcomes["failed"]
        done = [r.seconds for r in self.runs if r.seconds is not None and r.outcome != "running"]
        peaks = [r.peak_mb for r in self.runs if r.peak_mb is not None]
        pages = sum(r.pages for r in self.runs)
        agent = sum(r.agent_seconds for r in self.runs)
        series = sorted(
            (r.to_point() for r in self.runs if r.start is not None and r.seconds is not None),
            key=lambda p: str(p["start"]),
        )[-MAX_SERIES:]
        return {
            "runs": len(self.runs),
            "outcomes": dict(sorted(outcomes.items())),
            "success_rate": round(outcomes["success"] / finished, 4) if finished else None,
            "duration_ms": Spread.of(done).scaled(1000),
            "peak_memory_mb": {
                "avg": _r(sum(peaks) / len(peaks)) if peaks else None,
                "max": _r(max(peaks)) if peaks else None,
            },
            "memory_unknown_runs": sum(1 for r in self.runs if r.peak_mb is None),
            "pages_per_second": round(pages / agent, 1) if agent else None,
            "series": series,
        }


def summarize_tries(tries: Sequence[TaskTry], runs: Sequence[RunInfo] = ()) -> dict[str, Any]:
    """``{"workflows": {dag_id: {...}}, "steps": {dag_id: {task_id: {...}}}}``."""
    steps: dict[str, dict[str, StepStats]] = defaultdict(dict)
    for t in tries:
        group = steps[t.dag_id].get(t.task_id)
        if group is None:
            group = steps[t.dag_id][t.task_id] = StepStats(t.dag_id, t.task_id)
        group.add(t)
    workflows: dict[str, WorkflowStats] = {}
    for run in run_stats(tries, runs):
        workflows.setdefault(run.dag_id, WorkflowStats(run.dag_id)).runs.append(run)
    return {
        "workflows": {d: w.to_dict() for d, w in sorted(workflows.items())},
        "steps": {
            d: {t: s.to_dict() for t, s in sorted(group.items())}
            for d, group in sorted(steps.items())
        },
    }


# ------------------------------------------------------------------------------ the ledger
def tries_from_ledger(records: Iterable[Mapping[str, Any]]) -> list[TaskTry]:
    """Task tries from the store's run ledger (what workers can read: no metadata DB). A
    killed try (:func:`bluelabel.store.ledger.tries_between`) has a start and no end."""
    out = []
    for r in records:
        killed = r.get("outcome") == "killed"
        try:
            start = datetime.fromisoformat(str(r["started_at"]))
            end = None if killed else datetime.fromisoformat(str(r["finished_at"]))
        except (KeyError, ValueError):
            continue
        map_index = r.get("map_index")
        out.append(
            TaskTry(
                dag_id=str(r.get("dag_id")),
                run_id=str(r.get("run_id")),
                task_id=str(r.get("task_id")),
                map_index=-1 if map_index is None else int(map_index),
                try_number=int(r.get("try_number") or 1),
                state=str(r.get("outcome") or "success"),
                start=start,
                end=end,
                record=r,
            )
        )
    return out


def agent_success(tries: Iterable[TaskTry], agents: Sequence[str]) -> tuple[int, int]:
    """(successful, finished) tries of the steps running one of ``agents``."""
    chosen = [t for t in tries if (t.record or {}).get("agent") in agents and t.outcome in FINISHED]
    return sum(1 for t in chosen if t.outcome == "success"), len(chosen)


__all__ = [
    "FINISHED",
    "RunInfo",
    "RunStats",
    "Spread",
    "StepStats",
    "TaskTry",
    "WorkflowStats",
    "agent_success",
    "percentile",
    "run_stats",
    "summarize_tries",
    "tries_from_ledger",
]
