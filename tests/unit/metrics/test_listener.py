"""The measurement record of a try: CPU time counts the child processes the task reaped."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

from bluelabel.metrics.listener import build_record, start_of_try

# About 0.4 s of pure CPU in a child, as an extraction worker spends it.
_BUSY_CHILD = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass"


def _task_instance() -> SimpleNamespace:
    return SimpleNamespace(dag_id="wf", run_id="r", task_id="ingest", map_index=-1, try_number=1)


def test_cpu_time_counts_the_reaped_child_processes() -> None:
    start = start_of_try()
    subprocess.run([sys.executable, "-c", _BUSY_CHILD], check=True)  # run and reaped
    record = build_record(_task_instance(), "success", start)
    assert record["cpu_children_ms"] >= 350
    # the total is the task process's own time plus the children's
    assert record["cpu_ms"] >= record["cpu_children_ms"]
    assert record["cpu_ms"] - record["cpu_children_ms"] < record["duration_ms"]


def test_children_reaped_before_the_try_are_not_counted() -> None:
    subprocess.run([sys.executable, "-c", _BUSY_CHILD], check=True)
    start = start_of_try()
    record = build_record(_task_instance(), "success", start)
    assert record["cpu_children_ms"] < 50
