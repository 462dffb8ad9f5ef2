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
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devtools.airflow_api import Api, free_port, wait_for_dags
from devtools.cluster import Cluster, ClusterSettings, Started
from tests.conftest import REPO

DATABASE = "bluelabel_test_cluster"
REDIS_DB = 12
S3_CONN_ID = "bluelabel_s3"
S3_BUCKET = "bluelabel"
TEST_DAGS = Path(__file__).parent / "dags"
LOCK = Path(tempfile.gettempdir()) / "bluelabel-test-cluster.lock"


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


class StatsdListener:
    """A StatsD server on 127.0.0.1 (UDP) that keeps every line the cluster sends."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.lines: list[str] = []
        threading.Thread(target=self._receive, daemon=True).start()

    def _receive(self) -> None:
        while True:
            try:
                data = self.sock.recv(65535)
            except OSError:  # closed
                return
            self.lines.extend(data.decode(errors="replace").splitlines())


@pytest.fixture(scope="session")
def statsd() -> Iterator[StatsdListener]:
    listener = StatsdListener()
    yield listener
    listener.sock.close()


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
def cluster(
    tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str, statsd: StatsdListener
) -> Iterator[RunningCluster]:
    root = tmp_path_factory.mktemp("cluster")
    connection = s3_connection(s3_endpoint)
    settings = ClusterSettings(
        home=root / "home",
        port=free_port(),
        database=DATABASE,
        redis_db=REDIS_DB,
        workers=1,
        dags=_dags_folder(root),
        extra_env={
            f"AIRFLOW_CONN_{S3_CONN_ID.upper()}": json.dumps(connection),
            # the S3 tests name a store, an inbox and an outbox in the bucket at trigger time
            "AIRFLOW__BLUELABEL__ALLOWED_ROOTS": (
                f"{root / 'home' / 'inbox'}:s3://{S3_CONN_ID}@{S3_BUCKET}"
            ),
            "AIRFLOW__METRICS__STATSD_PORT": str(statsd.port),
            # A task the killed scheduler queued but never sent to Celery waits this long
            # (default 600 s) in the scheduler-kill test; above the 50-run test's queueing.
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "240",
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "30",
        },
    )
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one test cluster at a time on this machine
        cluster = Cluster(settings)
        try:
            started = cluster.start(fresh=True)
            password = started.password_file.read_text().strip()
            api = Api(started.api, started.user, password)
            wait_for_dags(
                api,
                ["pdf_ingestion_digest", "batch_ingestion", "periodic_digest", "cluster_s3_store"],
            )
            yield RunningCluster(cluster, started, api, s3_endpoint)
        finally:
            cluster.stop()


def staging_files(store: Path) -> list[str]:
    return sorted(p.name for p in (store / "tmp").glob(".staging-*"))


def stored_documents(store: Path) -> set[str]:
    """The content ids whose record (the commit point) is in a local store."""
    return {p.stem for p in (store / "objects").glob("*/*.json")}
