"""The plugin's FastAPI app, mounted by the API server under ``/bluelabel``.

Plugin apps are mounted without Airflow's authentication, so every route here depends on
Airflow's own authentication (the JWT in the ``Authorization`` header or the UI's session
cookie; see :func:`_user`) and shows only the DAGs the auth manager lets that user read.
"""

from __future__ import annotations

import html
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from bluelabel.metrics.aggregate import TimeParseError, aggregate, load_task_runs, parse_time
from bluelabel.metrics.report import build_report, render_html, render_markdown

_CACHE_SECONDS = float(os.environ.get("AIRFLOW__BLUELABEL__METRICS_CACHE_SECONDS", "5"))

app = FastAPI(title="Bluelabel metrics", docs_url=None, redoc_url=None, openapi_url=None)


_AUTH_CACHE_SECONDS = float(os.environ.get("AIRFLOW__BLUELABEL__AUTH_CACHE_SECONDS", "5"))
#: bearer token -> (monotonic time until which it is trusted, its user)
_tokens: dict[str, tuple[float, Any]] = {}


def _bearer_scheme() -> Any:
    from airflow.api_fastapi.core_api.security import bearer_scheme

    return bearer_scheme


async def _user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme())],
) -> Any:
    """Airflow's authentication, with a bearer token's verdict kept for a few seconds.

    Every token is checked by Airflow's own ``get_user`` path (signature, expiry, revocation,
    user) the first time it is seen; for ``AIRFLOW__BLUELABEL__AUTH_CACHE_SECONDS`` (default
    5, never past the token's ``exp``; ``0`` turns it off) the same token string is then
    trusted without repeating the revocation lookup, a synchronous metadata-DB query that
    costs as much as the rest of the request. So a token revoked by a logout still reads these
    metrics for at most that long. UI sessions (the cookie) always take Airflow's path.
    """
    from airflow.api_fastapi.core_api.security import get_user, resolve_user_from_token

    if bearer is None or bearer.scheme.lower() != "bearer" or _AUTH_CACHE_SECONDS <= 0:
        return await get_user(request, None, bearer)
    token = bearer.credentials
    now = time.monotonic()
    hit = _tokens.get(token)
    if hit is not None and hit[0] > now:
        return hit[1]
    user = await resolve_user_from_token(token)  # raises 401/403 as Airflow does
    until = now + _AUTH_CACHE_SECONDS
    expires = jwt.decode(token, options={"verify_signature": False}).get("exp")
    if isinstance(expires, (int, float)):
        until = min(until, now + (expires - time.time()))
    if len(_tokens) > 10_000:
        _tokens.clear()
    _tokens[token] = (until, user)
    return user


UserDep = Annotated[Any, Depends(_user)]


log = logging.getLogger(__name__)
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
_refreshing: set[tuple[Any, ...]] = set()
#: An expired entry is still served, while one background thread recomputes it, for this long.
_STALE_SECONDS = 60.0


def _compute(key: tuple[Any, ...], dag_ids: frozenset[str], start: Any, end: Any) -> _Entry:
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


def _refresh_in_background(
    key: tuple[Any, ...], dag_ids: frozenset[str], start: Any, end: Any
) -> None:
    try:
        _compute(key, dag_ids, start, end)
    except Exception:
        log.exception("bluelabel: refreshing the metrics aggregates failed")
    finally:
        with _cache_lock:
            _refreshing.discard(key)


def _aggregates(user: Any, dag_id: str | None, since: str | None, until: str | None) -> _Entry:
    """Aggregates for this query, shared by every reader for a few seconds
    (``AIRFLOW__BLUELABEL__METRICS_CACHE_SECONDS``, default 5).

    When they expire, readers keep getting the previous figures (for up to a minute) while
    one background thread recomputes them: no request waits for the scan. Only a query seen
    for the first time, or not for a minute, is computed while its first reader waits (the
    others wait for that one rather than all scanning the DB at once)."""
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
        now = time.monotonic()
        if entry and entry.expires > now:
            return entry
        if entry and now - entry.expires < _STALE_SECONDS:
            if key not in _refreshing:
                _refreshing.add(key)
                threading.Thread(
                    target=_refresh_in_background,
                    args=(key, dag_ids, start, end),
                    name="bluelabel-metrics-refresh",
                    daemon=True,
                ).start()
            return entry
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        with _cache_lock:
            entry = _cache.get(key)
            if entry and entry.expires > time.monotonic():
                return entry
        return _compute(key, dag_ids, start, end)


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
