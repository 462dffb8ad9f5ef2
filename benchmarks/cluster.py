"""Bluelabel on the distributed engine (the ``make cluster`` code: CeleryExecutor, PostgreSQL,
Redis, one worker with 4 slots), end to end through the REST API.

Usage: python benchmarks/cluster.py [--shape-runs 20] [--pdf-runs 50] [--imports-only]

1. Plugin import cost: ``import bluelabel.plugin`` and ``import airflow.plugins_manager``,
   median of 5 fresh processes each (alternating).
2. Task time, queued to success (the task instance's ``end_date - queued_when``), of the same
   two-task DAG shape built with Bluelabel operators (ingest text -> digest) and with no-op
   PythonOperators, twice: bare (nothing rendered, nothing handed on) and with the same
   hand-off as Bluelabel's (the first renders ``{{ params.text }}``, the second pulls the
   first's XCom). Runs are triggered one after another, the three DAGs in turn, so that a
   drift of the machine's speed during the benchmark falls on all three alike; medians of
   the tasks, and the ratios of Bluelabel's median to each no-op's.
3. 50 PDF runs (``pdf_ingestion_digest``) triggered at once: wall time and runs per minute,
   first run queued to last run finished.

The cluster gets its own database (``bluelabel_bench_cluster``), Redis db 13 and free ports,
and is stopped at the end.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from devtools.airflow_api import Api, free_port, wait_for_dags  # noqa: E402
from devtools.cluster import Cluster, ClusterSettings  # noqa: E402
from devtools.samples import build_pdf, sample_pages  # noqa: E402

SHAPE_DAGS = """
import pendulum
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from bluelabel.operators import DigestOperator, IngestOperator

ARGS = dict(schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False,
            default_args={"retries": 0})

with DAG("bench_shape_bluelabel", **ARGS):
    ingest = IngestOperator(task_id="ingest", text="{{ params.text }}")
    ingest >> DigestOperator(task_id="digest", input_from=["ingest"])

with DAG("bench_shape_noop", **ARGS):
    first = PythonOperator(task_id="ingest", python_callable=lambda: {"ok": True})
    first >> PythonOperator(task_id="digest", python_callable=lambda: {"ok": True})


def take_text(text):
    return {"ok": True, "chars": len(text)}


def take_upstream(ti):
    return {"ok": True, "upstream": len(ti.xcom_pull(task_ids=["ingest"]))}


with DAG("bench_shape_noop_handoff", **ARGS):
    first = PythonOperator(
        task_id="ingest", python_callable=take_text, op_kwargs={"text": "{{ params.text }}"}
    )
    first >> PythonOperator(task_id="digest", python_callable=take_upstream)
"""

SHAPES = ("bench_shape_noop", "bench_shape_noop_handoff", "bench_shape_bluelabel")


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure_imports(repeat: int = 5) -> dict[str, float]:
    times: dict[str, list[float]] = {"airflow.plugins_manager": [], "bluelabel.plugin": []}
    for _ in range(repeat):
        for module in times:
            times[module].append(import_seconds(module))
    return {m: statistics.median(t) for m, t in times.items()}


def task_seconds(api: Api, dag_id: str, run_id: str) -> list[float]:
    """Queued to success of each task of a run."""
    spans = []
    for ti in api.task_instances(dag_id, run_id):
        queued, ended = ti["queued_when"], ti["end_date"]
        spans.append(
            (datetime.fromisoformat(ended) - datetime.fromisoformat(queued)).total_seconds()
        )
    return spans


def shape_runs(api: Api, runs: int) -> dict[str, list[float]]:
    """Task times of each shape, one run of each in turn."""
    spans: dict[str, list[float]] = {dag_id: [] for dag_id in SHAPES}
    for n in range(runs):
        for dag_id in SHAPES:
            run_id = api.trigger(dag_id, {"text": f"Benchmark document {n} {time.time()}. " * 20})
            assert api.wait(dag_id, [run_id]) == {run_id: "success"}
            if n >= 2:  # the first runs warm the worker's pool processes
                spans[dag_id] += task_seconds(api, dag_id, run_id)
    return spans


def pdf_runs(api: Api, inbox: Path, runs: int) -> tuple[float, float]:
    folder = inbox / f"bench-{int(time.time())}"
    folder.mkdir()
    pages = sample_pages(3)
    pdfs = []
    for n in range(runs):
        pdfs.append(folder / f"doc-{n}.pdf")
        pdfs[-1].write_bytes(build_pdf([f"Benchmark PDF {n} {time.time()}.", *pages[1:]]))
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=runs) as pool:
        ids = list(
            pool.map(lambda p: api.trigger("pdf_ingestion_digest", {"source": str(p)}), pdfs)
        )
    states = api.wait("pdf_ingestion_digest", ids, timeout=900)
    wall = time.monotonic() - started
    assert set(states.values()) == {"success"}, states
    details = [api.run("pdf_ingestion_digest", r) for r in ids]
    span = (
        max(datetime.fromisoformat(r["end_date"]) for r in details)
        - min(datetime.fromisoformat(r["queued_at"]) for r in details)
    ).total_seconds()
    return wall, runs / span * 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape-runs", type=int, default=20)
    parser.add_argument("--pdf-runs", type=int, default=50, help="0: skip")
    parser.add_argument("--imports-only", action="store_true")
    args = parser.parse_args()

    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # minutes apart
    imports = measure_imports()
    print(
        f"import airflow.plugins_manager: {imports['airflow.plugins_manager']:.2f} s; "
        f"import bluelabel.plugin: {imports['bluelabel.plugin']:.2f} s (medians of 5)"
    )
    if args.imports_only:
        return 0

    root = Path(tempfile.mkdtemp(prefix="bluelabel-bench-cluster-"))
    dags = root / "dags"
    dags.mkdir()
    for entry in (REPO / "dags").iterdir():
        if entry.name != "__pycache__":
            (dags / entry.name).symlink_to(entry)
    (dags / "bench_shapes.py").write_text(SHAPE_DAGS)
    cluster = Cluster(
        ClusterSettings(
            home=root / "home",
            port=free_port(),
            database="bluelabel_bench_cluster",
            redis_db=13,
            dags=dags,
        )
    )
    try:
        started = cluster.start(fresh=True)
        api = Api(started.api, started.user, started.password_file.read_text().strip())
        wait_for_dags(api, [*SHAPES, "pdf_ingestion_digest"])
        spans = shape_runs(api, args.shape_runs)
        noop, handoff, bluelabel = (statistics.median(spans[dag_id]) for dag_id in SHAPES)
        print(
            f"task time, queued to success (medians of {len(spans[SHAPES[0]])} tasks each): "
            f"no-op {noop:.3f} s, no-op with the hand-off {handoff:.3f} s, "
            f"Bluelabel {bluelabel:.3f} s; ratio {bluelabel / noop:.2f} to the no-op, "
            f"{bluelabel / handoff:.2f} to the no-op with the hand-off"
        )
        if args.pdf_runs:
            wall, per_minute = pdf_runs(api, started.inbox, args.pdf_runs)
            print(
                f"{args.pdf_runs} PDF runs at once, 4 worker slots: {wall:.1f} s, "
                f"{per_minute:.1f} runs/minute"
            )
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
