"""The metrics API's aggregate cache: fresh entries are shared, expired ones are served while
one background refresh runs, a query not seen for a while is computed while it waits, and
concurrent first readers compute it once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bluelabel.web.aggregate_cache import AggregateCache


class Scans:
    """A compute function that counts its calls; each returns its own number. Clearing
    ``gate`` holds the next scans until it is set again."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()

    def __call__(self, *args: Any) -> dict[str, Any]:
        self.gate.wait(10)
        with self._lock:
            self.calls.append(len(self.calls) + 1)
            return {"scan": self.calls[-1], "args": list(args)}


@pytest.fixture
def scans() -> Scans:
    return Scans()


def test_fresh_entries_are_shared(scans: Scans) -> None:
    cache = AggregateCache(scans, fresh_seconds=60)
    first = cache.get("k", "a")
    assert cache.get("k", "a") is first and scans.calls == [1]
    assert first.data == {"scan": 1, "args": ["a"]}
    assert first.body == b'{"scan": 1, "args": ["a"]}'
    assert cache.get("other", "b").data["scan"] == 2  # keys are separate


def test_expired_entries_are_served_while_one_thread_refreshes(scans: Scans) -> None:
    cache = AggregateCache(scans, fresh_seconds=0.2)
    cache.get("k")
    time.sleep(0.3)  # expired
    scans.gate.clear()  # the refresh scan is slow
    stale = [cache.get("k").data["scan"] for _ in range(5)]
    assert stale == [1] * 5  # nobody waited for the scan
    scans.gate.set()
    deadline = time.monotonic() + 5
    while cache.get("k").data["scan"] == 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert scans.calls == [1, 2]  # one refresh for all those readers


def test_long_unused_queries_are_recomputed_before_answering(scans: Scans) -> None:
    cache = AggregateCache(scans, fresh_seconds=0.1, stale_seconds=0.0)
    cache.get("k")
    time.sleep(0.2)
    assert cache.get("k").data["scan"] == 2


def test_first_readers_at_once_compute_once(scans: Scans) -> None:
    cache = AggregateCache(scans, fresh_seconds=60)
    scans.gate.clear()
    with ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(cache.get, "k") for _ in range(8)]
        time.sleep(0.2)
        scans.gate.set()
        assert {a.result(10).data["scan"] for a in answers} == {1}
    assert scans.calls == [1]


def test_a_failed_refresh_keeps_the_stale_entry_and_is_tried_again(scans: Scans) -> None:
    fail = threading.Event()

    def compute() -> dict[str, Any]:
        if fail.is_set():
            raise RuntimeError("the metadata DB went away")
        return scans()

    cache = AggregateCache(compute, fresh_seconds=0.1)
    cache.get("k")
    time.sleep(0.2)
    fail.set()
    assert cache.get("k").data["scan"] == 1  # served stale; the refresh fails in background
    time.sleep(0.2)
    fail.clear()
    deadline = time.monotonic() + 5
    while cache.get("k").data["scan"] == 1:  # a later reader starts a refresh that works
        assert time.monotonic() < deadline
        time.sleep(0.01)
