"""The metrics API, one run's metrics and the report on a real `airflow api-server`
(127.0.0.1): authentication, aggregates of the runs made by the tests, bad input."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.airflow.conftest import http_get

pytestmark = pytest.mark.usefixtures("airflow_db")


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    status, _, body = http_get(url, token)
    return status, body


def run_ids(dag_id: str) -> list[str]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        return [r.run_id for r in session.query(DagRun).filter_by(dag_id=dag_id)]


def test_api_routes_need_airflow_authentication(api_server: tuple[str, str]) -> None:
    base, _ = api_server
    for path in (
        "/bluelabel/api/metrics",
        "/bluelabel/api/runs/some_dag/some_run/metrics",
        "/bluelabel/api/documents?q=airflow",
        "/bluelabel/api/documents/facets",
        "/bluelabel/api/documents/abc",
        "/bluelabel/api/digests",
        "/bluelabel/api/digests/store/x.md",
        "/bluelabel/api/runs/some_dag/some_run/digest",
        "/bluelabel/api/progress",
        "/bluelabel/report",
    ):
        status, _ = get(base + path)
        assert status == 401, path
    assert get(base + "/bluelabel/api/metrics", "not-a-token")[0] in (401, 403)


def test_a_logged_out_browser_is_sent_to_the_login_and_back(api_server: tuple[str, str]) -> None:
    base, _ = api_server
    status, headers, _ = http_get(
        f"{base}/bluelabel/report?since=7d", headers={"Accept": "text/html,*/*"}
    )
    assert status == 302
    assert "/auth/login" in headers["location"] and "next=" in headers["location"]
    # API calls from a browser still get the 401 (the UI handles it)
    assert http_get(f"{base}/bluelabel/api/metrics", headers={"Accept": "text/html"})[0] == 401
    # The old page moved into the Airflow UI, which has its own login.
    status, headers, _ = http_get(f"{base}/bluelabel/")
    assert status == 307 and headers["location"].endswith("/plugin/bluelabel-metrics")


def test_a_tampered_or_expired_token_is_refused_even_after_its_valid_twin(
    api_server: tuple[str, str],
) -> None:
    """The short-lived token cache is keyed by the exact token string it verified."""
    import jwt

    base, token = api_server
    assert get(base + "/bluelabel/api/metrics", token)[0] == 200  # now cached
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert get(base + "/bluelabel/api/metrics", tampered)[0] in (401, 403)
    claims = jwt.decode(token, options={"verify_signature": False})
    expired = jwt.encode({**claims, "exp": 1}, "a-wrong-secret-" * 5, algorithm="HS512")
    assert get(base + "/bluelabel/api/metrics", expired)[0] in (401, 403)


def test_metrics_api_aggregates_the_recorded_runs(
    api_server: tuple[str, str], recorded_runs: str
) -> None:
    base, token = api_server
    deadline = time.monotonic() + 15  # the API caches who may read what for 5 s, figures too
    while True:
        status, body = get(f"{base}/bluelabel/api/metrics?dag_id={recorded_runs}", token)
        assert status == 200
        data = json.loads(body)
        if recorded_runs in data["workflows"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    workflow = data["workflows"][recorded_runs]
    assert workflow["runs"] == 2 and workflow["success_rate"] == 1.0
    steps = data["steps"][recorded_runs]
    assert set(steps) == {"plain", "ingest", "digest"}
    for step in steps.values():
        assert step["runs"] == 2
        d = step["duration_ms"]
        assert 0 < d["min"] <= d["p50"] <= d["p95"] <= d["max"]
        assert step["peak_memory_mb"]["max"] > 0


def test_one_runs_metrics_every_step_with_the_agents_share(
    api_server: tuple[str, str], recorded_runs: str
) -> None:
    base, token = api_server
    run_id = run_ids(recorded_runs)[0]
    status, body = get(f"{base}/bluelabel/api/runs/{recorded_runs}/{run_id}/metrics", token)
    assert status == 200, body
    data: dict[str, Any] = json.loads(body)
    assert data["state"] == "success" and data["wall_ms"] > 0 and data["cpu_ms"] > 0
    steps = {s["task_id"]: s for s in data["steps"]}
    assert set(steps) == {"plain", "ingest", "digest"}
    ingest = steps["ingest"]
    assert ingest["state"] == "success" and ingest["try_number"] == 1
    # Airflow's task time holds the agent's own share
    assert 0 < ingest["agent_ms"] <= ingest["duration_ms"]
    assert set(ingest["breakdown"]) == {"input_load", "agent_init", "agent_run"}
    assert steps["plain"]["agent_ms"] is None and steps["plain"]["peak_memory_mb"] > 0
    assert data["peak_memory_mb"] == max(s["peak_memory_mb"] for s in data["steps"])
    status, body = get(f"{base}/bluelabel/api/runs/{recorded_runs}/no_such_run/metrics", token)
    assert status == 404 and b"no_such_run" in body


def test_unknown_dag_is_empty_and_bad_since_is_422(api_server: tuple[str, str]) -> None:
    base, token = api_server
    status, body = get(f"{base}/bluelabel/api/metrics?dag_id=no_such_dag", token)
    assert status == 200 and json.loads(body) == {"workflows": {}, "steps": {}}
    status, body = get(f"{base}/bluelabel/api/metrics?since=last-tuesday", token)
    assert status == 422 and b"since='last-tuesday'" in body


def test_report(api_server: tuple[str, str], recorded_runs: str) -> None:
    base, token = api_server
    status, report = get(f"{base}/bluelabel/report?format=md&dag_id={recorded_runs}", token)
    assert status == 200
    assert b"## Execution times" in report and b"| Workflow run (Airflow, start to end) |" in report
    assert f"| {recorded_runs}.ingest | 2 |".encode() in report  # both runs' tries
    status, page = get(f"{base}/bluelabel/report?dag_id={recorded_runs}", token)
    assert status == 200 and page.lstrip().lower().startswith(b"<!doctype html")


def test_plugin_registers_the_views_and_serves_their_bundle(api_server: tuple[str, str]) -> None:
    base, token = api_server
    status, body = get(f"{base}/api/v2/plugins", token)
    assert status == 200
    plugin = next(p for p in json.loads(body)["plugins"] if p["name"] == "bluelabel")
    assert plugin["fastapi_apps"][0]["url_prefix"] == "/bluelabel"
    views = {(v["name"], v["destination"]) for v in plugin["react_apps"]}
    assert {
        ("Knowledge", "nav"),
        ("Bluelabel metrics", "nav"),
        ("Digest", "dag_run"),
        ("Metrics", "dag_run"),
        ("Progress", "dag_run"),
        ("Digest", "task_instance"),
        ("Metrics", "task_instance"),
        ("Progress", "task_instance"),
    } <= views
    links = " ".join(plugin["operator_extra_links"])
    assert "DigestLink" in links and "SourceDocumentLink" in links
    bundle = plugin["react_apps"][0]["bundle_url"]
    status, headers, script = http_get(base + bundle)
    assert status == 200 and "javascript" in headers["content-type"]
    assert b"AirflowPlugin" in script and b"ChakraUI" in script  # the UI's shared Chakra
