"""The metrics API's aggregate cache: fresh entries are shared, expired ones are served while
one background refresh runs, and a query not seen for a minute is computed while it waits."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from bluelabel.web import metrics_routes as web

#: Scans wait for this: a test clears it to hold a refresh while it reads.
GATE = threading.Event()


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the DB scans; each returns its own number as the figures."""
    calls: list[int] = []
    release = GATE
    release.set()

    def load(session: Any, **kwargs: Any) -> list[int]:
        release.wait(10)
        calls.append(len(calls) + 1)
        return [len(calls)]

    monkeypatch.setattr(web, "load_tries", lambda session, **kw: (load(session, **kw), []))
    monkeypatch.setattr(web, "summarize_tries", lambda tries, runs: {"scan": tries[0]})
    monkeypatch.setattr(web, "readable_dag_ids", lambda user: frozenset({"a"}))
    monkeypatch.setattr(web, "_CACHE_SECONDS", 0.2)
    monkeypatch.setattr(web, "_cache", {})
    monkeypatch.setattr(web, "_refreshing", set())

    class _Session:
        def __enter__(self) -> _Session:
            return self

        def __exit__(self, *args: object) -> None:
            return None

    import airflow.utils.session

    monkeypatch.setattr(airflow.utils.session, "create_session", _Session)
    return calls


def test_fresh_entries_are_shared(scans: list[int]) -> None:
    first = web.aggregates(None, None, None, None)
    second = web.aggregates(None, None, None, None)
    assert first is second and scans == [1]


def test_expired_entries_are_served_while_one_thread_refreshes(scans: list[int]) -> None:
    web.aggregates(None, None, None, None)
    time.sleep(0.3)  # expired
    GATE.clear()  # the refresh scan is slow
    stale = [web.aggregates(None, None, None, None).data["scan"] for _ in range(5)]
    assert stale == [1] * 5  # nobody waited for the scan
    GATE.set()
    deadline = time.monotonic() + 5
    while web.aggregates(None, None, None, None).data["scan"] == 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert scans == [1, 2]  # one refresh for all those readers


def test_long_unused_queries_are_recomputed_before_answering(
    scans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    web.aggregates(None, None, None, None)
    monkeypatch.setattr(web, "_STALE_SECONDS", 0.0)
    time.sleep(0.3)
    assert web.aggregates(None, None, None, None).data["scan"] == 2
