"""One distributed cluster for the whole test session, started by the code behind
``make cluster`` (devtools/cluster.py): CeleryExecutor on Redis db 12, PostgreSQL database
``bluelabel_test_cluster`` (dropped and re-created at the start of each session), free
loopback ports, one worker with 4 slots, and a real S3-compatible server (moto) on 127.0.0.1.

Sessions on one machine share PostgreSQL and Redis: a file lock lets only one session's
cluster run at a time (a second one waits for it).
"""

from __future__ import annotations

import fcntl
import json
import logging
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devtools.cluster import Cluster, ClusterSettings, Started
from tests.conftest import REPO

DATABASE = "bluelabel_test_cluster"
REDIS_DB = 12
S3_CONN_ID = "bluelabel_s3"
S3_BUCKET = "bluelabel"
TEST_DAGS = Path(__file__).parent / "dags"
LOCK = Path(tempfile.gettempdir()) / "bluelabel-test-cluster.lock"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Api:
    """The cluster's REST API with a bearer token, as a user would call it."""

    def __init__(self, base: str, user: str, password: str) -> None:
        self.base = base
        self.token = self.call("POST", "/auth/token", {"username": user, "password": password})[
            "access_token"
        ]

    def call(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        headers = {"Content-Type": "application/json"}
        if getattr(self, "token", None):
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            f"{self.base}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers=headers,
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null")

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        run = self.call(
            "POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf}
        )
        return str(run["dag_run_id"])

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}"))

    def wait(self, dag_id: str, run_ids: list[str], timeout: float = 300) -> dict[str, str]:
        """Wait until every run has finished; return run id -> state."""
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while True:
            for run_id in run_ids:
                if states.get(run_id) not in ("success", "failed"):
                    states[run_id] = self.run(dag_id, run_id)["state"]
            if all(s in ("success", "failed") for s in states.values()):
                return states
            if time.monotonic() > deadline:
                raise AssertionError(f"{dag_id}: runs not finished after {timeout} s: {states}")
            time.sleep(1)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100"
        return list(self.call("GET", path)["task_instances"])

    def mapped_states(self, dag_id: str, run_id: str, task_id: str) -> dict[str, str]:
        """A mapped task's states by the name its instances show (the file they ingest)."""
        return {
            t["rendered_map_index"].rsplit("/", 1)[-1]: t["state"]
            for t in self.task_instances(dag_id, run_id)
            if t["task_id"] == task_id
        }

    def tries(self, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
        """Every try of a task, the killed ones included (Airflow's task instance history)."""
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/tries"
        return list(self.call("GET", path)["task_instances"])

    def result(self, dag_id: str, run_id: str, task_id: str) -> Any:
        path = (
            f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
            "/xcomEntries/return_value?deserialize=true"
        )
        value = self.call("GET", path)["value"]
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class RunningCluster:
    cluster: Cluster
    started: Started
    api: Api
    s3_endpoint: str

    @property
    def home(self) -> Path:
        return self.cluster.settings.home

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The ``bluelabel`` command with the cluster's configuration (as a user's shell)."""
        return subprocess.run(
            [str(Path(sys.executable).parent / "bluelabel"), *args],
            env=self.cluster.environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 with an empty bucket."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    request = urllib.request.Request(f"{endpoint}/{S3_BUCKET}", method="PUT")
    urllib.request.urlopen(request, timeout=10).close()  # create the bucket
    yield endpoint
    server.stop()


def s3_connection(endpoint: str) -> dict[str, Any]:
    """The Airflow connection (type ``aws``) of the S3 server, as ``AIRFLOW_CONN_*`` JSON."""
    return {
        "conn_type": "aws",
        "login": "testing",
        "password": "testing",
        "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
    }


def _dags_folder(root: Path) -> Path:
    """The repository's DAGs plus this folder's test DAGs (links: edits show up)."""
    folder = root / "dags"
    folder.mkdir()
    for entry in [*(REPO / "dags").iterdir(), *TEST_DAGS.glob("*.py")]:
        if entry.name != "__pycache__":
            (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[RunningCluster]:
    root = tmp_path_factory.mktemp("cluster")
    connection = s3_connection(s3_endpoint)
    settings = ClusterSettings(
        home=root / "home",
        port=free_port(),
        database=DATABASE,
        redis_db=REDIS_DB,
        workers=1,
        dags=_dags_folder(root),
        extra_env={f"AIRFLOW_CONN_{S3_CONN_ID.upper()}": json.dumps(connection)},
    )
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one test cluster at a time on this machine
        cluster = Cluster(settings)
        try:
            started = cluster.start(fresh=True)
            password = started.password_file.read_text().strip()
            api = Api(started.api, started.user, password)
            _wait_for_dags(
                api,
                ["pdf_ingestion_digest", "batch_ingestion", "periodic_digest", "cluster_s3_store"],
            )
            yield RunningCluster(cluster, started, api, s3_endpoint)
        finally:
            cluster.stop()


def _wait_for_dags(api: Api, dag_ids: list[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    for dag_id in dag_ids:
        while True:
            try:
                api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
                break
            except urllib.error.HTTPError:
                assert time.monotonic() < deadline, f"the DAG processor did not parse {dag_id}"
                time.sleep(2)


def staging_files(store: Path) -> list[str]:
    return sorted(p.name for p in (store / "tmp").glob(".staging-*"))


def stored_documents(store: Path) -> set[str]:
    """The content ids whose record (the commit point) is in a local store."""
    return {p.stem for p in (store / "objects").glob("*/*.json")}
