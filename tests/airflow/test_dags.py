"""The shipped DAG files and workflows, parsed by a real DagBag and run with dag.test()."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from bluelabel.factory import load_workflows
from tests.airflow.conftest import task_states, xcom
from tests.conftest import AIRFLOW_HOME, REPO, run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")


@pytest.fixture(scope="module")
def dagbag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_every_shipped_dag_loads_without_import_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    assert {"pdf_ingestion_digest", "url_ingestion_digest", "example_operator_reuse"} <= set(
        dagbag.dags
    )


def test_workflow_becomes_a_dag_with_params_docs_and_settings(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["pdf_ingestion_digest"]
    assert dag.description == "Ingest a PDF into the knowledge store and publish a digest of it"
    assert dag.schedule is None
    assert {"bluelabel", "pdf-processing"} <= set(dag.tags)
    assert dag.params.get_param("format").schema["enum"] == ["markdown", "html", "json"]
    assert dag.params["format"] == "markdown"
    assert "```yaml" in dag.doc_md and "agent: digest_agent" in dag.doc_md  # the YAML in the UI
    ingest, digest = dag.get_task("ingest"), dag.get_task("digest")
    assert digest.upstream_task_ids == {"ingest"}
    assert ingest.retries == 2 and ingest.retry_delay.total_seconds() == 10
    assert ingest.execution_timeout.total_seconds() == 600
    assert ingest.task_display_name == "Ingest PDF"
    assert dag.dag_display_name == "PDF Ingestion and Digest"  # the workflow's name
    # limits the workflow leaves out are Airflow's configured ones, as for any DAG
    from airflow.configuration import conf

    assert dag.max_active_tasks == conf.getint("core", "max_active_tasks_per_dag")
    help_text = dag.params.get_param("source").description
    # the form names where files may be, and what relative paths mean
    assert f"Files must lie under {(AIRFLOW_HOME / 'inbox').resolve()}" in help_text
    assert f"Relative paths resolve against {(AIRFLOW_HOME / 'inbox').resolve()}" in help_text


def test_a_relative_trigger_path_resolves_against_the_inbox(dagbag, sample_pdf: Path) -> None:  # type: ignore[no-untyped-def]
    # sample_pdf lies in the session's inbox, the first allowed root: its name is enough
    run = run_dag(dagbag.dags["pdf_ingestion_digest"], {"source": sample_pdf.name})
    assert str(run.state) == "success"
    assert xcom(run, "ingest")["source"] == str(sample_pdf.resolve())
    outside = run_dag(dagbag.dags["pdf_ingestion_digest"], {"source": "../store/x.pdf"})
    assert task_states(outside)["ingest"] == "failed"


def test_the_pdf_workflow_refuses_a_text_file_given_as_the_pdf(
    dagbag, inbox: Path, capfd: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    notes = inbox / "notes-not-a-pdf.txt"
    notes.write_text("These are notes, not a PDF.\n")
    run = run_dag(dagbag.dags["pdf_ingestion_digest"], {"source": notes.name})
    assert str(run.state) == "failed"
    assert task_states(run) == {"ingest": "failed", "digest": "upstream_failed"}
    reason = f"{notes.resolve()}: this is text, and this step takes only PDF files"
    logged = capfd.readouterr()
    assert reason in logged.out + logged.err  # the task log's one line


def test_a_param_capped_by_a_setting_names_the_setting_key(tmp_path: Path) -> None:
    """``workers: 1000`` from the form: the Param's maximum is the deployment's, and its help
    names ``[bluelabel] ingest_workers`` (the setting behind the ``workers`` ceiling)."""
    from airflow.sdk.definitions.param import ParamValidationError

    from bluelabel.config import get_settings

    (tmp_path / "wf.yaml").write_text(
        textwrap.dedent("""\
        workflow:
          name: Workers
          version: "1"
          dag_id: workers_param_test
          params:
            workers: {type: integer, default: 1, title: "Workers"}
        steps:
          - id: ingest
            agent: ingestion_agent
            config:
              workers: "{{ params.workers }}"
    """)
    )
    (dag,) = load_workflows(tmp_path / "wf.yaml", {})
    param = dag.params.get_param("workers")
    most = get_settings().workers
    assert param.schema["maximum"] == most
    assert param.description == f"At most {most} ([bluelabel] ingest_workers)."
    with pytest.raises(ParamValidationError, match="1000"):
        param.resolve(1000)


def test_pdf_workflow_runs_end_to_end(dagbag, sample_pdf: Path) -> None:  # type: ignore[no-untyped-def]
    run = run_dag(
        dagbag.dags["pdf_ingestion_digest"], {"source": str(sample_pdf), "format": "json"}
    )
    assert str(run.state) == "success"
    ingested = xcom(run, "ingest")
    assert {"content_id", "content_type", "metadata", "content_length"} <= set(ingested)
    assert ingested["metadata"]["title"] == "Notes on Airflow" and ingested["page_count"] == 6
    assert "text" not in ingested  # XCom holds ids and metadata, not the document
    digest = xcom(run, "digest")
    assert digest["format"] == "json" and digest["summary_count"] == 1
    assert json.loads(digest["digest"])["items"][0]["content_id"] == ingested["content_id"]
    assert Path(digest["digest_path"]).exists()
    assert {"input_load_ms", "agent_init_ms", "agent_run_ms"} <= set(ingested["timings"])


def test_hand_written_example_ingests_two_documents_in_parallel(dagbag, sample_pdf: Path) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["example_operator_reuse"]
    assert dag.get_task("digest").upstream_task_ids == {"ingest_pdf", "ingest_note"}
    run = run_dag(
        dag,
        {"pdf": str(sample_pdf), "note": "A note about DAG runs and XCom.", "format": "markdown"},
    )
    assert str(run.state) == "success"
    digest = xcom(run, "digest")
    assert digest["summary_count"] == 2
    assert (
        "Notes on Airflow" in digest["digest"] and "Note from the trigger form" in digest["digest"]
    )


def test_fan_in_workflow(tmp_path: Path, inbox: Path, sample_pdf: Path) -> None:
    (tmp_path / "fan_in.yaml").write_text(
        textwrap.dedent("""\
        workflow:
          name: Fan in
          version: "1"
          dag_id: fan_in_test
        steps:
          - id: ingest_pdf
            agent: ingestion_agent
            input_file: pdf.json
          - id: ingest_text
            agent: ingestion
            input_file: text.json
          - id: digest
            agent: digest_agent
            input_from: [ingest_pdf, ingest_text]
            config: {format: html, sentences: 1}
    """)
    )
    (tmp_path / "pdf.json").write_text(
        json.dumps(
            {"task_type": "pdf", "source": "test", "content": {"file_path": str(sample_pdf)}}
        )
    )
    (tmp_path / "text.json").write_text(
        json.dumps(
            {
                "task_type": "text",
                "content": {"text": "Fan-in joins the results of two steps."},
                "metadata": {"title": "Fan-in note"},
            }
        )
    )
    namespace: dict[str, object] = {}
    (dag,) = load_workflows(tmp_path / "fan_in.yaml", namespace)
    assert namespace["bluelabel_dag_fan_in_test"] is dag
    run = run_dag(dag)
    assert str(run.state) == "success"
    digest = xcom(run, "digest")
    assert digest["summary_count"] == 2 and digest["format"] == "html"
    assert digest["titles"] == ["Notes on Airflow", "Fan-in note"]


def test_failing_step_fails_its_task_with_the_reason_and_stores_nothing(
    tmp_path: Path, inbox: Path
) -> None:
    broken = inbox / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n%garbage without objects")
    (tmp_path / "wf.yaml").write_text(
        textwrap.dedent("""\
        workflow:
          name: Fails
          version: "1"
          dag_id: failing_step_test
          default_args: {retries: 0}
        steps:
          - id: ingest
            agent: ingestion_agent
          - id: digest
            agent: digest_agent
            input_from: ingest
    """)
    )
    (dag,) = load_workflows(tmp_path / "wf.yaml", {})
    store = Path(dag.get_task("ingest").store or inbox.parent / "store")

    def documents() -> list[str]:  # the run ledger (runs/) records the failed try; no document
        return sorted(p.name for p in store.rglob("*.json") if "runs" not in p.parts)

    before = documents() if store.exists() else []
    run = run_dag(dag, {"source": str(broken)})
    assert str(run.state) == "failed"
    assert task_states(run) == {"ingest": "failed", "digest": "upstream_failed"}
    after = documents() if store.exists() else []
    assert after == before


def test_trigger_params_are_validated_before_the_run(dagbag) -> None:  # type: ignore[no-untyped-def]
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        run_dag(dagbag.dags["pdf_ingestion_digest"], {"source": "x.pdf", "format": "pdf"})


# ---------------------------------------------------------------------------- import errors
LOADER = """\
from pathlib import Path
from bluelabel.factory import load_workflows  # airflow DAG loader
here = Path(__file__).parent
load_workflows(here / "workflows" / "{name}", globals(), root=here)
"""


def test_each_broken_workflow_is_one_import_error_and_the_rest_still_load(
    tmp_path: Path, shared_bench: Path
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    workflows = tmp_path / "workflows"
    workflows.mkdir()
    shutil.copytree(shared_bench / "original-inputs", tmp_path / "tests")
    shutil.copy(shared_bench / "original-pdfs" / "sample.pdf", tmp_path / "tests")
    names = []
    for kind in ("valid", "invalid"):
        for path in sorted((shared_bench / "original-workflows" / kind).glob("*.yaml")):
            shutil.copy(path, workflows / path.name)
            (tmp_path / f"load_{path.stem}.py").write_text(LOADER.format(name=path.name))
            names.append((kind, path.stem))
    bag = DagBag(dag_folder=str(tmp_path))
    invalid = {stem for kind, stem in names if kind == "invalid"}
    # Two of the originals share the name "PDF Ingestion and Digest", hence the dag_id:
    # Airflow keeps the first and reports the second, naming both files.
    (duplicate_file,) = [f for f, e in bag.import_errors.items() if "DuplicatedId" in e]
    duplicate = bag.import_errors.pop(duplicate_file)
    assert "pdf_ingestion_and_digest" in duplicate
    assert (
        "load_pdf_ingestion_digest.py" in duplicate
        and "load_sample_ingestion_digest.py" in duplicate
    )
    assert {Path(f).stem.removeprefix("load_") for f in bag.import_errors} == invalid
    cycle = next(v for k, v in bag.import_errors.items() if "circular" in k)
    assert (
        f"{workflows / 'circular_dependency.yaml'}:10: "
        "dependency cycle: step_a -> step_c -> step_b -> step_a" in cycle
    )
    agents = next(v for k, v in bag.import_errors.items() if "invalid_agent" in k)
    assert ":14: step 'step2': unknown agent 'nonexistent_agent'" in agents
    assert ":19: step 'step3': unknown agent 'fantasy_agent'" in agents
    # the four valid originals still load, through the same loader, with the original root
    assert {
        "pdf_attachment_processor",
        "pdf_ingestion_and_digest",
        "url_ingestion_and_digest",
    } <= set(bag.dags)


def test_folder_mode_loads_valid_files_and_warns_about_broken_ones(tmp_path: Path) -> None:
    from bluelabel.factory import WorkflowLoadWarning

    (tmp_path / "good.yaml").write_text(
        "workflow: {name: Good one, version: '1'}\nsteps: [{id: a, agent: digest}]\n"
    )
    (tmp_path / "bad.yaml").write_text("workflow: {name: Bad, version: '1'}\nsteps: [{id: a}]\n")
    namespace: dict[str, object] = {}
    with pytest.warns(
        WorkflowLoadWarning, match=r"bad.yaml:2: step 'a': missing required key 'agent'"
    ):
        dags = load_workflows(tmp_path, namespace)
    assert [d.dag_id for d in dags] == ["good_one"]
