"""The one small client of Airflow's REST API (``/api/v2``) with a bearer token, as a user
calls it: for the tests (tests/airflow, tests/cluster) and the benchmarks."""

from __future__ import annotations

import functools
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from devtools.waiting import free_port, wait_until

__all__ = ["Api", "free_port", "wait_for_dags"]


FINISHED = ("success", "failed")


class Api:
    """An Airflow API server's REST API with a bearer token, as a user would call it."""

    def __init__(self, base: str, user: str, password: str) -> None:
        self.base, self.token = base, ""
        login = {"username": user, "password": password}
        self.token = str(self.call("POST", "/auth/token", login)["access_token"])

    @classmethod
    def with_token(cls, base: str, token: str) -> Api:
        api = cls.__new__(cls)
        api.base, api.token = base, token
        return api

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

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        """The DAG's newest 100 runs."""
        return list(self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=100")["dag_runs"])

    def wait(self, dag_id: str, run_ids: list[str], timeout: float = 300) -> dict[str, str]:
        """Wait until every run has finished; return run id -> state."""
        states: dict[str, str] = {}

        def finished() -> bool:
            for run_id in run_ids:
                if states.get(run_id) not in FINISHED:
                    states[run_id] = self.run(dag_id, run_id)["state"]
            return all(s in FINISHED for s in states.values())

        wait_until(
            finished,
            timeout=timeout,
            interval=1,
            what=f"{dag_id}: runs finished",
            details=lambda: self._unfinished(dag_id, states),
        )
        return states

    def _unfinished(self, dag_id: str, states: dict[str, str]) -> str:
        """The runs' states, and each unfinished run's unfinished tasks: state, try, worker."""
        lines = [str(states)]
        for run_id, state in states.items():
            if state in FINISHED:
                continue
            try:
                tasks = self.task_instances(dag_id, run_id)
            except (OSError, urllib.error.URLError) as exc:  # the details must not hide the timeout
                lines.append(f"{run_id}: task instances unavailable ({exc})")
                continue
            for t in tasks:
                if t.get("state") not in ("success", "skipped"):
                    lines.append(
                        f"{run_id} {t.get('task_id')}[{t.get('map_index')}]: {t.get('state')}"
                        f" try {t.get('try_number')} on {t.get('hostname') or '-'}"
                        f" queued {t.get('queued_when')} started {t.get('start_date')}"
                    )
        return "\n".join(lines)

    def wait_for_run(
        self,
        dag_id: str,
        run_id: str,
        timeout: float = 300,
        details: Callable[[], str] | None = None,
    ) -> dict[str, Any]:
        """The run once it has finished (``details()`` is added to a timeout's message)."""
        return wait_until(
            lambda: (run := self.run(dag_id, run_id))["state"] in FINISHED and run,
            timeout=timeout,
            interval=1,
            what=f"{dag_id} {run_id} finished",
            details=details,
        )

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


def wait_for_dags(api: Api, dag_ids: list[str], timeout: float = 180, unpause: bool = True) -> None:
    """Wait until the DAG processor has parsed ``dag_ids``; unpause them."""

    def parsed(dag_id: str) -> Any:
        path = f"/api/v2/dags/{dag_id}"
        return api.call("PATCH", path, {"is_paused": False}) if unpause else api.call("GET", path)

    for dag_id in dag_ids:
        wait_until(
            functools.partial(parsed, dag_id),
            timeout=timeout,
            interval=2,
            ignore=(urllib.error.HTTPError,),
            what=f"the DAG processor parsed {dag_id}",
        )
