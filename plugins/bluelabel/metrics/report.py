"""The performance audit report, in the shape of the seed report, from recorded runs."""

from __future__ import annotations

import html
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from bluelabel.metrics.aggregate import TaskRun, aggregate, percentile


@dataclass(frozen=True)
class Target:
    metric: str
    comparison: str  # "<" or ">="
    value: float
    unit: str


#: The seed audit's targets and baselines (seed/performance-audit-report.md).
DEFAULT_TARGETS = (
    Target("Workflow total, average", "<", 853.8, "ms"),
    Target("Step execution, average", "<", 106.2, "ms"),
    Target("Concurrent workflows at 100% success", ">=", 10, "runs"),
    Target("Large PDF ingest (1,000+ pages), max", "<", 5000, "ms"),
    Target("Success rate", ">=", 100, "%"),
    Target("Memory growth per task, average", "<", 0.65, "MB"),
)


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def _row_stats(values: Sequence[float]) -> list[str]:
    if not values:
        return ["n/a"] * 4
    return [
        _ms(statistics.fmean(values)),
        _ms(min(values)),
        _ms(max(values)),
        _ms(percentile(values, 95)),
    ]


def _dag_run_spans(runs: Sequence[TaskRun]) -> list[dict[str, Any]]:
    by_run: dict[tuple[str, str], list[TaskRun]] = {}
    for run in runs:
        by_run.setdefault((run.dag_id, run.run_id), []).append(run)
    spans: list[dict[str, Any]] = []
    for (dag_id, _), tasks in by_run.items():
        starts = [t.start for t in tasks if t.start]
        ends = [
            t.start + timedelta(milliseconds=t.duration_ms)
            for t in tasks
            if t.start and t.duration_ms is not None
        ]
        if not starts or not ends:
            continue
        states = {t.state for t in tasks}
        peaks = [
            t.record["maxrss_peak_mb"] for t in tasks if t.record and "maxrss_peak_mb" in t.record
        ]
        starts_mb = [
            t.record["maxrss_start_mb"] for t in tasks if t.record and "maxrss_start_mb" in t.record
        ]
        deltas = [
            t.record["maxrss_delta_mb"] for t in tasks if t.record and "maxrss_delta_mb" in t.record
        ]
        spans.append(
            {
                "dag_id": dag_id,
                "start": min(starts),
                "end": max(ends),
                "ok": states == {"success"},
                "peak": max(peaks) if peaks else None,
                "start_mb": min(starts_mb) if starts_mb else None,
                "delta": sum(deltas) if deltas else None,
            }
        )
    # concurrency: how many runs overlapped each run (itself included)
    for span in spans:
        span["concurrency"] = sum(
            1 for other in spans if other["start"] < span["end"] and other["end"] > span["start"]
        )
    return spans


_BUCKETS = ((1, 1), (2, 10), (11, 25), (26, 50), (51, 10**9))


def build_report(
    runs: Sequence[TaskRun],
    *,
    since: datetime | None,
    dag_ids: Sequence[str] | None,
    targets: Sequence[Target] = DEFAULT_TARGETS,
) -> dict[str, Any]:
    """Every table of the report as data, for render_markdown and render_html."""
    summary = aggregate(runs)
    spans = _dag_run_spans(runs)
    records = [r.record for r in runs if r.record]
    operations: list[list[str]] = [
        [
            "Workflow total",
            *_row_stats([(s["end"] - s["start"]).total_seconds() * 1000 for s in spans]),
        ]
    ]
    for key, label in (
        ("input_load_ms", "Input load"),
        ("agent_init_ms", "Agent init"),
        ("agent_run_ms", "Agent run"),
    ):
        operations.append(
            [label, *_row_stats([r[key] for r in records if isinstance(r.get(key), (int, float))])]
        )
    step_durations = [r.duration_ms for r in runs if r.duration_ms is not None]
    operations.append(["Step execution (all tasks)", *_row_stats(step_durations)])
    for dag_id, steps in summary["steps"].items():
        for task_id, stats in steps.items():
            d = stats["duration_ms"]
            operations.append(
                [f"{dag_id}.{task_id}", _ms(d["avg"]), _ms(d["min"]), _ms(d["max"]), _ms(d["p95"])]
            )

    memory = []
    concurrency = []
    for low, high in _BUCKETS:
        bucket = [s for s in spans if low <= s["concurrency"] <= high]
        if not bucket:
            continue
        label = (
            "Single workflow" if high == 1 else f"{low}-{high if high < 10**9 else '+'} concurrent"
        )
        known = [s for s in bucket if s["peak"] is not None]
        memory.append(
            [
                label,
                _ms(statistics.fmean([s["start_mb"] for s in known])) if known else "unknown",
                _ms(max(s["peak"] for s in known)) if known else "unknown",
                _ms(statistics.fmean([s["delta"] for s in known])) if known else "unknown",
            ]
        )
        window = (max(s["end"] for s in bucket) - min(s["start"] for s in bucket)).total_seconds()
        ok = sum(s["ok"] for s in bucket)
        concurrency.append(
            [
                label,
                str(len(bucket)),
                f"{100 * ok / len(bucket):.0f}%",
                _ms(
                    statistics.fmean(
                        [(s["end"] - s["start"]).total_seconds() * 1000 for s in bucket]
                    )
                ),
                f"{len(bucket) / window:.2f}" if window > 0 else "n/a",
            ]
        )

    actual = _actuals(runs, spans, records)
    target_rows = []
    for target in targets:
        value = actual.get(target.metric)
        if value is None:
            status = "no data"
        else:
            met = value < target.value if target.comparison == "<" else value >= target.value
            status = "met" if met else "NOT met"
        target_rows.append(
            [
                target.metric,
                f"{target.comparison} {target.value:g} {target.unit}",
                "n/a" if value is None else f"{value:,.2f} {target.unit}",
                status,
            ]
        )
    return {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "since": since.isoformat() if since else "all recorded runs",
        "dag_ids": list(dag_ids) if dag_ids else "all",
        "task_runs": len(runs),
        "workflow_runs": len(spans),
        "summary": summary,
        "operations": operations,
        "memory": memory,
        "concurrency": concurrency,
        "targets": target_rows,
        "findings": _findings(runs, summary, spans, target_rows),
    }


def _actuals(
    runs: Sequence[TaskRun], spans: list[dict[str, Any]], records: list[dict[str, Any]]
) -> dict[str, float | None]:
    totals = [(s["end"] - s["start"]).total_seconds() * 1000 for s in spans]
    durations = [r.duration_ms for r in runs if r.duration_ms is not None]
    clean = [
        s["concurrency"]
        for s in spans
        if all(o["ok"] for o in spans if o["start"] < s["end"] and o["end"] > s["start"])
    ]
    large = [
        r["agent_run_ms"]
        for r in records
        if isinstance(r.get("pages"), int)
        and r["pages"] >= 1000
        and isinstance(r.get("agent_run_ms"), (int, float))
    ]
    deltas = [
        r["maxrss_delta_mb"] for r in records if isinstance(r.get("maxrss_delta_mb"), (int, float))
    ]
    return {
        "Workflow total, average": statistics.fmean(totals) if totals else None,
        "Step execution, average": statistics.fmean(durations) if durations else None,
        "Concurrent workflows at 100% success": float(max(clean)) if clean else None,
        "Large PDF ingest (1,000+ pages), max": max(large) if large else None,
        "Success rate": 100 * sum(s["ok"] for s in spans) / len(spans) if spans else None,
        "Memory growth per task, average": statistics.fmean(deltas) if deltas else None,
    }


def _findings(
    runs: Sequence[TaskRun],
    summary: dict[str, Any],
    spans: list[dict[str, Any]],
    targets: list[list[str]],
) -> list[str]:
    findings = []
    if not runs:
        return ["No task runs were recorded in this period."]
    slowest = max(
        (
            (dag, task, s["duration_ms"]["avg"] or 0)
            for dag, steps in summary["steps"].items()
            for task, s in steps.items()
        ),
        key=lambda x: x[2],
    )
    findings.append(f"Slowest step on average: {slowest[0]}.{slowest[1]} ({slowest[2]:,.1f} ms).")
    failed = [r for r in runs if r.state == "failed"]
    if failed:
        killed = [r for r in failed if r.record is None]
        findings.append(
            f"{len(failed)} failed task run(s)"
            + (
                f", {len(killed)} of them without a measurement (killed before the listener could "
                "record it, e.g. OOM or SIGKILL; memory unknown)."
                if killed
                else "."
            )
        )
    if spans:
        findings.append(
            f"Highest concurrency observed: {max(s['concurrency'] for s in spans)} "
            "overlapping workflow runs."
        )
    missed = [t[0] for t in targets if t[3] == "NOT met"]
    findings.append(
        "Targets not met: " + ", ".join(missed) + "."
        if missed
        else "Every target with data was met."
    )
    return findings


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    wf = report["summary"]["workflows"]
    lines = [
        "# Performance Audit Report - Bluelabel for Airflow",
        "",
        f"**Generated:** {report['generated']}  ",
        f"**Period:** {report['since']}  ",
        f"**Workflows:** {report['dag_ids']}  ",
        f"**Recorded:** {report['workflow_runs']} workflow runs, {report['task_runs']} task runs",
        "",
        "## Executive Summary",
        "",
        "### Key Findings",
        "",
    ]
    lines += [f"{i}. {f}" for i, f in enumerate(report["findings"], 1)]
    lines += [
        "",
        "| Workflow | Runs | Success rate | Avg (ms) | P95 (ms) |",
        "|---|---|---|---|---|",
    ]
    for dag_id, s in wf.items():
        rate = "n/a" if s["success_rate"] is None else f"{100 * s['success_rate']:.0f}%"
        d = s["duration_ms"]
        lines.append(f"| {dag_id} | {s['runs']} | {rate} | {_ms(d['avg'])} | {_ms(d['p95'])} |")
    lines += ["", "## Performance Baseline Metrics", "", "### Workflow Execution Times", ""]
    lines += _table(
        ["Operation", "Average (ms)", "Min (ms)", "Max (ms)", "P95 (ms)"], report["operations"]
    )
    lines += ["", "### Memory Usage", ""]
    lines += _table(["Component", "Start (MB)", "Peak (MB)", "Delta (MB)"], report["memory"])
    lines += ["", "### Concurrent Processing", ""]
    lines += _table(
        ["Concurrent Workflows", "Runs", "Success Rate", "Avg Time (ms)", "Throughput (runs/sec)"],
        report["concurrency"],
    )
    lines += ["", "## Performance Targets Achievement", ""]
    lines += _table(["Metric", "Target", "Actual", "Status"], report["targets"])
    lines += ["", "---", "*Generated by `bluelabel report` from the Airflow metadata DB.*", ""]
    return "\n".join(lines)


def render_html(report: dict[str, Any]) -> str:
    """The same report as a standalone HTML page (every value escaped)."""
    import re

    body = []
    for line in render_markdown(report).splitlines():
        if line.startswith("|---"):
            continue
        if line.startswith("| "):
            cells = [html.escape(c.strip()) for c in line.strip("|").split(" | ")]
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            continue
        if body and body[-1].startswith("<tr>") and not line.startswith("| "):
            body.append("</table>")
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{html.escape(line[level:].strip())}</h{level}>")
        elif re.match(r"^\d+\. ", line):
            body.append(f"<p>{html.escape(line)}</p>")
        elif line.strip():
            body.append(f"<p>{html.escape(line.strip().rstrip())}</p>")
        if line == "" and body and body[-1].startswith("<tr>"):
            body.append("</table>")
    out, open_table = [], False
    for part in body:
        if part.startswith("<tr>") and not open_table:
            out.append("<table>")
            open_table = True
        if part == "</table>":
            if open_table:
                out.append(part)
            open_table = False
            continue
        out.append(part)
    if open_table:
        out.append("</table>")
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
        "table{border-collapse:collapse;margin:1em 0}td{border:1px solid #ccc;padding:4px 8px}"
        "tr:first-child td{font-weight:bold;background:#f3f4f6}"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Bluelabel performance report"
        f"</title><style>{style}</style></head><body>" + "\n".join(out) + "</body></html>\n"
    )
