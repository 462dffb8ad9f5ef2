"""``make cluster`` itself (devtools/cluster.py): what it prints, its pid files, a rerun that
starts only what is missing, loopback-only sockets, and a stop that ends only its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devtools.cluster import Cluster, ClusterSettings, read_env_file
from devtools.pidfiles import session_members
from devtools.waiting import wait_until
from tests.cluster.conftest import RunningCluster

COMPONENTS = ["api-server", "scheduler", "dag-processor", "triggerer", "worker-1"]


def test_start_prints_where_the_cluster_is_and_writes_a_pid_file_per_component(
    cluster: RunningCluster,
) -> None:
    lines = cluster.started.lines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "api", "user", "password-file", "inbox", "store",
    ]  # fmt: skip
    assert lines[0] == f"api: http://127.0.0.1:{cluster.cluster.settings.port}"
    assert cluster.started.password_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert cluster.api.token  # the printed user and password file log in
    pids = {p.stem: int(p.read_text()) for p in (cluster.home / "pids").glob("*.pid")}
    assert sorted(pids) == sorted(COMPONENTS)
    assert cluster.cluster.running() == pids


def test_rerun_starts_nothing_that_runs(cluster: RunningCluster) -> None:
    before = cluster.cluster.running()
    again = cluster.cluster.start()
    assert again == cluster.started
    assert cluster.cluster.running() == before


def test_every_listening_socket_of_the_cluster_is_on_loopback(cluster: RunningCluster) -> None:
    inodes = set()
    for pid in cluster.cluster.processes():
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue  # a task process that just ended
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                listening.append(fields[1])
    assert listening, "the api-server listens somewhere"
    loopback = ("0100007F:", "00000000000000000000000001000000:")  # 127.0.0.1, ::1
    assert [a for a in listening if not a.startswith(loopback)] == []


def test_stop_leaves_alone_a_process_it_did_not_start(tmp_path: Path) -> None:
    """A pid file naming a process started by someone else (a recycled pid) is not ours, nor
    is its session."""
    sleep = "import time; time.sleep(60)"
    code = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {sleep!r}]); {sleep}"
    stranger = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        cluster = Cluster(ClusterSettings(home=tmp_path, database="bluelabel_unused"))
        (tmp_path / "pids").mkdir()
        cluster.pid_file("scheduler").path.write_text(f"{stranger.pid}\n")
        (tmp_path / "pids" / ".scheduler.started").write_text("1")  # not its start time
        wait_until(  # the stranger and its child
            lambda: len(session_members({stranger.pid})) == 2, timeout=10, what="two processes"
        )
        assert cluster.running() == {}
        assert cluster.processes() == []
        assert cluster.stop() == []  # stop() signals what it stops before it returns
        assert stranger.poll() is None and len(session_members({stranger.pid})) == 2
    finally:
        for pid in session_members({stranger.pid}):
            os.kill(pid, 9)
        stranger.wait()


def test_settings_come_from_the_environment(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name, value in {
        "CLUSTER_HOME": str(tmp_path / "h"), "CLUSTER_PORT": "18080", "CLUSTER_DB": "my_db",
        "CLUSTER_REDIS_DB": "9", "CLUSTER_WORKERS": "3",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    cluster = Cluster(ClusterSettings.from_environment())
    env = cluster.environment()
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@127.0.0.1:5432/my_db")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:6379/9"
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:18080"
    assert list(cluster.components())[-3:] == ["worker-1", "worker-2", "worker-3"]
    assert env["AIRFLOW_HOME"] == str(tmp_path / "h")
    # the shared configuration (docker compose reads the same file) is in every component
    shared = read_env_file(Path(__file__).parents[2] / "docker" / "airflow.env")
    assert {k: env[k] for k in shared} == shared
