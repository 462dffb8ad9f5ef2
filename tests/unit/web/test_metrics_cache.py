"""The metrics API's aggregate cache: fresh entries are shared, expired ones are served while
one background refresh runs, a query not seen for a while is computed while it waits, and
concurrent first readers compute it once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bluelabel.web.aggregate_cache import AggregateCache
from devtools.waiting import wait_until


class Clock:
    """The cache's clock, moved by the test instead of by sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Scans:
    """A compute function that counts its calls; each returns its own number. Clearing
    ``gate`` holds the next scans until it is set again."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.waiting = 0
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()

    def __call__(self, *args: Any) -> dict[str, Any]:
        with self._lock:
            self.waiting += 1
        self.gate.wait(10)
        with self._lock:
            self.waiting -= 1
            self.calls.append(len(self.calls) + 1)
            return {"scan": self.calls[-1], "args": list(args)}


@pytest.fixture
def scans() -> Scans:
    return Scans()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_fresh_entries_are_shared(scans: Scans, clock: Clock) -> None:
    cache = AggregateCache(scans, fresh_seconds=60, clock=clock)
    first = cache.get("k", "a")
    clock.advance(59)
    assert cache.get("k", "a") is first and scans.calls == [1]
    assert first.data == {"scan": 1, "args": ["a"]}
    assert first.body == b'{"scan": 1, "args": ["a"]}'
    assert cache.get("other", "b").data["scan"] == 2  # keys are separate


def test_expired_entries_are_served_while_one_thread_refreshes(scans: Scans, clock: Clock) -> None:
    cache = AggregateCache(scans, fresh_seconds=5, clock=clock)
    cache.get("k")
    clock.advance(6)  # expired
    scans.gate.clear()  # the refresh scan is slow
    stale = [cache.get("k").data["scan"] for _ in range(5)]
    assert stale == [1] * 5  # nobody waited for the scan
    scans.gate.set()
    wait_until(lambda: cache.get("k").data["scan"] == 2, timeout=5, what="the refresh")
    assert scans.calls == [1, 2]  # one refresh for all those readers


def test_long_unused_queries_are_recomputed_before_answering(scans: Scans, clock: Clock) -> None:
    cache = AggregateCache(scans, fresh_seconds=5, stale_seconds=60, clock=clock)
    cache.get("k")
    clock.advance(66)  # past fresh and stale
    assert cache.get("k").data["scan"] == 2


def test_first_readers_at_once_compute_once(scans: Scans) -> None:
    cache = AggregateCache(scans, fresh_seconds=60)
    scans.gate.clear()
    with ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(cache.get, "k") for _ in range(8)]
        wait_until(lambda: scans.waiting == 1, timeout=5, what="the first reader's scan")
        scans.gate.set()
        assert {a.result(10).data["scan"] for a in answers} == {1}
    assert scans.calls == [1]


def test_a_failed_refresh_keeps_the_stale_entry_and_is_tried_again(
    scans: Scans, clock: Clock
) -> None:
    fail = threading.Event()
    refreshes = threading.Semaphore(0)

    def compute() -> dict[str, Any]:
        try:
            if fail.is_set():
                raise RuntimeError("the metadata DB went away")
            return scans()
        finally:
            refreshes.release()

    cache = AggregateCache(compute, fresh_seconds=5, clock=clock)
    cache.get("k")
    refreshes.acquire()
    clock.advance(6)
    fail.set()
    assert cache.get("k").data["scan"] == 1  # served stale; the refresh fails in background
    assert refreshes.acquire(timeout=5)  # the failed refresh has run
    fail.clear()
    # a later reader starts a refresh that works
    wait_until(lambda: cache.get("k").data["scan"] == 2, timeout=5, what="a second refresh")
