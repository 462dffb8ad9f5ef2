"""Cost of the metrics listener per task.

Usage: python benchmarks/metrics_overhead.py
(a) The measurement itself -- the running/finished hooks' timers and rusage reads, and
    building the record -- timed over 100,000 simulated task instances in-process.
(b) What persisting adds end to end: a warm dag.test() of a 10-task no-op DAG with the
    listener registered vs unregistered (one run-ledger write, to the configured store's
    catalog, and the StatsD calls per task).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from types import SimpleNamespace

from _common import serialize_to_db

HOME = Path(tempfile.mkdtemp(prefix="bench-metrics-airflow-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME}/airflow.db",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
)


def measurement_only(n: int = 100_000) -> float:
    """The listener's start hook, the operator's hand-off and the record built at the end:
    everything but the state-store write and StatsD (measured end to end below)."""
    from bluelabel.agents.results import WorkCounts
    from bluelabel.metrics import handoff, listener

    step = handoff.StepMeasurement("ingestion_agent", 0.1, 0.2, 1.0, WorkCounts(pages=3))
    tis = [
        SimpleNamespace(
            dag_id="d",
            task_id="t",
            run_id=f"r{i}",
            map_index=-1,
            try_number=1,
            task=None,
            get_template_context=dict,
        )
        for i in range(n)
    ]
    started = time.perf_counter()
    for ti in tis:
        listener.on_task_instance_running(None, ti)
        handoff.hand_over(ti, step)
        start = listener._started.pop(handoff.try_key(ti))
        listener.build_record(ti, "success", start, handoff.take(ti))
    return (time.perf_counter() - started) / n * 1e6


def end_to_end(runs: int = 7) -> tuple[float, float]:
    import logging

    import pendulum
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
    from airflow.sdk.listener import get_listener_manager

    from bluelabel.metrics import listener

    logging.disable(logging.INFO)
    with DAG("ten_noops", schedule=None, start_date=pendulum.datetime(2025, 1, 1)) as dag:
        previous = None
        for i in range(10):
            task = PythonOperator(task_id=f"t{i}", python_callable=lambda: None)
            if previous:
                previous >> task
            previous = task
    serialize_to_db(dag)
    manager = get_listener_manager()
    times: dict[bool, list[float]] = {True: [], False: []}
    dag.test()  # warm-up
    for _ in range(runs):
        for enabled in (True, False):
            if enabled and not manager.pm.is_registered(listener):
                manager.add_listener(listener)
            if not enabled and manager.pm.is_registered(listener):
                manager.pm.unregister(listener)
            started = time.perf_counter()
            dag.test()
            times[enabled].append(time.perf_counter() - started)
    return statistics.median(times[True]) * 100, statistics.median(times[False]) * 100


def main() -> None:
    print(f"(a) measurement per task: {measurement_only():.1f} us")
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        check=True,
        capture_output=True,
    )
    with_listener, without = end_to_end()
    print(
        f"(b) dag.test of 10 no-op tasks, per task: {with_listener:.1f} ms with the listener, "
        f"{without:.1f} ms without: {with_listener - without:+.1f} ms per task "
        "(the run-ledger write to the configured store's catalog, and StatsD calls)"
    )


if __name__ == "__main__":
    main()
