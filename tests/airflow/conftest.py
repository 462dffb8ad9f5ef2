from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest

from devtools.samples import build_pdf, sample_pages
from devtools.waiting import free_port, wait_until
from tests.conftest import AIRFLOW_HOME, REPO, run_dag

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def inbox(airflow_db: Path) -> Path:
    """The allowed folder run-time file paths may point into (``[bluelabel] allowed_roots``)."""
    folder = airflow_db / "inbox"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def sample_pdf(inbox: Path) -> Path:
    path = inbox / "airflow-notes.pdf"
    path.write_bytes(
        build_pdf(sample_pages(6), metadata={"Title": "Notes on Airflow", "Author": "Test"})
    )
    return path


def xcom(dag_run: object, task_id: str, key: str = "return_value") -> object:
    """Read an XCom of a finished run from the metadata DB."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(
                run_id=dag_run.run_id,
                dag_ids=dag_run.dag_id,
                task_ids=task_id,
                key=key,  # type: ignore[attr-defined]
            )
        ).first()
        return None if row is None else XComModel.deserialize_value(row)


def xcoms(dag_run: object, task_id: str, key: str = "return_value") -> list[Any]:
    """Every XCom ``key`` of ``task_id`` in a finished run (each instance of a mapped task)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.scalars(
            XComModel.get_many(
                run_id=dag_run.run_id,  # type: ignore[attr-defined]
                dag_ids=dag_run.dag_id,  # type: ignore[attr-defined]
                task_ids=task_id,
                key=key,
                map_indexes=None,
            )
        ).all()
        return [XComModel.deserialize_value(row) for row in rows]


def task_states(dag_run: object) -> dict[str, str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(TaskInstance.task_id, TaskInstance.state).where(
                TaskInstance.run_id == dag_run.run_id,  # type: ignore[attr-defined]
                TaskInstance.dag_id == dag_run.dag_id,
            )
        )  # type: ignore[attr-defined]
        return {task_id: str(state) for task_id, state in rows}


#: The user the permission tests log in as: a viewer limited to this one DAG by the session's
#: auth manager (tests/airflow/web/one_dag_auth.py); the admin user may read every DAG.
READER, READER_DAG = "reader", "progress_view_test"


def api_login(base: str, username: str, password: str) -> str:
    """A bearer token from the API server's ``/auth/token``."""
    request = urllib.request.Request(
        f"{base}/auth/token",
        method="POST",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    return str(json.loads(urllib.request.urlopen(request, timeout=10).read())["access_token"])


@pytest.fixture(scope="session")
def api_server(airflow_db: Path) -> Iterator[tuple[str, str]]:
    """(base URL, admin's bearer token) of an API server with the plugin loaded. Its auth
    manager is SimpleAuthManager that limits the user ``reader`` to ``READER_DAG``."""
    port = free_port()
    passwords = AIRFLOW_HOME / "test-passwords.json"
    passwords.write_text(json.dumps({"admin": "test-password", READER: "reader-password"}))
    env = {
        **os.environ,
        "AIRFLOW__CORE__AUTH_MANAGER": "tests.airflow.web.one_dag_auth.OneDagAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"admin:admin,{READER}:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "BLUELABEL_TEST_DAG_GRANTS": f"{READER}={READER_DAG}",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
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

        def answers() -> bool:
            assert process.poll() is None, (AIRFLOW_HOME / "api-server.log").read_text()[-3000:]
            return bool(urllib.request.urlopen(f"{base}/api/v2/version", timeout=2))

        wait_until(
            answers, timeout=180, interval=1, ignore=(OSError,), what="the api-server answers"
        )
        yield base, api_login(base, "admin", "test-password")
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # seen at load 17: exit outlived uvicorn by 30 s
            process.kill()
            process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def reader_token(api_server: tuple[str, str]) -> str:
    """A bearer token of ``reader``, who may read only ``READER_DAG``."""
    return api_login(api_server[0], READER, "reader-password")


#: The display name of ``recorded_runs``' DAG, which the metrics views show for its dag_id.
RECORDED_RUNS_DISPLAY_NAME = "Web metrics (test)"


@pytest.fixture(scope="session")
def recorded_runs(airflow_db: Path) -> str:
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    from bluelabel.operators import DigestOperator, IngestOperator

    with DAG(
        "web_metrics_test",
        dag_display_name=RECORDED_RUNS_DISPLAY_NAME,
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


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    """Headless Debian Chromium through its chromedriver (skipped, saying so, without them)."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    # No background traffic: this machine's network is closed to everything but loopback.
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(20)
    yield driver
    driver.quit()


def log_in(browser: object, base: str) -> None:
    """Log in to the Airflow UI as the session's admin user."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{base}/")  # type: ignore[attr-defined]
    browser.find_element(By.NAME, "username").send_keys("admin")  # type: ignore[attr-defined]
    password = browser.find_element(By.NAME, "password")  # type: ignore[attr-defined]
    password.send_keys("test-password", Keys.ENTER)
    WebDriverWait(browser, 30).until(lambda d: "/auth/login" not in d.current_url)


def http_get(
    url: str, token: str | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a GET, without following redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    request_headers = dict(headers or {})
    if token:
        request_headers["Authorization"] = f"Bearer {token}"
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=request_headers), timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
