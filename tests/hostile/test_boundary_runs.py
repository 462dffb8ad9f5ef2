"""The run-time boundary under Airflow (issue 20, items 1, 2, 7, 8): the shipped workflows,
triggered with hostile input, fail at once (no retry), touch nothing outside the roots and
contact nothing the location policy refuses; a PDF password never travels in a run's input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.airflow.conftest import task_states, xcom
from tests.conftest import REPO, run_dag
from tests.hostile.locations import Recorder, tree
from tests.hostile.test_runs import _tries

pytestmark = pytest.mark.usefixtures("airflow_db")
WORKFLOWS = REPO / "dags" / "workflows"


def workflow_dag(name: str) -> Any:
    from bluelabel.factory import load_workflow_dag

    return load_workflow_dag(WORKFLOWS / f"{name}.yaml", use_cache=False)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.close()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    folder = tmp_path / "secret"
    folder.mkdir()
    (folder / "token.txt").write_text("the secret token\n")
    return folder


def test_a_batch_run_given_an_inbox_outside_the_roots(
    secret: Path, recorder: Recorder, capfd: pytest.CaptureFixture[str]
) -> None:
    dag = workflow_dag("batch_ingestion")
    for inbox in (f"local://{secret}", str(secret), f"{recorder.url}/"):
        run = run_dag(dag, conf={"inbox": inbox, "settle_seconds": 0})
        assert task_states(run)["scan_inbox"] == "failed", inbox
        assert _tries(run, "scan_inbox") == 1
    assert tree(secret) == ["token.txt"] and recorder.connections == []
    output = capfd.readouterr()
    lines = [line for line in (output.out + output.err).splitlines() if "refused" in line]
    assert any(f"inbox local://{secret}: refused" in line for line in lines)
    assert any(f"inbox {recorder.url}/: refused: not under a URL root" in line for line in lines)


def test_a_periodic_digest_given_an_outbox_outside_the_roots(
    tmp_path: Path, recorder: Recorder
) -> None:
    dag = workflow_dag("periodic_digest")
    anywhere = tmp_path / "anywhere"
    for outbox in (str(anywhere), f"local://{anywhere}", f"ftp://127.0.0.1:{recorder.port}/x"):
        run = run_dag(dag, conf={"outbox": outbox, "since": "1d"})
        assert task_states(run) == {"periodic_digest": "failed"}, outbox
        assert _tries(run, "periodic_digest") == 1  # not 2: a refusal is permanent
    assert not anywhere.exists() and recorder.connections == []


def test_a_templated_store_outside_the_roots(airflow_db: Path, tmp_path: Path) -> None:
    import pendulum
    from airflow.sdk import DAG, Param

    from bluelabel.operators import IngestOperator

    with DAG(
        "hostile_templated_store",
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1),
        params={"store": Param(type="string")},
    ) as dag:
        IngestOperator(task_id="ingest", text="A note.", store="{{ params.store }}")
    outside = tmp_path / "elsewhere-store"
    run = run_dag(dag, conf={"store": str(outside)})
    assert task_states(run) == {"ingest": "failed"} and not outside.exists()
    inside = airflow_db / "inbox" / "templated-store"
    run = run_dag(dag, conf={"store": str(inside)})
    assert task_states(run) == {"ingest": "success"} and (inside / "objects").is_dir()


# ------------------------------------------------------------------------- passwords
PASSWORD = "open-sesame-42"


@pytest.fixture
def locked_pdf(airflow_db: Path) -> Path:
    from devtools.samples import build_pdf, sample_pages

    pdf = airflow_db / "inbox" / "locked.pdf"
    pdf.write_bytes(build_pdf(sample_pages(2), user_password=PASSWORD, owner_password="owner-pass"))
    return pdf


def test_a_password_in_the_trigger_input_is_refused(locked_pdf: Path) -> None:
    dag = workflow_dag("pdf_ingestion_digest")
    assert "password" not in dag.params and "password_conn_id" in dag.params
    run = run_dag(dag, conf={"source": str(locked_pdf), "password": PASSWORD})
    assert task_states(run)["ingest"] == "failed" and _tries(run, "ingest") == 1


def test_a_password_from_a_connection_or_variable_opens_the_pdf_and_is_masked(
    locked_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_BLUELABEL_PDF_LOCKED",
        json.dumps({"conn_type": "generic", "password": PASSWORD}),
    )
    monkeypatch.setenv("AIRFLOW_VAR_BLUELABEL_PDF_LOCKED_KEY", PASSWORD)
    for conf in (
        {"password_conn_id": "bluelabel_pdf_locked"},
        {"password_variable": "bluelabel_pdf_locked_key"},
    ):
        # a fresh DAG per run: dag.test() leaves the last run's values in the Params
        dag = workflow_dag("pdf_ingestion_digest")
        run = run_dag(dag, conf={"source": str(locked_pdf), **conf})
        assert task_states(run) == {"ingest": "success", "digest": "success"}, conf
        result = xcom(run, "ingest")
        assert isinstance(result, dict) and result["metadata"]["encrypted"] is True
        assert PASSWORD not in json.dumps(run.conf) + json.dumps(result)
    from airflow.sdk._shared.secrets_masker import redact

    assert redact(f"the password is {PASSWORD}") == "the password is ***"


@pytest.mark.parametrize(
    "conf",
    [
        {"password_conn_id": "other_locked"},  # exists, holds the password, wrong prefix
        {"password_variable": "OTHER_LOCKED"},
        {"password_conn_id": "bluelabel_pdf_missing"},
        {"password_conn_id": "bluelabel_pdf_locked", "password_variable": "bluelabel_pdf_x"},
    ],
)
def test_a_connection_outside_the_prefix_is_not_read(
    locked_pdf: Path, monkeypatch: pytest.MonkeyPatch, conf: dict[str, str]
) -> None:
    """Had the task read the connection, the PDF would open: it fails, naming why, at once."""
    connection = json.dumps({"conn_type": "generic", "password": PASSWORD})
    monkeypatch.setenv("AIRFLOW_CONN_OTHER_LOCKED", connection)
    monkeypatch.setenv("AIRFLOW_CONN_BLUELABEL_PDF_LOCKED", connection)
    monkeypatch.setenv("AIRFLOW_VAR_OTHER_LOCKED", PASSWORD)
    run = run_dag(workflow_dag("pdf_ingestion_digest"), conf={"source": str(locked_pdf), **conf})
    assert task_states(run)["ingest"] == "failed" and _tries(run, "ingest") == 1


# ------------------------------------------------------------------------- max_files
def test_max_files_is_capped_by_max_map_length_in_the_form_and_at_run_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk.definitions.param import ParamsDict
    from airflow.sdk.exceptions import ParamValidationError

    from bluelabel.config import reset_settings

    dag = workflow_dag("batch_ingestion")
    assert dag.params.get_param("max_files").schema["maximum"] == 1024
    params = ParamsDict(dag.params)
    with pytest.raises(ParamValidationError, match="1100 is greater than the maximum of 1024"):
        params["max_files"] = 1100  # what the trigger form and the REST API check

    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "3")
    inbox = tmp_path / "root" / "inbox"
    inbox.mkdir(parents=True)
    for n in range(5):
        (inbox / f"doc-{n}.txt").write_text(f"Document number {n} of the batch. " * 4)
    monkeypatch.setenv("AIRFLOW__BLUELABEL__ALLOWED_ROOTS", str(tmp_path / "root"))
    reset_settings()  # read once per process: this test changed the configuration
    dag = workflow_dag("batch_ingestion")
    assert dag.params.get_param("max_files").schema["maximum"] == 3
    run = run_dag(dag, conf={"inbox": str(inbox), "max_files": 3, "settle_seconds": 0})
    assert task_states(run)["scan_inbox"] == "success"
    details = xcom(run, "scan_inbox", key="details")
    assert isinstance(details, dict) and details["waiting"] == 2
