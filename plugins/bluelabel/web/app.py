"""The plugin's FastAPI app, mounted by the API server under ``/bluelabel``.

Plugin apps are mounted without Airflow's authentication, so every route here depends on
Airflow's own ``get_user`` (the JWT in the ``Authorization`` header or the UI's session
cookie) and shows only the DAGs the auth manager lets that user read.
"""

from __future__ import annotations

import html
import json
import os
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from bluelabel.metrics.aggregate import TimeParseError, aggregate, load_task_runs, parse_time
from bluelabel.metrics.report import build_report, render_html, render_markdown

_CACHE_SECONDS = float(os.environ.get("AIRFLOW__BLUELABEL__METRICS_CACHE_SECONDS", "5"))

app = FastAPI(title="Bluelabel metrics", docs_url=None, redoc_url=None, openapi_url=None)


def current_user() -> Any:
    from airflow.api_fastapi.core_api.security import get_user

    return get_user


async def _user(user: Annotated[Any, Depends(current_user())]) -> Any:
    return user


UserDep = Annotated[Any, Depends(_user)]


_readable: dict[str, tuple[float, frozenset[str]]] = {}


def _readable_dags(user: Any) -> frozenset[str]:
    """The DAG ids this user may read, asked of the auth manager at most once per cache period
    (it costs a metadata-DB query; the user's token is still verified on every request)."""
    from airflow.api_fastapi.app import get_auth_manager

    key = f"{type(user).__name__}:{user.get_id()}"
    cached = _readable.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    dags = frozenset(get_auth_manager().get_authorized_dag_ids(user=user, method="GET"))
    _readable[key] = (time.monotonic() + _CACHE_SECONDS, dags)
    return dags


def _runs(user: Any, dag_id: str | None, since: str | None, until: str | None) -> tuple[Any, Any]:
    from airflow.utils.session import create_session

    try:
        start, end = parse_time(since, "since"), parse_time(until, "until")
    except TimeParseError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    allowed = _readable_dags(user)
    dag_ids = allowed & {dag_id} if dag_id else allowed
    with create_session() as session:
        return load_task_runs(session, dag_ids=dag_ids, since=start, until=end), start


@dataclass
class _Entry:
    expires: float
    data: dict[str, Any]
    body: bytes  # the JSON response, encoded once for every reader


_cache: dict[tuple[Any, ...], _Entry] = {}
_cache_lock = threading.Lock()
_key_locks: dict[tuple[Any, ...], threading.Lock] = {}


def _aggregates(user: Any, dag_id: str | None, since: str | None, until: str | None) -> _Entry:
    """Aggregates for this query, shared by every reader for a few seconds
    (``AIRFLOW__BLUELABEL__METRICS_CACHE_SECONDS``, default 5). When they expire, one request
    recomputes them while the others wait for it rather than all scanning the DB at once."""
    try:
        start, end = parse_time(since, "since"), parse_time(until, "until")
    except TimeParseError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    allowed = _readable_dags(user)
    dag_ids = frozenset(allowed & {dag_id} if dag_id else allowed)
    # Relative ages ("7d") are keyed by their text, absolute times by their value.
    key = (dag_ids, since if since and not since[0].isdigit() else start, until)
    with _cache_lock:
        entry = _cache.get(key)
        if entry and entry.expires > time.monotonic():
            return entry
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        with _cache_lock:
            entry = _cache.get(key)
            if entry and entry.expires > time.monotonic():
                return entry
        from airflow.utils.session import create_session

        with create_session() as session:
            data = aggregate(load_task_runs(session, dag_ids=dag_ids, since=start, until=end))
        entry = _Entry(time.monotonic() + _CACHE_SECONDS, data, json.dumps(data).encode())
        with _cache_lock:
            if len(_cache) > 256:
                _cache.clear()
                _key_locks.clear()
            _cache[key] = entry
        return entry


@app.get("/api/metrics")
def metrics(
    user: UserDep,
    dag_id: str | None = Query(None),
    since: str | None = Query(None),
    until: str | None = Query(None),
) -> Response:
    """Per-workflow and per-step aggregates: runs, success rate, duration avg/min/max/p50/p95,
    peak memory avg/max, pages/s."""
    return Response(_aggregates(user, dag_id, since, until).body, media_type="application/json")


@app.get("/report")
def report(
    user: UserDep,
    dag_id: str | None = Query(None),
    since: str | None = Query("7d"),
    format: str = Query("html"),
) -> Any:
    runs, start = _runs(user, dag_id, since, None)
    data = build_report(runs, since=start, dag_ids=[dag_id] if dag_id else None)
    if format == "md":
        return PlainTextResponse(render_markdown(data), media_type="text/markdown")
    return HTMLResponse(render_html(data))


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _bar_chart(values: list[tuple[str, float]], width: int = 520) -> str:
    if not values:
        return "<p>No data.</p>"
    top = max(v for _, v in values) or 1
    rows = []
    for i, (label, value) in enumerate(values):
        length = max(1, int(value / top * (width - 200)))
        rows.append(
            f'<text x="0" y="{i * 22 + 15}">{html.escape(label[:28])}</text>'
            f'<rect x="190" y="{i * 22 + 3}" width="{length}" height="16" fill="#3b82f6"/>'
            f'<text x="{195 + length}" y="{i * 22 + 15}">{value:,.1f} ms</text>'
        )
    return (
        f'<svg width="{width + 80}" height="{len(values) * 22 + 6}" role="img" '
        f'font-size="12">{"".join(rows)}</svg>'
    )


def _line_chart(points: list[float], width: int = 520, height: int = 120) -> str:
    if len(points) < 2:
        return "<p>Not enough runs for a chart.</p>"
    top = max(points) or 1
    step = width / (len(points) - 1)
    path = " ".join(
        f"{i * step:.1f},{height - p / top * (height - 10):.1f}" for i, p in enumerate(points)
    )
    return (
        f'<svg width="{width}" height="{height}" role="img"><polyline fill="none" '
        f'stroke="#10b981" stroke-width="2" points="{path}"/></svg>'
        f"<div>max {top:,.1f} ms over {len(points)} runs</div>"
    )


@app.get("/", response_class=HTMLResponse)
def page(
    user: UserDep,
    dag_id: str | None = Query(None),
    since: str | None = Query(None),
) -> str:
    data = _aggregates(user, dag_id, since, None).data
    e = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Bluelabel metrics</title>",
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}</style></head><body>",
        "<h1>Bluelabel metrics</h1>",
        f"<p><a href='report?format=html{'&dag_id=' + e(dag_id) if dag_id else ''}'>"
        "Performance report (HTML)</a> · <a href='report?format=md'>Markdown</a></p>",
        "<h2>Workflows</h2><table id='workflows'><tr><th>Workflow</th><th>Runs</th>"
        "<th>Success</th><th>Avg ms</th><th>Min</th><th>Max</th><th>P50</th><th>P95</th>"
        "<th>Peak MB (avg/max)</th><th>Pages/s</th></tr>",
    ]
    for wf, s in data["workflows"].items():
        d, m = s["duration_ms"], s["peak_memory_mb"]
        rate = "n/a" if s["success_rate"] is None else f"{100 * s['success_rate']:.0f}%"
        cells = [
            s["runs"],
            rate,
            *(_num(d[k]) for k in ("avg", "min", "max", "p50", "p95")),
            f"{_num(m['avg'])} / {_num(m['max'])}",
            _num(s["pages_per_second"]),
        ]
        parts.append(
            f"<tr><td><a href='?dag_id={e(wf)}'>{e(wf)}</a></td>"
            + "".join(f"<td>{e(str(c))}</td>" for c in cells)
            + "</tr>"
        )
    parts.append("</table>")
    for wf, steps in data["steps"].items():
        parts.append(f"<h2>{e(wf)}</h2><h3>Durations over time</h3>")
        parts.append(_line_chart([p["duration_ms"] for p in data["workflows"][wf]["series"]]))
        parts.append("<h3>Per step (average duration)</h3>")
        parts.append(_bar_chart([(t, s["duration_ms"]["avg"] or 0) for t, s in steps.items()]))
        parts.append(
            f"<table class='steps' data-dag='{e(wf)}'><tr><th>Step</th><th>Runs</th>"
            "<th>Success</th><th>Avg ms</th><th>P95</th><th>Peak MB</th>"
            "<th>Memory unknown</th></tr>"
        )
        for task, s in steps.items():
            rate = "n/a" if s["success_rate"] is None else f"{100 * s['success_rate']:.0f}%"
            parts.append(
                f"<tr><td>{e(task)}</td><td>{s['runs']}</td><td>{rate}</td>"
                f"<td>{s['duration_ms']['avg']}</td><td>{s['duration_ms']['p95']}</td>"
                f"<td>{s['peak_memory_mb']['max']}</td><td>{s['memory_unknown_runs']}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
