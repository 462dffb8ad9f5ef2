"""The metrics listener measures every task, Bluelabel's or not, and keeps one record each in
the run ledger of a knowledge store's catalog, where the metrics readers find it."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pendulum
import pytest

from tests.conftest import REPO, run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")


def ledger_record(run: Any, task_id: str, try_number: int = 1) -> dict[str, Any] | None:
    """The listener's record of a try, from the configured store's run ledger."""
    from bluelabel.store import configured_store
    from bluelabel.store.ledger import records_of_runs

    records = records_of_runs(configured_store().catalog, [(run.dag_id, run.run_id)])
    return records.get((run.dag_id, run.run_id, task_id, -1, try_number))


def tries_of(run: Any) -> dict[str, Any]:
    """The run's tries as the metrics API and ``bluelabel report`` read them, by task id."""
    from airflow.utils.session import create_session

    from bluelabel.metrics.db import load_tries

    with create_session() as session:
        tries, _ = load_tries(session, dag_ids=[run.dag_id], run_id=run.run_id)
    return {t.task_id: t for t in tries}


def _dag():  # type: ignore[no-untyped-def]
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    from bluelabel.operators import IngestOperator

    with DAG(
        "metrics_listener_test",
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1),
        default_args={"retries": 0},
    ) as dag:
        plain = PythonOperator(task_id="plain", python_callable=lambda: sum(range(10_000)))
        ingest = IngestOperator(task_id="ingest", text="Metrics are recorded for every task.")
        plain >> ingest
    return dag


def test_every_task_gets_a_metrics_record() -> None:
    run = run_dag(_dag())
    assert str(run.state) == "success"
    # One record per try, in the configured store's run ledger, the plain task's too.
    plain = ledger_record(run, "plain")
    ingest = ledger_record(run, "ingest")
    assert plain is not None and ingest is not None
    for record in (plain, ingest):
        assert record["outcome"] == "success" and record["try_number"] == 1
        assert record["duration_ms"] > 0 and record["cpu_ms"] >= 0
        assert record["maxrss_peak_mb"] >= record["maxrss_start_mb"] > 0
        assert record["maxrss_delta_mb"] == pytest.approx(
            record["maxrss_peak_mb"] - record["maxrss_start_mb"], abs=0.02
        )
    assert plain["operator"] == "PythonOperator" and "agent" not in plain
    assert plain["dag_display_name"] == "metrics_listener_test"  # the DAG's, as Airflow names it
    assert ingest["agent"] == "ingestion_agent"
    assert {"input_load_ms", "agent_init_ms", "agent_run_ms"} <= set(ingest)
    # ... and the metrics readers join Airflow's tries with them
    tries = tries_of(run)
    assert set(tries) == {"plain", "ingest"}
    assert tries["plain"].record == plain and tries["plain"].number("maxrss_peak_mb") > 0
    assert (tries["ingest"].record or {}).get("agent") == "ingestion_agent"
    # the task state store holds no metrics record any more (live progress only)
    from airflow.models.task_state_store import TaskStateStoreModel
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        kept = session.scalar(
            select(func.count()).where(
                TaskStateStoreModel.dag_id == run.dag_id,
                TaskStateStoreModel.run_id == run.run_id,
                TaskStateStoreModel.key.like("bluelabel.metrics.%"),
            )
        )
    assert kept == 0


def test_measuring_only_bluelabel_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """``[bluelabel] measure_all_tasks = False``: other operators' tasks are left alone."""
    monkeypatch.setenv("AIRFLOW__BLUELABEL__MEASURE_ALL_TASKS", "False")
    run = run_dag(_dag())
    assert str(run.state) == "success"
    assert ledger_record(run, "plain") is None
    record = ledger_record(run, "ingest")
    assert record is not None and record["outcome"] == "success"


def test_a_try_whose_record_cannot_be_kept_still_runs_and_shows(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A configured store whose catalog cannot be opened (here: its folder is a file) costs
    the records, said once per process, never a task's outcome; the tries still show, a
    failed one as killed (memory unknown), as a try whose record never arrived."""
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    from bluelabel.config import reset_settings

    def fail() -> None:
        raise RuntimeError("this task fails on purpose")

    with DAG(
        "metrics_unkept_test",
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1),
        default_args={"retries": 0},
    ) as dag:
        PythonOperator(task_id="fine", python_callable=lambda: 1)
        PythonOperator(task_id="fails", python_callable=fail)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the store's folder should be")
    monkeypatch.setenv("AIRFLOW__BLUELABEL__STORE", str(blocked / "store"))
    reset_settings()

    with caplog.at_level(logging.WARNING, logger="bluelabel.metrics.listener"):
        run = run_dag(dag)

    monkeypatch.undo()
    reset_settings()
    from tests.airflow.conftest import task_states

    assert task_states(run) == {"fine": "success", "fails": "failed"}
    warnings = [r for r in caplog.records if "are not kept" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    assert ledger_record(run, "fine") is None and ledger_record(run, "fails") is None
    tries = tries_of(run)
    assert tries["fine"].outcome == "success" and tries["fine"].number("maxrss_peak_mb") is None
    assert tries["fails"].outcome == "killed" and tries["fails"].number("maxrss_peak_mb") is None


STATSD_SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
import tests.conftest  # the session's Airflow home
import pendulum
from tests.airflow.test_metrics import _dag
from tests.conftest import run_dag
dag = _dag()
dag.dag_id = "metrics_statsd_test"
print(run_dag(dag).state)
"""


@pytest.mark.slow  # over 10 s: make test only
def test_metrics_reach_statsd_over_udp() -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.5)
    env = {
        **os.environ,
        "AIRFLOW__METRICS__STATSD_ON": "True",
        "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
        "AIRFLOW__METRICS__STATSD_PORT": str(receiver.getsockname()[1]),
        "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
        "AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED": "True",
    }
    # A separate process: Airflow reads the StatsD settings once, at start.
    done = subprocess.run(
        [sys.executable, "-c", STATSD_SCRIPT.format(repo=str(REPO))],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    packets: list[str] = []
    while True:
        try:
            packets += receiver.recv(65536).decode().splitlines()
        except TimeoutError:
            break
    ours = [p for p in packets if p.startswith("airflow.bluelabel.")]
    names = {p.split(",")[0].split(":")[0] for p in ours}
    assert {
        "airflow.bluelabel.task.duration",
        "airflow.bluelabel.task.maxrss_peak_mb",
        "airflow.bluelabel.step.agent_run",
    } <= names, packets[:20]
    duration = next(
        p for p in ours if p.startswith("airflow.bluelabel.task.duration") and "task_id=ingest" in p
    )
    assert "dag_id=metrics_statsd_test" in duration and duration.endswith("|ms")
    assert float(duration.split(":")[1].split("|")[0]) > 0


class _FlakyAgent:
    """Fails its first try with an error worth retrying; succeeds on the next."""

    name = "ledger_flaky_test_agent"

    def run(self, request: Any, context: Any) -> dict[str, Any]:
        from bluelabel.errors import IngestError

        if context.run.try_number == 1:
            raise IngestError(request.source, "the server timed out", permanent=False)
        return {"content_id": "none"}


class _NothingAgent:
    name = "ledger_nothing_test_agent"

    def run(self, request: Any, context: Any) -> dict[str, Any]:
        from bluelabel.errors import NothingToDigest

        raise NothingToDigest("no new documents to digest")


def test_each_try_closes_its_ledger_row_retried_and_skipped_ones_too() -> None:
    """The operator opens a try's row in the run ledger as running; the listener closes it
    (failed and retried, succeeded, skipped), so no row is left to look killed."""
    from datetime import datetime, timedelta, timezone

    from airflow.sdk import DAG

    from bluelabel.agents.registry import register_agent
    from bluelabel.config import get_settings
    from bluelabel.operators import AgentOperator
    from bluelabel.store import KnowledgeStore

    register_agent(_FlakyAgent.name, _FlakyAgent)
    register_agent(_NothingAgent.name, _NothingAgent)
    with DAG(
        "ledger_rows_test",
        dag_display_name="Ledger <rows> test",
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1),
        default_args={"retries": 1, "retry_delay": timedelta(0)},
    ) as dag:
        AgentOperator(
            task_id="flaky", agent=_FlakyAgent.name, input_data={"content": {"text": "x"}}
        )
        AgentOperator(task_id="nothing", agent=_NothingAgent.name)
    started = datetime.now(timezone.utc) - timedelta(seconds=1)

    run = run_dag(dag)

    assert str(run.state) == "success"
    store = KnowledgeStore(get_settings().store)
    mine = [
        e
        for e in store.tries(since=started, until=datetime.now(timezone.utc))
        if e["run_id"] == run.run_id
    ]
    assert sorted((e["task_id"], e["try_number"], e["outcome"]) for e in mine) == [
        ("flaky", 1, "failed"),
        ("flaky", 2, "success"),
        ("nothing", 1, "skipped"),
    ]
    assert {e["dag_display_name"] for e in mine} == {"Ledger <rows> test"}
    [failed] = [e for e in mine if e["outcome"] == "failed"]
    assert "the server timed out" in str(failed["reason"])
    # nothing is left "running" (what a killed try leaves)
    from sqlalchemy import text

    with store.catalog.reading() as conn:
        running = conn.execute(
            text("SELECT count(*) FROM bluelabel_tries WHERE run_id = :r AND outcome = 'running'"),
            {"r": run.run_id},
        ).scalar_one()
    assert running == 0
