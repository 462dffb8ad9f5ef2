"""Run overhead: the shipped PDF workflow under ``dag.test()`` vs a no-op DAG of the same shape
(two tasks, the second pulling the first's small result from XCom, same Params), in one
process.

Usage: python benchmarks/run_overhead.py [--runs 7]
A throwaway Airflow home is created (SQLite). The first run of each DAG is a warm-up; the
figures are medians of the rest, DAGs alternating. The PDF workflow ingests a freshly generated
12-page PDF on every run (no deduplication shortcut) and digests it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import serialize_to_db

HOME = Path(tempfile.mkdtemp(prefix="bench-run-airflow-"))
REPO = Path(__file__).resolve().parents[1]
os.environ.update(
    {
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME}/airflow.db",
        "AIRFLOW__BLUELABEL__STORE": str(HOME / "store"),
        "AIRFLOW__BLUELABEL__ALLOWED_ROOTS": str(HOME / "inbox"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        check=True,
        capture_output=True,
    )
    (HOME / "inbox").mkdir()

    import logging

    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    from devtools.samples import build_pdf, sample_pages

    logging.disable(logging.INFO)
    pdf_dag = DagBag(dag_folder=str(REPO / "dags" / "pdf_ingestion_digest.py")).dags[
        "pdf_ingestion_digest"
    ]
    # Same shape: two tasks in a row, the second reading the first's XCom, and the same
    # trigger Params (Airflow validates them on every run): the difference is Bluelabel's.
    with DAG(
        "noop_same_shape",
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1),
        params=pdf_dag.params,
    ) as noop:
        first = PythonOperator(task_id="ingest", python_callable=lambda: {"content_id": "x"})
        second = PythonOperator(  # takes the first task's result, as the digest step does
            task_id="digest",
            python_callable=lambda ti: {"digest": ti.xcom_pull(task_ids="ingest")},
        )
        first >> second
    serialize_to_db(noop, pdf_dag)

    times: dict[str, list[float]] = {"noop": [], "pdf": []}
    for run in range(args.runs + 1):
        pdf = HOME / "inbox" / f"run-{run}.pdf"
        pages = sample_pages(12)
        pages[0] += f" Run {run}."  # new content every run: a real ingest, not a dedup hit
        pdf.write_bytes(build_pdf(pages, metadata={"Title": f"Run {run}"}))
        conf = {"source": str(pdf), "format": "markdown"}
        for name, dag in (("noop", noop), ("pdf", pdf_dag)):
            started = time.perf_counter()
            result = dag.test(run_conf=conf)
            elapsed = time.perf_counter() - started
            assert str(result.state) == "success", (name, result.state)
            if run:  # run 0 warms both up
                times[name].append(elapsed)
    noop_ms = statistics.median(times["noop"]) * 1000
    pdf_ms = statistics.median(times["pdf"]) * 1000
    print(f"dag.test() medians over {args.runs} warm runs each (alternating):")
    print(f"  no-op DAG, same shape : {noop_ms:7.1f} ms  (min {min(times['noop']) * 1000:.1f})")
    print(f"  pdf_ingestion_digest  : {pdf_ms:7.1f} ms  (min {min(times['pdf']) * 1000:.1f})")
    print(f"  ratio pdf / no-op     : {pdf_ms / noop_ms:.2f}")


if __name__ == "__main__":
    main()
