"""The progress publisher: the newest value at most every 250 ms, the final one always, and
never a failure or a wait for the task."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from bluelabel.operators.progress import MIN_INTERVAL_SECONDS, ProgressPublisher


class Recorder:
    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.values: list[dict[str, Any]] = []
        self.delay = delay
        self.fail = fail
        self.threads: set[str] = set()

    def __call__(self, value: dict[str, Any]) -> None:
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)
        if self.fail:
            raise ConnectionError("the API server is away")
        self.values.append(value)


def test_many_reports_become_few_writes_and_the_last_is_final() -> None:
    written = Recorder()
    publish = ProgressPublisher(written, try_number=2)
    started = time.monotonic()
    for done in range(1, 201):
        publish("extract", done, 200)
        time.sleep(0.005)
    publish.close()
    elapsed = time.monotonic() - started
    values = written.values
    assert len(values) <= elapsed / MIN_INTERVAL_SECONDS + 2
    assert len(values) >= 3
    assert values[-1] == {
        **values[-1],
        "stage": "extract",
        "done": 200,
        "total": 200,
        "final": True,
        "try_number": 2,
    }
    assert all(not v["final"] for v in values[:-1])
    dones = [v["done"] for v in values]
    assert dones == sorted(dones) and dones[0] == 1  # the first report goes out at once
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(values[:-1])]
    assert all(gap >= MIN_INTERVAL_SECONDS * 0.95 for gap in gaps)
    assert written.threads == {"bluelabel-progress"}  # the task itself never writes


def test_the_task_never_waits_for_a_slow_write() -> None:
    """While a write hangs (the API server is slow), every report still returns at once."""
    released = threading.Event()

    def hanging(value: dict[str, Any]) -> None:
        released.wait(60)
        written.append(value)

    written: list[dict[str, Any]] = []
    publish = ProgressPublisher(hanging)
    reporting = threading.Thread(
        target=lambda: [publish("documents", done, 49) for done in range(50)]
    )
    reporting.start()
    reporting.join(timeout=30)  # returns at once unless a report waits for the write
    finished_while_hanging = not reporting.is_alive()
    released.set()
    publish.close()
    assert finished_while_hanging
    assert written[-1]["done"] == 49 and written[-1]["final"]


def test_nothing_reported_nothing_written_and_failures_are_swallowed() -> None:
    silent = Recorder()
    ProgressPublisher(silent).close()
    assert silent.values == []
    broken = Recorder(fail=True)
    publish = ProgressPublisher(broken)
    publish("extract", 1, 2)
    publish.close()  # no exception: progress never fails a task
    publish("extract", 2, 2)  # after close: ignored


def test_a_forked_worker_process_does_not_publish() -> None:
    written = Recorder()
    publish = ProgressPublisher(written)
    publish._pid = -1  # as seen from a child forked by the PDF extractor
    publish("extract", 1, 10)
    publish.close()
    assert written.values == []
