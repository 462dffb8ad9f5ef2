"""The periodic digest over a real store and run ledger: counts, success rate, per-workflow
durations (in human units) under the DAGs' display names, titles and summaries, failures and
killed tries, markdown and HTML in the outbox."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bluelabel.agents import AgentContext, AgentInput, get_agent
from bluelabel.agents.periodic import workflow_table
from bluelabel.errors import AgentInputError
from devtools.samples import SAMPLE_PARAGRAPHS
from tests.conftest import run_agent


def record(
    dag: str,
    run: str,
    task: str,
    outcome: str,
    start: datetime,
    ms: float,
    agent: str = "ingestion_agent",
    try_number: int = 1,
) -> dict:
    end = start + timedelta(milliseconds=ms)
    return {
        "dag_id": dag,
        "run_id": run,
        "task_id": task,
        "map_index": -1,
        "try_number": try_number,
        "outcome": outcome,
        "duration_ms": ms,
        "agent": agent,
        "started_at": start.isoformat(),
        "finished_at": end.isoformat(),
    }


def test_workflow_stats_per_dag() -> None:
    t0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
    rows = workflow_table(
        [
            record("batch", "r1", "scan", "success", t0, 1000, agent="inbox_agent"),
            record("batch", "r1", "ingest", "failed", t0 + timedelta(seconds=1), 2000),
            record("batch", "r2", "scan", "success", t0, 500, agent="inbox_agent"),
            record("pdf", "r9", "ingest", "success", t0, 300),
            {**record("pdf", "r10", "ingest", "success", t0, 300), "dag_display_name": "PDF"},
        ]
    )
    batch, pdf = rows
    assert batch == {
        "dag_id": "batch",
        "dag_display_name": "batch",  # none recorded: the dag_id
        "runs": 2,
        "task_tries": 3,
        "success_rate": 0.6667,
        "avg_run_seconds": 1.75,
        "avg_task_ms": 1166.7,
    }
    assert pdf["runs"] == 2 and pdf["success_rate"] == 1.0 and pdf["avg_run_seconds"] == 0.3
    assert pdf["dag_display_name"] == "PDF"


def test_periodic_digest_writes_the_outbox_and_reports_the_period(
    context: AgentContext, tmp_path: Path
) -> None:
    ingest = get_agent("ingestion")
    for n, title in enumerate(["Scheduler deep dive", "Knowledge <store> notes"]):
        text = " ".join(SAMPLE_PARAGRAPHS[n:] + SAMPLE_PARAGRAPHS[:n])
        ingest.run(
            AgentInput(
                task_type="text",
                source=f"file-{n}.txt",
                content={"text": text},
                config={"title": title},
            ),
            context,
        )
    now = datetime.now(timezone.utc) - timedelta(seconds=90)
    named = {"dag_display_name": "Batch <Ingestion>"}
    context.store.record_try({**record("batch_ingestion", "r1", "ingest", "failed", now, 400)})
    context.store.record_try(
        {**record("batch_ingestion", "r1", "ingest", "success", now, 76_000, try_number=2), **named}
    )
    old = now - timedelta(days=30)  # outside the period
    context.store.record_try(record("batch_ingestion", "r0", "ingest", "failed", old, 100))
    outbox = tmp_path / "outbox"

    result = run_agent(
        "periodic_digest",
        AgentInput(config={"since": "1d", "outbox": str(outbox), "limit": 1}),
        context,
    )

    assert result["document_count"] == 2 and result["summary_count"] == 1
    assert result["overview"]["ingest_success_rate"] == 0.5
    assert result["overview"]["by_type"] == {"text": 2}
    [batch] = result["workflows"]
    assert batch["runs"] == 1 and batch["task_tries"] == 2
    md = (outbox / Path(result["paths"]["markdown"]).name).read_text()
    page = Path(result["paths"]["html"]).read_text()
    assert "## Documents (the newest 1 of 2)" in md
    assert "Knowledge \\<store> notes" in md and "Knowledge &lt;store&gt; notes" in page
    assert "- **Ingest success:** 50.0% of 2 tries" in md
    assert batch["dag_display_name"] == "Batch <Ingestion>"
    # the workflow by its display name (escaped), durations in human units: the run took
    # 76 s, its two tries 38.2 s on average
    assert "| Avg run | Avg task |" in md
    assert "| Batch \\<Ingestion> | 1 | 2 | 50.0% | 1 min 16 s | 38.2 s |" in md
    assert "<td>Batch &lt;Ingestion&gt;</td>" in page and "batch_ingestion" not in md
    assert "<script" not in page


def test_periodic_digest_bad_period(context: AgentContext, tmp_path: Path) -> None:
    with pytest.raises(AgentInputError, match="since"):
        run_agent("periodic_digest", AgentInput(config={"since": "last tuesday"}), context)
    with pytest.raises(AgentInputError, match="not before until"):
        run_agent(
            "periodic_digest",
            AgentInput(config={"since": "1d", "until": "2d", "outbox": str(tmp_path)}),
            context,
        )


def test_the_catalog_records_who_made_a_digest_and_which_dags_it_covers(
    context: AgentContext, tmp_path: Path
) -> None:
    """Who may read a published digest (the digest routes' rule) comes from this record: a
    run's digest names its DAG; a periodic digest every DAG whose runs or documents it shows,
    and whether it shows a document no Airflow run ingested."""
    from dataclasses import replace

    from bluelabel.store.records import RunRef

    ingest = get_agent("ingestion")
    ids = []
    for n in range(2):
        result = ingest.run(
            AgentInput(
                task_type="text", source=f"f{n}.txt", content={"text": SAMPLE_PARAGRAPHS[n]}
            ),
            context,
        )
        ids.append(result.content_id)
    context.store.note_ingest(ids[0], RunRef("dag_a", "r1", "ingest"))
    now = datetime.now(timezone.utc) - timedelta(seconds=5)
    context.store.record_try(record("dag_b", "r2", "ingest", "success", now, 100))
    periodic = replace(context, run=RunRef("weekly", "scheduled__1", "digest"))

    result = run_agent(
        "periodic_digest", AgentInput(config={"since": "1d", "outbox": str(tmp_path)}), periodic
    )
    stem = Path(result["paths"]["markdown"]).name.rsplit(".", 1)[0]
    owner = context.store.catalog.digest(stem)
    assert owner is not None and owner["kind"] == "periodic" and owner["dag_id"] == "weekly"
    assert owner["covered_dag_ids"] == {"dag_a", "dag_b"}
    assert owner["unattributed"]  # ids[1] came from no Airflow run

    context.store.note_ingest(ids[1], RunRef("dag_a", "r3", "ingest"))
    result = run_agent(
        "periodic_digest", AgentInput(config={"since": "1d", "outbox": str(tmp_path)}), periodic
    )
    owner = context.store.catalog.digest(Path(result["paths"]["json"]).name.rsplit(".", 1)[0])
    assert owner is not None and not owner["unattributed"]

    digest = run_agent(
        "digest",
        AgentInput(config={"content_ids": ids}),
        replace(context, run=RunRef("pdf_dag", "manual__1", "digest")),
    )
    made = context.store.catalog.digest(Path(digest["digest_path"]).name.rsplit(".", 1)[0])
    assert made is not None and (made["kind"], made["dag_id"]) == ("digest", "pdf_dag")
    cli = run_agent("digest", AgentInput(config={"content_ids": ids}), context)
    made = context.store.catalog.digest(Path(cli["digest_path"]).name.rsplit(".", 1)[0])
    assert made is not None and made["dag_id"] is None  # outside Airflow: every DAG


def test_the_periods_failed_reads_are_listed_with_their_reason(
    context: AgentContext, tmp_path: Path
) -> None:
    """Each task instance whose last try in the period failed is listed by what it read and
    why (from its ledger record); one that failed and then succeeded is not."""
    now = datetime.now(timezone.utc) - timedelta(seconds=30)
    failed = record("batch_ingestion", "r1", "ingest", "failed", now, 400)
    failed.update(map_index=3, source="/in/broken.pdf", reason="not a PDF <b>x</b>")
    retried = record("batch_ingestion", "r1", "ingest", "failed", now, 100)
    recovered = record("batch_ingestion", "r1", "ingest", "success", now, 900, try_number=2)
    digest = record(
        "batch_ingestion", "r1", "batch_digest", "failed", now, 50, agent="digest_agent"
    )
    for entry in (failed, retried, recovered, digest):
        context.store.record_try(entry)
    outbox = tmp_path / "outbox"

    result = run_agent(
        "periodic_digest", AgentInput(config={"since": "1d", "outbox": str(outbox)}), context
    )

    assert result["failed"] == [
        {
            "source": "/in/broken.pdf",
            "reason": "not a PDF <b>x</b>",
            "dag_id": "batch_ingestion",
            "run_id": "r1",
        }
    ]
    md = Path(result["paths"]["markdown"]).read_text()
    assert "## Could not be read" in md and "/in/broken.pdf: not a PDF \\<b>x\\</b>" in md
    assert "&lt;b&gt;" in Path(result["paths"]["html"]).read_text()
    assert json.loads(Path(result["paths"]["json"]).read_text())["failed"] == result["failed"]


def test_a_killed_try_is_listed_once_its_time_is_up_and_only_then(
    context: AgentContext, tmp_path: Path
) -> None:
    """A try whose ``running`` row was never replaced by its report (killed: OOM, SIGKILL, a
    lost worker) is listed as stopped without a report in the period its time limit ran out
    in; one still within it, one Airflow retried, one that reported, and the digest's own run
    are not."""
    from dataclasses import replace

    from bluelabel.store.records import RunRef

    store = context.store
    now = datetime.now(timezone.utc)
    ten_minutes = timedelta(minutes=10)

    def start(run: RunRef, ago: timedelta, source: str, limit: timedelta | None = ten_minutes):
        store.start_try(
            run,
            started_at=now - ago,
            time_limit=limit,
            dag_display_name="Batch Ingestion",
            record={"agent": "ingestion_agent", "source": source},
        )

    def ingest(run_id: str, map_index: int = -1, try_number: int = 1) -> RunRef:
        return RunRef("batch_ingestion", run_id, "ingest", map_index, try_number)

    start(ingest("r1", 0), timedelta(hours=2), "/in/huge.pdf")  # 10 min limit, long past
    start(ingest("r1", 1), timedelta(minutes=2), "/in/slow.pdf")  # still within its limit
    # no time limit: a day (and the slack) before it counts as killed
    start(ingest("r1", 2), timedelta(hours=3), "/in/young.pdf", None)
    start(ingest("r1", 3), timedelta(hours=30), "/in/old.pdf", None)
    # its limit ran out before this period: the previous digest listed it
    start(ingest("r0"), timedelta(hours=36), "/in/ancient.pdf")
    # killed, then retried by Airflow, and the retry succeeded
    start(ingest("r2"), timedelta(hours=2), "/in/b.pdf")
    start(ingest("r2", try_number=2), timedelta(hours=1), "/in/b.pdf")
    retry = record("batch_ingestion", "r2", "ingest", "success", now - timedelta(hours=1), 900)
    store.record_try({**retry, "try_number": 2})
    # a try that reported: its row is replaced
    start(ingest("r3"), timedelta(hours=2), "/in/c.pdf")
    store.record_try(
        record("batch_ingestion", "r3", "ingest", "success", now - timedelta(hours=2), 5)
    )
    # the digest's own run: still going, whatever its rows say
    own = RunRef("weekly", "scheduled__1", "periodic_digest")
    start(RunRef("weekly", "scheduled__1", "ingest"), timedelta(hours=2), "/in/own.pdf")
    outbox = tmp_path / "outbox"

    result = run_agent(
        "periodic_digest",
        AgentInput(config={"since": "1d", "outbox": str(outbox)}),
        replace(context, run=own),
    )

    reason = "stopped without a report (killed: out of memory, SIGKILL or a lost worker)"
    assert result["failed"] == [
        {"source": f"/in/{name}.pdf", "reason": reason, "dag_id": "batch_ingestion", "run_id": "r1"}
        for name in ("old", "huge")
    ]
    md = Path(result["paths"]["markdown"]).read_text()
    assert f"/in/huge.pdf: {reason}" in md
    assert not any(f"/in/{name}.pdf" in md for name in ("slow", "young", "ancient", "b", "own"))
    batch = {w["dag_id"]: w for w in result["workflows"]}
    assert set(batch) == {"batch_ingestion"}
    # killed tries count as finished, not successful: huge, old and r2's first try; then the
    # two that succeeded
    assert batch["batch_ingestion"]["task_tries"] == 5
    assert batch["batch_ingestion"]["success_rate"] == 0.4
    assert result["overview"]["ingest_success_rate"] == 0.4

    before = run_agent(
        "periodic_digest",
        AgentInput(
            config={
                "since": (now - timedelta(days=2)).isoformat(),
                "until": (now - timedelta(days=1)).isoformat(),
                "outbox": str(outbox),
            }
        ),
        context,
    )
    assert [f["source"] for f in before["failed"]] == ["/in/ancient.pdf"]
