"""A run's task states on a real API server: mapped instances labelled by their file, failed
ones with their reason, the batch-level count (issue 23: failures in plain sight)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from tests.airflow.conftest import http_get

pytestmark = pytest.mark.usefixtures("airflow_db")


def tasks_url(base: str, run: Any) -> str:
    run_id = urllib.parse.quote(run.run_id, safe="")
    return f"{base}/bluelabel/api/runs/{run.dag_id}/{run_id}/tasks"


def test_failed_mapped_tasks_carry_their_file_and_reason(
    api_server: tuple[str, str], batch_runs: dict[str, Any]
) -> None:
    base, token = api_server
    status, _, body = http_get(tasks_url(base, batch_runs["mixed"]), token)
    assert status == 200, body[:300]
    data = json.loads(body)
    assert data["state"] == "success" and data["finished"] is True
    ingest = {t["label"].rsplit("/", 1)[-1]: t for t in data["tasks"] if t["task_id"] == "ingest"}
    assert set(ingest) == {"field-note.txt", "broken.pdf"}
    assert ingest["field-note.txt"]["state"] == "success" and not ingest["field-note.txt"]["reason"]
    broken = ingest["broken.pdf"]
    assert broken["state"] == "failed" and broken["reason"] and broken["map_index"] >= 0
    assert "broken.pdf:" not in broken["reason"]  # the reason, not the path again
    assert data["mapped"] == [{"task_id": "ingest", "total": 2, "done": 2, "failed": 1}]


def test_a_failed_run_says_what_failed(
    api_server: tuple[str, str], batch_runs: dict[str, Any]
) -> None:
    base, token = api_server
    data = json.loads(http_get(tasks_url(base, batch_runs["all_failed"]), token)[2])
    assert data["state"] == "failed"
    states = {(t["task_id"], t["state"]) for t in data["tasks"]}
    assert ("ingest", "failed") in states and ("batch_digest", "failed") in states
    failed = {t["task_id"]: t for t in data["tasks"] if t["state"] == "failed"}
    assert failed["ingest"]["label"].endswith("only.pdf") and failed["ingest"]["reason"]
    # the digest ran all the same (listing the file), then failed the run, saying so
    assert failed["batch_digest"]["reason"].startswith("every input failed (1); the digest (")


def test_unknown_runs_and_other_users_dags_are_refused(
    api_server: tuple[str, str], reader_token: str, batch_runs: dict[str, Any]
) -> None:
    base, token = api_server
    status, _, _ = http_get(f"{base}/bluelabel/api/runs/batch_ingestion/no-such-run/tasks", token)
    assert status == 404
    assert http_get(tasks_url(base, batch_runs["mixed"]))[0] == 401
    assert http_get(tasks_url(base, batch_runs["mixed"]), reader_token)[0] == 403
