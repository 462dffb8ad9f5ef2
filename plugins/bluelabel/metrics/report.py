"""The performance report, in the shape of the original system's audit, from recorded runs.

Built from the run statistics (:mod:`bluelabel.runstats`) as a
:class:`~bluelabel.render.page.Page`, so the markdown and the HTML are the same report. The
comparison with the original system's audited figures is an option (``compare=True``,
``bluelabel report --compare-original``): those were a different system's targets, so a
fresh deployment is not judged against them unless asked.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bluelabel.render.page import (
    Block,
    Bullets,
    Page,
    Paragraph,
    Section,
    Table,
    human_count,
    human_duration,
    human_time,
)
from bluelabel.runstats import (
    FINISHED,
    RunInfo,
    RunStats,
    TaskTry,
    percentile,
    run_stats,
    summarize_tries,
)


@dataclass(frozen=True)
class Target:
    metric: str
    comparison: str  # "<" or ">="
    value: float
    unit: str


#: The original system's audited baselines (seed/performance-audit-report.md).
ORIGINAL_TARGETS = (
    Target("Workflow total, average", "<", 853.8, "ms"),
    Target("Step execution, average", "<", 106.2, "ms"),
    Target("Concurrent workflows at 100% success", ">=", 10, "runs"),
    Target("Large PDF ingest (1,000+ pages), max", "<", 5000, "ms"),
    Target("Success rate", ">=", 100, "%"),
)
_BUCKETS = ((1, 1), (2, 10), (11, 25), (26, 50), (51, 10**9))


def _ms(value: float | None) -> str:
    """A duration in the units the UI shows it in ("839 ms", "12.3 s", "1 min 16 s")."""
    return human_duration(value)


def _mb(value: float | None) -> str:
    return human_count(value, digits=1)


def _row(values: Sequence[float]) -> tuple[str, ...]:
    if not values:
        return ("0", "n/a", "n/a", "n/a", "n/a")
    return (
        f"{len(values):,}",
        _ms(statistics.fmean(values)),
        _ms(min(values)),
        _ms(max(values)),
        _ms(percentile(values, 95)),
    )


def _concurrency(runs: Sequence[RunStats]) -> dict[str, int]:
    """How many runs overlapped each run (itself included)."""
    spans = [
        (r.run_id, r.start, r.start.timestamp() + (r.seconds or 0))
        for r in runs
        if r.start is not None and r.seconds is not None
    ]
    return {
        rid: sum(1 for _, s2, e2 in spans if s2.timestamp() < e1 and e2 > s1.timestamp())
        for rid, s1, e1 in spans
    }


def build_report(
    tries: Sequence[TaskTry],
    runs: Sequence[RunInfo],
    *,
    since: datetime | None,
    until: datetime | None = None,
    dag_ids: Sequence[str] | None = None,
    compare: bool = False,
) -> Page:
    """The report as a page: summary, execution times, memory, concurrency (and targets)."""
    generated = datetime.now(timezone.utc)
    stats = summarize_tries(tries, runs)
    run_list = [r for r in run_stats(tries, runs) if r.outcome in ("success", "failed")]
    finished = [t for t in tries if t.outcome in FINISHED]
    totals = [r.seconds * 1000 for r in run_list if r.seconds is not None]
    step_ms = [t.seconds * 1000 for t in finished if t.seconds is not None]

    operations = [("Workflow run (Airflow, start to end)", *_row(totals))]
    for key, label in (
        ("input_load_ms", "Input load"),
        ("agent_init_ms", "Agent init"),
        ("agent_run_ms", "Agent run (the agent's own work)"),
    ):
        values = [v for t in finished if (v := t.number(key)) is not None]
        operations.append((label, *_row(values)))
    operations.append(("Task try (Airflow, start to end)", *_row(step_ms)))
    for dag_id, steps in stats["steps"].items():
        for task_id, s in steps.items():
            d = s["duration_ms"]
            operations.append(
                (
                    f"{dag_id}.{task_id}",
                    f"{s['tries']:,}",
                    _ms(d["avg"]),
                    _ms(d["min"]),
                    _ms(d["max"]),
                    _ms(d["p95"]),
                )
            )

    overlap = _concurrency(run_list)
    memory_rows, concurrency_rows = [], []
    for low, high in _BUCKETS:
        bucket = [r for r in run_list if low <= overlap.get(r.run_id, 1) <= high]
        if not bucket:
            continue
        label = "Single workflow" if high == 1 else f"{low}-{high if high < 10**9 else '+'} at once"
        peaks = [r.peak_mb for r in bucket if r.peak_mb is not None]
        memory_rows.append(
            (
                label,
                f"{len(bucket):,}",
                _mb(max(peaks)) if peaks else "unknown",
                _mb(statistics.fmean(peaks)) if peaks else "unknown",
                f"{sum(1 for r in bucket if r.peak_mb is None):,}",
            )
        )
        starts = [r.start.timestamp() for r in bucket if r.start]
        ends = [r.start.timestamp() + (r.seconds or 0) for r in bucket if r.start]
        window = (max(ends) - min(starts)) / 60 if starts and ends else 0
        ok = sum(1 for r in bucket if r.outcome == "success")
        concurrency_rows.append(
            (
                label,
                f"{len(bucket):,}",
                f"{100 * ok / len(bucket):.0f}%",
                _ms(statistics.fmean([r.seconds * 1000 for r in bucket if r.seconds is not None])),
                f"{len(bucket) / window:,.1f}" if window > 0 else "n/a",
            )
        )

    workflow_rows = tuple(
        (
            dag_id,
            f"{w['runs']:,}",
            ", ".join(f"{n} {o}" for o, n in w["outcomes"].items()),
            "n/a" if w["success_rate"] is None else f"{100 * w['success_rate']:.0f}%",
            _ms(w["duration_ms"]["avg"]),
            _ms(w["duration_ms"]["p95"]),
        )
        for dag_id, w in stats["workflows"].items()
    )
    blocks: list[Block] = [
        Section(
            "Summary",
            (
                Bullets(tuple(_findings(tries, stats, run_list, overlap))),
                Table(
                    ("Workflow", "Runs", "Outcomes", "Success", "Average", "P95"),
                    workflow_rows,
                    numeric=frozenset({1, 3, 4, 5}),
                    empty="No runs recorded.",
                ),
            ),
        ),
        Section(
            "Execution times",
            (
                Paragraph(
                    "Airflow's own start and end times; the agent's share is its Agent run.",
                    muted=True,
                ),
                Table(
                    ("Operation", "Count", "Average", "Min", "Max", "P95"),
                    tuple(operations),
                    numeric=frozenset({1, 2, 3, 4, 5}),
                ),
            ),
        ),
        Section(
            "Memory",
            (
                Paragraph(
                    "Peak resident memory of a run's largest task try; a killed try's memory "
                    "is unknown.",
                    muted=True,
                ),
                Table(
                    ("Concurrency", "Runs", "Peak (MB)", "Average peak (MB)", "Memory unknown"),
                    tuple(memory_rows),
                    numeric=frozenset({1, 2, 3, 4}),
                    empty="No finished runs.",
                ),
            ),
        ),
        Section(
            "Concurrent processing",
            (
                Table(
                    (
                        "Concurrency",
                        "Runs",
                        "Success rate",
                        "Average time",
                        "Throughput (runs/min)",
                    ),
                    tuple(concurrency_rows),
                    numeric=frozenset({1, 2, 3, 4}),
                    empty="No finished runs.",
                ),
            ),
        ),
    ]
    if compare:
        blocks.append(_targets(tries, run_list, overlap))
    period = (
        f"{human_time(since) if since else 'all recorded runs'} to {human_time(until or generated)}"
    )
    return Page(
        title="Performance report - Bluelabel for Airflow",
        subtitle=f"Period {period}; workflows: {', '.join(dag_ids) if dag_ids else 'all'}; "
        f"{len(run_list):,} finished runs, {len(tries):,} task tries; "
        f"generated {human_time(generated)}",
        blocks=tuple(blocks),
        footer="Generated by `bluelabel report` from the Airflow metadata DB.",
    )


def _findings(
    tries: Sequence[TaskTry],
    stats: dict[str, Any],
    run_list: Sequence[RunStats],
    overlap: dict[str, int],
) -> list[str]:
    if not tries:
        return ["No task runs were recorded in this period."]
    findings = []
    slowest = max(
        (
            (d, t, s["duration_ms"]["avg"] or 0)
            for d, steps in stats["steps"].items()
            for t, s in steps.items()
        ),
        key=lambda x: x[2],
    )
    findings.append(f"Slowest step on average: {slowest[0]}.{slowest[1]} ({_ms(slowest[2])}).")
    outcomes: dict[str, int] = {}
    for t in tries:
        outcomes[t.outcome] = outcomes.get(t.outcome, 0) + 1
    if outcomes.get("killed"):
        findings.append(
            f"{outcomes['killed']} task tr{'y was' if outcomes['killed'] == 1 else 'ies were'} "
            "killed before measuring (OOM, SIGKILL, a lost worker): memory unknown."
        )
    if outcomes.get("failed"):
        findings.append(f"{outcomes['failed']} task tries failed.")
    if overlap:
        findings.append(f"Most runs at once: {max(overlap.values())}.")
    return findings


def _in_unit(value: float, unit: str, number: str = ",.1f") -> str:
    return _ms(value) if unit == "ms" else f"{value:{number}} {unit}"


def _targets(
    tries: Sequence[TaskTry], run_list: Sequence[RunStats], overlap: dict[str, int]
) -> Section:
    totals = [r.seconds * 1000 for r in run_list if r.seconds is not None]
    steps = [t.seconds * 1000 for t in tries if t.outcome in FINISHED and t.seconds is not None]
    clean = [overlap[r.run_id] for r in run_list if r.run_id in overlap and r.outcome == "success"]
    large = [
        a
        for t in tries
        if (p := t.number("pages")) is not None
        and p >= 1000
        and (a := t.number("agent_run_ms")) is not None
    ]
    actual = {
        "Workflow total, average": statistics.fmean(totals) if totals else None,
        "Step execution, average": statistics.fmean(steps) if steps else None,
        "Concurrent workflows at 100% success": float(max(clean)) if clean else None,
        "Large PDF ingest (1,000+ pages), max": max(large) if large else None,
        "Success rate": 100 * sum(r.outcome == "success" for r in run_list) / len(run_list)
        if run_list
        else None,
    }
    rows = []
    for target in ORIGINAL_TARGETS:
        value = actual.get(target.metric)
        if value is None:
            status = "no data"
        else:
            met = value < target.value if target.comparison == "<" else value >= target.value
            status = "met" if met else "not met"
        rows.append(
            (
                target.metric,
                f"{target.comparison} {_in_unit(target.value, target.unit, 'g')}",
                "n/a" if value is None else _in_unit(value, target.unit),
                status,
            )
        )
    return Section(
        "Compared with the original system",
        (
            Paragraph(
                "The original standalone Bluelabel's audited figures, for comparison: they "
                "measured a different system (in-process steps, no scheduler), so Airflow's "
                "per-task start-up makes the time rows not like for like.",
                muted=True,
            ),
            Table(("Metric", "Original", "Here", "Status"), tuple(rows)),
        ),
    )
