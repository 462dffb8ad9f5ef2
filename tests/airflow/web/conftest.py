"""Fixtures of the plugin's web tests: documents in the session's store, and a run whose
tasks reported progress and produced an HTML digest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pendulum
import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.agents.ingest.agent import IngestionAgent
from bluelabel.agents.options import StepOptions, option
from bluelabel.agents.registry import register_agent
from bluelabel.config import get_settings
from bluelabel.store import KnowledgeStore
from devtools.samples import build_pdf, sample_pages
from tests.conftest import run_dag

#: The words the documents fixture's texts are about (one document each).
TOPICS = {
    "Harbour logistics": "Container cranes unload the ships at the harbour while trucks wait.",
    "Orchard pruning": "Apple trees are pruned in late winter so the orchard fruits well.",
    "Glacier survey": "The glacier retreated forty metres; surveyors mapped the moraine.",
    "Violin making": "Luthiers carve the spruce top and maple back of every violin by hand.",
    "Tide tables": "Spring tides follow the full moon; neap tides the quarter moons.",
}


@pytest.fixture(scope="session")
def documents(inbox: Path) -> dict[str, str]:
    """Title -> content id of five text documents and one PDF in the session's store."""
    store = KnowledgeStore(get_settings().store)  # the session's [bluelabel] store
    context = AgentContext(store=store, allowed_roots=[inbox])
    agent = IngestionAgent()
    ids: dict[str, str] = {}
    for title, sentence in TOPICS.items():
        text = " ".join([sentence] * 6 + [f"This note is filed under {title.lower()}."])
        request = AgentInput(
            task_type="text",
            source=f"notes/{title.lower().replace(' ', '-')}.txt",
            content={"text": text},
            config={"title": title, "tags": ["notes", title.split()[0].lower()]},
        )
        ids[title] = agent.run(request, context).content_id
    pdf = inbox / "airflow-handbook.pdf"
    pdf.write_bytes(
        build_pdf(
            sample_pages(5),
            metadata={
                "Title": "The Airflow handbook",
                "Author": "Ada Writer",
                "Producer": "pytest",
            },
        )
    )
    result = agent.run(
        AgentInput(task_type="pdf", source=str(pdf), content={"file_path": str(pdf)}), context
    )
    ids["The Airflow handbook"] = result.content_id
    return ids


class CountingOptions(StepOptions):
    total: int = option(40, "Steps to report.", minimum=1)
    pause: float = option(0.02, "Seconds between two steps.", minimum=0)


class CountingAgent:
    """Reports ``total`` steps of progress, ``pause`` seconds apart (a stand-in for a long
    PDF: the progress channel is under test, not the extractor)."""

    name = "counting_agent"
    options = CountingOptions

    def run(self, request: AgentInput, context: AgentContext) -> dict[str, Any]:
        opts = request.options(CountingOptions)
        total, pause = opts.total, opts.pause
        for done in range(total + 1):
            context.progress("extract", done, total)
            time.sleep(pause)
        return {"counted": total}


register_agent("counting_agent", CountingAgent)


def progress_dag(dag_id: str, total: int = 40, pause: float = 0.02) -> Any:
    from airflow.sdk import DAG

    from bluelabel.operators import AgentOperator, DigestOperator, IngestOperator

    with DAG(
        dag_id,
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1),
        default_args={"retries": 0},
    ) as dag:
        count = AgentOperator(
            task_id="count_pages", agent="counting_agent", config={"total": total, "pause": pause}
        )
        ingest = IngestOperator(
            task_id="ingest", text="Progress views show pages done while a PDF is ingested."
        )
        digest = DigestOperator(task_id="digest", input_from=["ingest"], format="html")
        count >> ingest >> digest
    return dag


@pytest.fixture(scope="session")
def progress_run(airflow_db: Path) -> Any:
    """A finished run of ``progress_view_test``: progress of 40 steps, an HTML digest."""
    run = run_dag(progress_dag("progress_view_test"))
    assert str(run.state) == "success"
    return run


@pytest.fixture(scope="session")
def batch_runs(inbox: Path) -> dict[str, Any]:
    """Two finished runs of the shipped batch workflow: ``mixed`` (a note ingested, a broken
    PDF failed, a .pptx quarantined when listed) and ``all_failed`` (its one file failed)."""
    import shutil

    from bluelabel.factory import load_workflow_dag
    from tests.conftest import REPO

    dag = load_workflow_dag(REPO / "dags" / "workflows" / "batch_ingestion.yaml", use_cache=False)
    runs = {}
    for name, files in {
        "mixed": {
            "field-note.txt": b"Field note. The weir at the mill was cleared of reeds today.\n",
            "broken.pdf": b"%PDF-1.7\nnot really a PDF\n",
            "slides.pptx": b"PK\x03\x04",
        },
        "all_failed": {"only.pdf": b"plain text in a PDF's clothes\n"},
    }.items():
        folder = inbox / f"web-batch-{name}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for file, data in files.items():
            (folder / file).write_bytes(data)
        runs[name] = run_dag(dag, {"inbox": str(folder), "settle_seconds": 0})
    assert str(runs["mixed"].state) == "success" and str(runs["all_failed"].state) == "failed"
    return runs
