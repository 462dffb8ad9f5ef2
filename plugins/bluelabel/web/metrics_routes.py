"""``/api/metrics`` (aggregates per workflow and step, cached for load), ``/api/runs/.../metrics``
(one run's steps) and ``/report`` (the performance audit).

The figures come from the metrics module; this module only caches and serves them. They need
no task state store: they are served on Airflow 3.2 too.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel

from bluelabel.config import get_settings
from bluelabel.metrics.db import load_tries
from bluelabel.metrics.report import build_report
from bluelabel.render import render_html, render_markdown
from bluelabel.runstats import summarize_tries
from bluelabel.timeparse import is_age, parse_time
from bluelabel.web.aggregate_cache import AggregateCache, Entry
from bluelabel.web.deps import (
    CachedUserDep,
    DagAccessEntity,
    SessionDep,
    readable_dag_ids,
    requires_access_dag,
)

log = logging.getLogger(__name__)
router = APIRouter()


def _scan(dag_ids: frozenset[str], start: Any, end: Any) -> dict[str, Any]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return summarize_tries(*load_tries(session, dag_ids=dag_ids, since=start, until=end))


_aggregates = AggregateCache(_scan, fresh_seconds=get_settings().metrics_cache_seconds)


def aggregates(user: Any, dag_id: str | None, since: str | None, until: str | None) -> Entry:
    """Aggregates for this query, shared by every reader for a few seconds
    (``AIRFLOW__BLUELABEL__METRICS_CACHE_SECONDS``, default 5), then served for up to a
    minute more while one background thread recomputes them (:class:`AggregateCache`)."""
    start, end = parse_time(since, "since"), parse_time(until, "until")  # 422 (app.py)
    allowed = readable_dag_ids(user)
    dag_ids = frozenset(allowed & {dag_id} if dag_id else allowed)
    # Relative ages ("7d") are keyed by their text, absolute times by their value.
    key = (dag_ids, since if is_age(since) else start, until if is_age(until) else end)
    return _aggregates.get(key, dag_ids, start, end)


@router.get("/api/metrics")
def metrics(
    user: CachedUserDep,
    dag_id: str | None = Query(None),
    since: str | None = Query(None),
    until: str | None = Query(None),
) -> Response:
    """Per-workflow and per-step aggregates: runs, success rate, duration avg/min/max/p50/p95,
    peak memory avg/max, pages/s."""
    return Response(aggregates(user, dag_id, since, until).body, media_type="application/json")


class StepTry(BaseModel):
    """One try of one task instance of a run, as Airflow and the listener saw it."""

    task_id: str
    map_index: int
    try_number: int
    state: str
    start: str | None
    duration_ms: float | None
    """Airflow's start-to-end time of the try."""
    agent_ms: float | None
    """The agent's own share (input load + init + run), when the task ran an agent."""
    cpu_ms: float | None
    peak_memory_mb: float | None
    memory_delta_mb: float | None
    pages: int | None
    breakdown: dict[str, float]


class RunMetrics(BaseModel):
    dag_id: str
    run_id: str
    state: str | None
    wall_ms: float | None
    """Airflow's start to end of the run."""
    cpu_ms: float
    peak_memory_mb: float | None
    pages: int
    steps: list[StepTry]


_BREAKDOWN_KEYS = ("input_load_ms", "agent_init_ms", "agent_run_ms")


@router.get(
    "/api/runs/{dag_id}/{run_id}/metrics",
    dependencies=[Depends(requires_access_dag("GET", DagAccessEntity.TASK_INSTANCE))],
)
def run_metrics(dag_id: str, run_id: str, session: SessionDep) -> RunMetrics:
    """Wall, CPU, peak memory, pages and the step breakdown of one DAG run, every try."""
    tries, runs = load_tries(session, dag_ids=[dag_id], run_id=run_id)
    if not runs:
        raise HTTPException(404, f"DAG run {run_id!r} of {dag_id!r} not found")
    (run,) = runs
    steps = []
    ordered = sorted(
        tries,
        key=lambda t: (
            t.start is None,
            t.start.timestamp() if t.start else 0.0,
            t.task_id,
            t.map_index,
            t.try_number,
        ),
    )
    for t in ordered:
        record = t.record or {}
        breakdown = {
            k.removesuffix("_ms"): float(record[k])
            for k in _BREAKDOWN_KEYS
            if isinstance(record.get(k), (int, float))
        }
        steps.append(
            StepTry(
                task_id=t.task_id,
                map_index=t.map_index,
                try_number=t.try_number,
                state=t.outcome,
                start=t.start.isoformat() if t.start else None,
                duration_ms=None if t.seconds is None else round(t.seconds * 1000, 3),
                agent_ms=round(sum(breakdown.values()), 3) if breakdown else None,
                cpu_ms=_number(record.get("cpu_ms")),
                peak_memory_mb=_number(record.get("maxrss_peak_mb")),
                memory_delta_mb=_number(record.get("maxrss_delta_mb")),
                pages=record.get("pages") if isinstance(record.get("pages"), int) else None,
                breakdown=breakdown,
            )
        )
    peaks = [s.peak_memory_mb for s in steps if s.peak_memory_mb is not None]
    return RunMetrics(
        dag_id=dag_id,
        run_id=run_id,
        state=run.state,
        wall_ms=None if run.seconds is None else round(run.seconds * 1000, 3),
        cpu_ms=round(sum(s.cpu_ms or 0 for s in steps), 3),
        peak_memory_mb=max(peaks) if peaks else None,
        pages=sum(s.pages or 0 for s in steps),
        steps=steps,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


@router.get("/report")
def report(
    user: CachedUserDep,
    dag_id: str | None = Query(None),
    since: str | None = Query("7d"),
    format: str = Query("html"),
) -> Any:
    """The performance audit report, as HTML (default) or markdown (``format=md``)."""
    from airflow.utils.session import create_session

    start = parse_time(since, "since")
    allowed = readable_dag_ids(user)
    dag_ids = allowed & {dag_id} if dag_id else allowed
    with create_session() as session:
        tries, runs = load_tries(session, dag_ids=dag_ids, since=start)
    page = build_report(tries, runs, since=start, dag_ids=[dag_id] if dag_id else None)
    if format == "md":
        return PlainTextResponse(render_markdown(page), media_type="text/markdown")
    return HTMLResponse(render_html(page))
