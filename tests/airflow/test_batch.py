"""The shipped batch-ingestion and periodic-digest workflows, run through Airflow (dag.test):
dynamic task mapping over the inbox, quarantine, deduplication, the asset, the outbox."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from devtools.samples import build_pdf, fill_inbox, sample_pages
from tests.airflow.conftest import task_states, xcom, xcoms
from tests.conftest import REPO, run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")


@pytest.fixture(scope="module")
def dags():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return bag.dags


def mapped_states(dag_run: object, task_id: str) -> dict[str, str]:
    """map_index rendered name (the document) -> state, for one mapped task."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(TaskInstance.rendered_map_index, TaskInstance.state).where(
                TaskInstance.run_id == dag_run.run_id,  # type: ignore[attr-defined]
                TaskInstance.dag_id == dag_run.dag_id,  # type: ignore[attr-defined]
                TaskInstance.task_id == task_id,
            )
        )
        return {str(name).rsplit("/", 1)[-1]: str(state) for name, state in rows}


def asset_events(uri: str) -> int:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return int(
            session.scalar(
                select(func.count(AssetEvent.id))
                .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                .where(AssetModel.uri == uri)
            )
            or 0
        )


@pytest.mark.slow  # over 10 s: make test only
def test_batch_workflow_maps_dedups_quarantines_and_emits_the_asset(
    dags, inbox: Path, http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AIRFLOW__BLUELABEL__ALLOW_PRIVATE_URLS", "true")  # server on loopback
    folder = inbox / "batch-e2e"
    shutil.rmtree(folder, ignore_errors=True)
    good, broken = fill_inbox(folder, 6, corrupt=2)
    (folder / "pages.url").write_text(f"# served pages\n{http_server}/batch-page.html\n")
    (folder / "bad.url").write_text("ftp://example.com/file\n")
    (folder / "slides.pptx").write_bytes(b"PK\x03\x04")
    events_before = asset_events("bluelabel://knowledge-store/")

    run = run_dag(dags["batch_ingestion"], {"inbox": str(folder), "settle_seconds": 0})

    assert str(run.state) == "success"  # the digest (all_done) is the run's outcome
    states = mapped_states(run, "ingest")
    assert len(states) == 6 + 2 + 2  # one mapped task per listed file
    failed = sorted(name for name, state in states.items() if state == "failed")
    assert failed == sorted([*broken, "bad.url"])
    assert all(states[name] == "success" for name in [*good, "pages.url"])
    processed = sorted(p.name for p in (folder / "processed").iterdir())
    assert processed == sorted([*good, "pages.url"])
    quarantined = {p.name for p in (folder / "quarantine").iterdir()}
    expected = {*broken, "bad.url", "slides.pptx"}
    assert quarantined == expected | {f"{n}.reason.txt" for n in expected}
    reason = (folder / "quarantine" / "bad.url.reason.txt").read_text()
    assert "only http and https URLs are allowed" in reason and "line 1" in reason
    assert (
        "unsupported file type '.pptx'"
        in (folder / "quarantine" / "slides.pptx.reason.txt").read_text()
    )
    assert [p.name for p in folder.iterdir() if p.is_file()] == []  # nothing left, nothing lost

    digest = xcom(run, "batch_digest")
    assert digest["summary_count"] == 7  # 6 documents + the page the .url file named
    assert "Batch document 0" in digest["digest"] and "Batch inbox page" in digest["digest"]
    # every file that failed (its mapped task) or was quarantined when listed, with its reason
    failed = {Path(f["source"]).name: f["reason"] for f in digest["failed"]}
    assert sorted(failed) == sorted(expected)
    assert "only http and https URLs are allowed" in failed["bad.url"]
    assert "unsupported file type '.pptx'" in failed["slides.pptx"]
    assert all(failed[name] and str(folder) not in failed[name] for name in broken)
    text = digest["digest"]
    assert "## Could not be read" in text
    assert f"7 documents, {len(expected)} could not be read" in text
    for name in expected:
        assert f"{folder}/{name}: " in text.replace("\\", "")
    page = Path(digest["paths"]["html"]).read_text()
    assert "Could not be read" in page and "slides.pptx" in page
    assert asset_events("bluelabel://knowledge-store/") == events_before + 1

    # Second run: nothing new -> nothing mapped, digest skipped, no asset event.
    again = run_dag(dags["batch_ingestion"], {"inbox": str(folder), "settle_seconds": 0})
    assert mapped_states(again, "ingest") in ({}, {"None": "skipped"}, {"-1": "skipped"})
    assert asset_events("bluelabel://knowledge-store/") == events_before + 1

    # The same documents dropped again are recognised by content and not ingested twice.
    for name in good[:3]:
        shutil.copy(folder / "processed" / name, folder / name)
    third = run_dag(dags["batch_ingestion"], {"inbox": str(folder), "settle_seconds": 0})
    scan = xcom(third, "scan_inbox", key="details")
    assert [d["file"] for d in scan["duplicates"]] == good[:3]
    assert xcom(third, "scan_inbox") == []
    assert asset_events("bluelabel://knowledge-store/") == events_before + 1


def test_a_batch_in_which_every_file_failed_fails_the_run(dags, inbox: Path) -> None:  # type: ignore[no-untyped-def]
    folder = inbox / "batch-all-failed"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "one.pdf").write_bytes(b"%PDF-1.7\nnot really a PDF\n")
    (folder / "two.pdf").write_bytes(b"plain text in a PDF's clothes\n")

    run = run_dag(dags["batch_ingestion"], {"inbox": str(folder), "settle_seconds": 0})

    assert str(run.state) == "failed"
    assert mapped_states(run, "ingest") == {"one.pdf": "failed", "two.pdf": "failed"}
    # the digest ran (all_done), listed both files with their reasons, then failed the run
    assert task_states(run)["batch_digest"] == "failed"
    digest = xcom(run, "batch_digest")
    assert digest["summary_count"] == 0
    assert sorted(Path(f["source"]).name for f in digest["failed"]) == ["one.pdf", "two.pdf"]
    assert "0 documents, 2 could not be read" in digest["digest"]
    assert Path(digest["paths"]["html"]).is_file()
    (why,) = xcoms(run, "batch_digest", key="failure")
    assert why["reason"].startswith("every input failed (2); the digest (")
    # each failed try left its reason where the digest and the Progress tab read it
    reasons = xcoms(run, "ingest", key="failure")
    assert sorted(Path(r["source"]).name for r in reasons) == ["one.pdf", "two.pdf"]
    assert all(r["reason"] and r["task_id"] == "ingest" for r in reasons)


def test_batch_workflow_fails_naming_a_missing_inbox(dags, inbox: Path) -> None:  # type: ignore[no-untyped-def]
    missing = inbox / "no-such-inbox"
    run = run_dag(dags["batch_ingestion"], {"inbox": str(missing), "settle_seconds": 0})
    assert str(run.state) == "failed"
    states = task_states(run)
    assert states["scan_inbox"] == "failed" and states["batch_digest"] == "failed"
    (why,) = xcom(run, "batch_digest")["failed"]  # the digest names the missing inbox
    assert str(missing) in why["source"] + why["reason"]


def test_a_relative_inbox_in_the_form_resolves_against_the_folder_the_form_names(
    dags, inbox: Path
) -> None:  # type: ignore[no-untyped-def]
    """The Inbox field says relative paths resolve against the trigger root; the worker's
    working folder (here the repository) is never where they go."""
    from bluelabel.config import get_settings

    assert get_settings().trigger_root == inbox.resolve()
    help_text = dags["batch_ingestion"].params.get_param("inbox").description
    assert f"Relative paths resolve against {inbox.resolve()}." in help_text
    assert "[bluelabel] inbox. Files must lie under" in help_text  # one sentence after another
    folder = inbox / "relative-batch"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "note.txt").write_text("A note dropped into a folder named relatively.\n")
    assert not (REPO / "relative-batch").exists()

    run = run_dag(dags["batch_ingestion"], {"inbox": "relative-batch", "settle_seconds": 0})

    assert str(run.state) == "success"
    (item,) = xcom(run, "scan_inbox")  # type: ignore[misc]
    assert str(folder.resolve()) in json.dumps(item)
    assert mapped_states(run, "ingest") == {"note.txt": "success"}


def test_periodic_digest_publishes_markdown_html_and_xcom(
    dags, inbox: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = inbox / "periodic-e2e"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "report.pdf").write_bytes(
        build_pdf(sample_pages(3), metadata={"Title": "Quarterly Pipeline Review"})
    )
    (folder / "torn.pdf").write_bytes(b"%PDF-1.7\ntorn off\n")
    run_dag(dags["batch_ingestion"], {"inbox": str(folder), "settle_seconds": 0})
    outbox = inbox / "periodic-e2e-outbox"  # a run's outbox lies under the allowed roots
    shutil.rmtree(outbox, ignore_errors=True)

    run = run_dag(dags["periodic_digest"], {"since": "1h", "outbox": str(outbox), "limit": 500})

    assert str(run.state) == "success"
    result = xcom(run, "periodic_digest")
    md = Path(result["paths"]["markdown"]).read_text()
    page = Path(result["paths"]["html"]).read_text()
    assert Path(result["paths"]["markdown"]).parent == outbox
    assert "Quarterly Pipeline Review" in md and "Quarterly Pipeline Review" in page
    # the session's store holds other tests' documents too (an untitled inline text): judge
    # this run's document by its own entries
    entries = [block for block in md.split("\n\n") if "Quarterly Pipeline Review" in block]
    assert entries and all("Untitled" not in e and "unknown" not in e.lower() for e in entries)
    assert result["document_count"] >= 1 and result["digest"] == md
    workflows = {w["dag_id"]: w for w in result["workflows"]}
    batch = workflows["batch_ingestion"]
    assert batch["runs"] >= 1 and 0 < batch["success_rate"] <= 1 and batch["avg_run_seconds"] > 0
    # the workflow by the DAG's display name (the workflow's name), times in human units
    assert batch["dag_display_name"] == "Batch Ingestion"
    assert "| Batch Ingestion |" in md and "<td>Batch Ingestion</td>" in page
    assert re.search(r"\| Batch Ingestion \| [^|]+ \| [^|]+ \| [^|]+ \| [\d.,]+ (ms|s) \|", md)
    assert json.dumps(result)  # the XCom is plain JSON
    # what the period's runs could not read, from the failed try's ledger record
    torn = [f for f in result["failed"] if f["source"].endswith("periodic-e2e/torn.pdf")]
    assert len(torn) == 1 and torn[0]["reason"] and torn[0]["dag_id"] == "batch_ingestion"
    assert "## Could not be read" in md and "periodic-e2e/torn.pdf: " in md.replace("\\", "")
