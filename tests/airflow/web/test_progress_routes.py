"""``/bluelabel/api/progress`` on a real API server: a finished run's last values, live values
of a running task as it publishes them (through the task state store), and access rules."""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from bluelabel.operators.progress import MIN_INTERVAL_SECONDS
from tests.airflow.conftest import http_get
from tests.airflow.web.conftest import progress_dag
from tests.conftest import run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")


def listen(
    url: str,
    token: str,
    events: list[dict[str, Any]],
    stop: threading.Event,
    opened: threading.Event,
) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(5, read=None)) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        opened.set()
        for line in r.iter_lines():
            if line.startswith("data: "):
                event = json.loads(line[6:])
                event["received_at"] = time.time()
                events.append(event)
            if stop.is_set():
                return


def start_listener(url: str, token: str) -> tuple[list[dict[str, Any]], threading.Event]:
    events: list[dict[str, Any]] = []
    stop, opened = threading.Event(), threading.Event()
    threading.Thread(target=listen, args=(url, token, events, stop, opened), daemon=True).start()
    assert opened.wait(30), "the stream did not open"
    return events, stop


def test_a_finished_run_streams_where_each_task_ended(
    api_server: tuple[str, str], progress_run: Any
) -> None:
    base, token = api_server
    query = urlencode({"dag_id": progress_run.dag_id, "run_id": progress_run.run_id})
    url = f"{base}/bluelabel/api/progress?{query}"
    events, stop = start_listener(url, token)
    deadline = time.monotonic() + 10
    while not events and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    event = events[0]
    assert {k: event[k] for k in ("dag_id", "run_id", "task_id", "map_index")} == {
        "dag_id": progress_run.dag_id,
        "run_id": progress_run.run_id,
        "task_id": "count_pages",
        "map_index": -1,
    }
    assert (event["stage"], event["done"], event["total"], event["final"]) == (
        "extract",
        40,
        40,
        True,
    )


def test_values_arrive_live_while_the_task_runs(api_server: tuple[str, str]) -> None:
    base, token = api_server
    events, stop = start_listener(f"{base}/bluelabel/api/progress", token)
    run = run_dag(progress_dag("progress_live_test", total=30, pause=0.05))
    assert str(run.state) == "success"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
        e["final"] for e in events if e["dag_id"] == "progress_live_test"
    ):
        time.sleep(0.05)
    stop.set()
    mine = [e for e in events if e["run_id"] == run.run_id]
    assert len(mine) >= 4, events  # 1.5 s of work: several values, not just the end
    assert [e["done"] for e in mine] == sorted(e["done"] for e in mine)
    assert mine[-1]["final"] and mine[-1]["done"] == mine[-1]["total"] == 30
    assert all(not e["final"] for e in mine[:-1])
    live = mine[:-1]
    gaps = [b["published_at"] - a["published_at"] for a, b in itertools.pairwise(live)]
    assert all(gap >= MIN_INTERVAL_SECONDS * 0.95 for gap in gaps)
    latencies = sorted(e["received_at"] - e["published_at"] for e in mine)
    assert latencies[len(latencies) // 2] < 1.0  # a generous bound here; see benchmarks/


def test_access_rules(api_server: tuple[str, str]) -> None:
    base, token = api_server
    assert http_get(f"{base}/bluelabel/api/progress")[0] == 401
    status, _, body = http_get(f"{base}/bluelabel/api/progress?run_id=x", token)
    assert status == 422 and b"dag_id" in body
