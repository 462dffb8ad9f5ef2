"""Runs under Airflow: conf cannot lift a limit, a permanent input error spends no retries, a
transient one keeps them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
import pytest

from tests.airflow.conftest import task_states
from tests.conftest import run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")


def _tries(dag_run: Any, task_id: str) -> int:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return int(
            session.scalar(
                select(TaskInstance.try_number).where(
                    TaskInstance.dag_id == dag_run.dag_id,
                    TaskInstance.run_id == dag_run.run_id,
                    TaskInstance.task_id == task_id,
                )
            )
        )


def _dag(dag_id: str, **ingest: Any) -> Any:
    from airflow.sdk import DAG

    from bluelabel.operators import IngestOperator

    with DAG(dag_id, schedule=None, start_date=pendulum.datetime(2025, 1, 1)) as dag:
        IngestOperator(task_id="ingest", retries=2, retry_delay=timedelta(0), **ingest)
    return dag


def test_a_permanent_input_error_fails_at_once(airflow_db: Path) -> None:
    run = run_dag(_dag("hostile_missing_file", source=str(airflow_db / "inbox" / "nope.pdf")))
    assert task_states(run) == {"ingest": "failed"}
    assert _tries(run, "ingest") == 1  # not 3: a missing file stays missing


def test_a_transient_error_keeps_its_retries(http_server: str, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__BLUELABEL__ALLOW_PRIVATE_URLS", "true")
    run = run_dag(_dag("hostile_http_503", source=f"{http_server}/unavailable"))
    assert task_states(run) == {"ingest": "failed"}
    assert _tries(run, "ingest") == 3  # HTTP 503 may pass: every retry was spent


def test_conf_cannot_lift_a_limit(airflow_db: Path) -> None:
    from airflow.sdk import DAG, Param

    from bluelabel.operators import IngestOperator

    pdf = airflow_db / "inbox" / "conf-limit.pdf"
    from devtools.samples import build_pdf, sample_pages

    pdf.write_bytes(build_pdf(sample_pages(2)))
    with DAG(
        "hostile_conf_workers",
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1),
        params={"source": Param(None, type=["null", "string"])},
    ) as dag:
        IngestOperator(
            task_id="ingest", use_trigger_input=True, retries=2, retry_delay=timedelta(0)
        )
    run = run_dag(dag, conf={"source": str(pdf), "workers": 1000})
    assert task_states(run) == {"ingest": "failed"} and _tries(run, "ingest") == 1
    ok = run_dag(dag, conf={"source": str(pdf)})
    assert task_states(ok) == {"ingest": "success"}
