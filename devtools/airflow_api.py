"""A small client of Airflow's REST API (``/api/v2``) with a bearer token, as a user calls
it: for the cluster tests (tests/cluster) and benchmarks (benchmarks/cluster.py)."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Api:
    """The cluster's REST API with a bearer token, as a user would call it."""

    def __init__(self, base: str, user: str, password: str) -> None:
        self.base, self.token = base, ""
        login = {"username": user, "password": password}
        self.token = str(self.call("POST", "/auth/token", login)["access_token"])

    def call(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.token:
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


def wait_for_dags(api: Api, dag_ids: list[str], timeout: float = 180) -> None:
    """Wait until the DAG processor has parsed ``dag_ids``, and unpause them."""
    deadline = time.monotonic() + timeout
    for dag_id in dag_ids:
        while True:
            try:
                api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
                break
            except urllib.error.HTTPError:
                assert time.monotonic() < deadline, f"the DAG processor did not parse {dag_id}"
                time.sleep(2)
