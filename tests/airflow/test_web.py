"""The plugin's page and API on a real `airflow api-server` (127.0.0.1): authentication,
aggregates of the runs made by the tests, the report, bad input."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest

from tests.conftest import AIRFLOW_HOME, run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def api_server(airflow_db: Path) -> Iterator[tuple[str, str]]:
    """(base URL, bearer token) of an API server with the plugin loaded."""
    port = _free_port()
    passwords = AIRFLOW_HOME / "test-passwords.json"
    passwords.write_text(json.dumps({"admin": "test-password"}))
    env = {
        **os.environ,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
    }
    log = (AIRFLOW_HOME / "api-server.log").open("w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "airflow"),
            "api-server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v2/version", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, (AIRFLOW_HOME / "api-server.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "api-server did not start"
                time.sleep(1)
        request = urllib.request.Request(
            f"{base}/auth/token",
            method="POST",
            data=json.dumps({"username": "admin", "password": "test-password"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        token = json.loads(urllib.request.urlopen(request, timeout=10).read())["access_token"]
        yield base, token
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def recorded_runs(airflow_db: Path) -> str:
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    from bluelabel.operators import DigestOperator, IngestOperator

    with DAG(
        "web_metrics_test",
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1),
        default_args={"retries": 0},
    ) as dag:
        ingest = IngestOperator(task_id="ingest", text="The page shows what the runs recorded.")
        digest = DigestOperator(task_id="digest", input_from=["ingest"])
        PythonOperator(task_id="plain", python_callable=lambda: 1) >> ingest >> digest
    for _ in range(2):
        assert str(run_dag(dag).state) == "success"
    return dag.dag_id


def test_plugin_routes_need_airflow_authentication(api_server: tuple[str, str]) -> None:
    base, _ = api_server
    for path in ("/bluelabel/api/metrics", "/bluelabel/", "/bluelabel/report"):
        status, _ = get(base + path)
        assert status == 401, path
    assert get(base + "/bluelabel/api/metrics", "not-a-token")[0] in (401, 403)


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
