"""Operator behaviour: trigger input, templating, output contract, idempotent retries."""

from __future__ import annotations

from pathlib import Path

import pendulum
import pytest

from bluelabel.operators import AgentOperator, DigestOperator, IngestOperator
from bluelabel.operators.agent import MAX_XCOM_DIGEST_CHARS, _small, run_locations
from tests.airflow.conftest import task_states, xcom
from tests.conftest import run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")


def test_templated_fields() -> None:
    assert {"source", "text", "config", "input_data", "store"} <= set(
        IngestOperator.template_fields
    )
    assert {"format", "limit", "config"} <= set(DigestOperator.template_fields)


def test_location_options_a_run_supplies_are_known_before_rendering() -> None:
    """They resolve against the trigger root the form names, whatever else the step reads."""
    op = AgentOperator(
        task_id="scan",
        agent="inbox_agent",
        input_from=["upstream"],  # not a trigger-input step
        config={
            "inbox": "{{ params.inbox or '' }}",
            "outbox": "/fixed/outbox",
            "max_files": "{{ params.max_files }}",
        },
    )
    assert op.run_locations == ["inbox"]
    assert run_locations({"outbox": "{{ dag_run.conf['outbox'] }}"}) == ["outbox"]
    assert run_locations({"inbox": "{{ ds }}"}) == []


def test_xcom_result_stays_small() -> None:
    big = {"digest": "x" * (MAX_XCOM_DIGEST_CHARS + 10), "digest_path": "/d.md"}
    small = _small(big)
    assert len(small["digest"]) < MAX_XCOM_DIGEST_CHARS + 100 and small["digest_truncated"]


def _dag(dag_id: str):  # type: ignore[no-untyped-def]
    from airflow.sdk import DAG

    return DAG(
        dag_id, schedule=None, start_date=pendulum.datetime(2025, 1, 1), default_args={"retries": 0}
    )


def test_missing_declared_output_fails_the_task(sample_pdf: Path) -> None:
    with _dag("output_contract_test") as dag:
        IngestOperator(task_id="ingest", source=str(sample_pdf), outputs=["content_id", "summary"])
    run = run_dag(dag)
    assert str(run.state) == "failed" and task_states(run) == {"ingest": "failed"}


def test_retrying_an_ingest_stores_the_document_once(sample_pdf: Path) -> None:
    with _dag("idempotent_ingest_test") as dag:
        ingest = IngestOperator(
            task_id="ingest", source="{{ params.pdf }}", params={"pdf": str(sample_pdf)}
        )
        digest = DigestOperator(task_id="digest", input_from=["ingest"], format="json", limit="5")
        ingest >> digest
    first = xcom(run_dag(dag), "ingest")
    second = xcom(run_dag(dag), "ingest")  # a re-run, as a retry would do
    assert first["content_id"] == second["content_id"] and second["deduplicated"] is True


def test_generic_operator_runs_any_registered_agent() -> None:
    with _dag("generic_agent_test") as dag:
        AgentOperator(
            task_id="text",
            agent="ingestion",
            input_data={
                "task_type": "text",
                "content": {"text": "Generic agents run by name in Airflow."},
            },
        )
    run = run_dag(dag)
    assert xcom(run, "text")["content_type"] == "text"


def test_llm_digest_in_a_task_through_the_connection(llm_conn: str) -> None:
    """The digest step with ``summarizer: llm`` inside a real task: the connection is looked
    up by the task, the summary comes from the OpenAI-compatible server; the same step with a
    missing connection and ``fallback: false`` fails at its start with the reason."""
    import json

    from tests.conftest import OpenAICompatible

    text = "Workers pull queued tasks. " * 30 + "The task-level LLM test document."
    with _dag("llm_digest_test") as dag:
        ingest = IngestOperator(task_id="ingest", text=text)
        digest = DigestOperator(
            task_id="digest",
            input_from=["ingest"],
            format="json",
            config={"summarizer": "llm", "llm_conn_id": llm_conn, "llm_timeout": 10},
        )
        ingest >> digest
    run = run_dag(dag)
    assert str(run.state) == "success"
    result = xcom(run, "digest")
    assert result["summarizer"] == f"llm ({llm_conn})"
    item = json.loads(result["digest"])["items"][0]
    assert item["summary"] == "The document explains how Airflow schedules work."
    assert len(OpenAICompatible.requests) == 1

    with _dag("llm_digest_missing_conn_test") as broken:
        ingest = IngestOperator(task_id="ingest", text=text)
        digest = DigestOperator(
            task_id="digest",
            input_from=["ingest"],
            config={"summarizer": "llm", "llm_conn_id": "no_such_llm", "fallback": False},
        )
        ingest >> digest
    failed = run_dag(broken)
    assert task_states(failed) == {"ingest": "success", "digest": "failed"}
