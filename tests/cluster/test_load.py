"""50 PDF runs triggered at once through the REST API: all succeed on 4 worker slots."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from devtools.samples import build_pdf, sample_pages
from devtools.waiting import wait_until
from tests.cluster.conftest import (
    RunningCluster,
    StatsdListener,
    staging_files,
    stored_documents,
)

DAG_ID = "pdf_ingestion_digest"
RUNS = 50


def test_fifty_pdf_runs_triggered_at_once_all_succeed(cluster: RunningCluster) -> None:
    folder = cluster.started.inbox / "load"
    folder.mkdir()
    pages = sample_pages(3)
    pdfs = []
    for n in range(RUNS):
        pdf = folder / f"load-{n}.pdf"
        pdf.write_bytes(
            build_pdf([f"Load test document {n}.", *pages[1:]], metadata={"Title": f"Load {n}"})
        )
        pdfs.append(pdf)
    before = stored_documents(cluster.cluster.store)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=RUNS) as pool:  # all at once, as 50 users would
        run_ids = list(pool.map(lambda p: cluster.api.trigger(DAG_ID, {"source": str(p)}), pdfs))
    states = cluster.api.wait(DAG_ID, run_ids, timeout=600)
    elapsed = time.monotonic() - started

    assert sorted(states.values()) == ["success"] * RUNS, states
    runs = [cluster.api.run(DAG_ID, r) for r in run_ids]
    span = (
        max(datetime.fromisoformat(r["end_date"]) for r in runs)
        - min(datetime.fromisoformat(r["queued_at"]) for r in runs)
    ).total_seconds()
    print(f"\n{RUNS} PDF runs: {elapsed:.1f} s, {RUNS / span * 60:.1f} runs/minute (queued to end)")
    digests = [cluster.api.result(DAG_ID, r, "digest") for r in run_ids[:3]]
    assert [d["summary_count"] for d in digests] == [1, 1, 1]
    assert len(stored_documents(cluster.cluster.store) - before) == RUNS
    assert staging_files(cluster.cluster.store) == []


def test_statsd_metrics_carry_dag_and_task_tags(
    cluster: RunningCluster, statsd: StatsdListener
) -> None:
    """InfluxDB-style tags (``name,dag_id=...,task_id=...:value|ms``), which the Prometheus
    statsd_exporter turns into labels: every DAG and task in its own series. (It runs its own
    workflow: it does not lean on what another test ran.)"""
    pdf = cluster.started.inbox / "statsd.pdf"
    pdf.write_bytes(build_pdf(sample_pages(1), metadata={"Title": "StatsD"}))
    run_id = cluster.api.trigger(DAG_ID, {"source": str(pdf)})
    assert cluster.api.wait(DAG_ID, [run_id]) == {run_id: "success"}
    tagged = f",dag_id={DAG_ID},"
    ours = wait_until(
        lambda: [
            line
            for line in statsd.lines
            if line.startswith("airflow.bluelabel.task.duration,") and tagged in line
        ],
        timeout=30,
        what="the run's tagged task durations reached StatsD",
        details=lambda: "\n".join(statsd.lines[:20]),
    )
    lines = statsd.lines
    tags = dict(part.split("=", 1) for part in ours[-1].split(":", 1)[0].split(",")[1:])
    assert tags["dag_id"] == DAG_ID and tags["task_id"] in ("ingest", "digest")
    assert any(line.startswith("airflow.dagrun.duration.success") for line in lines)
