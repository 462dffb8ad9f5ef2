"""The plugin's page and API on a real `airflow api-server` (127.0.0.1): authentication,
aggregates of the runs made by the tests, the report, bad input."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.usefixtures("airflow_db")


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_plugin_routes_need_airflow_authentication(api_server: tuple[str, str]) -> None:
    base, _ = api_server
    for path in ("/bluelabel/api/metrics", "/bluelabel/", "/bluelabel/report"):
        status, _ = get(base + path)
        assert status == 401, path
    assert get(base + "/bluelabel/api/metrics", "not-a-token")[0] in (401, 403)


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
    status, body = get(f"{base}/bluelabel/api/metrics?dag_id={recorded_runs}", token)
    assert status == 200
    data = json.loads(body)
    workflow = data["workflows"][recorded_runs]
    assert workflow["runs"] == 2 and workflow["success_rate"] == 1.0
    steps = data["steps"][recorded_runs]
    assert set(steps) == {"plain", "ingest", "digest"}
    for step in steps.values():
        assert step["runs"] == 2
        d = step["duration_ms"]
        assert 0 < d["min"] <= d["p50"] <= d["p95"] <= d["max"]
        assert step["peak_memory_mb"]["max"] > 0


def test_unknown_dag_is_empty_and_bad_since_is_422(api_server: tuple[str, str]) -> None:
    base, token = api_server
    status, body = get(f"{base}/bluelabel/api/metrics?dag_id=no_such_dag", token)
    assert status == 200 and json.loads(body) == {"workflows": {}, "steps": {}}
    status, body = get(f"{base}/bluelabel/api/metrics?since=last-tuesday", token)
    assert status == 422 and b"since='last-tuesday'" in body


def test_page_and_report(api_server: tuple[str, str], recorded_runs: str) -> None:
    base, token = api_server
    status, page = get(f"{base}/bluelabel/", token)
    assert status == 200 and recorded_runs.encode() in page and b"<svg" in page
    status, report = get(f"{base}/bluelabel/report?format=md&dag_id={recorded_runs}", token)
    assert status == 200
    assert b"## Performance Targets Achievement" in report and b"| Workflow total |" in report


def test_navigation_links_to_the_page(api_server: tuple[str, str]) -> None:
    base, token = api_server
    status, body = get(f"{base}/api/v2/plugins", token)
    assert status == 200
    plugin = next(p for p in json.loads(body)["plugins"] if p["name"] == "bluelabel")
    assert {v["destination"] for v in plugin["external_views"]} == {"nav", "dag"}
    assert plugin["fastapi_apps"][0]["url_prefix"] == "/bluelabel"
