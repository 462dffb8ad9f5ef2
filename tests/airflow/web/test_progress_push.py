"""Progress pushed through the catalog's PostgreSQL database (issue 22, item 7): a task's
publisher notifies each value, the API server's feed listens and hands it out at once, to the
listeners that may read its DAG; the task state store gets a value only every few seconds.
Real PostgreSQL (LISTEN/NOTIFY), the real feed and publisher; the API server around them is
tested in test_progress_routes.py."""

from __future__ import annotations

import asyncio
import functools
import statistics
import time
from typing import Any

import pytest

from bluelabel.operators.progress import STORED_EVERY_SECONDS, ProgressPublisher
from bluelabel.store.push import notify
from bluelabel.web import progress_feed
from bluelabel.web.progress_feed import Listener, ProgressFeed
from tests.unit.store.conftest import pg_url

pytestmark = pytest.mark.usefixtures("airflow_db")

TASK = {"dag_id": "push_dag", "run_id": "r1", "task_id": "ingest", "map_index": -1}


def test_pushed_values_reach_their_listeners_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_url()
    monkeypatch.setattr(progress_feed, "pushed_progress_url", lambda: url)
    stored: list[dict[str, Any]] = []

    async def scenario() -> tuple[list[dict[str, Any]], list[bytes], ProgressPublisher]:
        import json

        feed = ProgressFeed()
        mine = Listener(asyncio.Queue(1000), frozenset({"push_dag"}))
        other = Listener(asyncio.Queue(1000), frozenset({"another_dag"}))
        feed.subscribe(mine)
        feed.subscribe(other)
        # the feed's thread is listening once a probe comes through (one sent before is lost)
        deadline = time.monotonic() + 20
        while mine.queue.empty():
            assert time.monotonic() < deadline, "the feed never listened"
            probe = {**TASK, "stage": "probe", "done": 0, "total": 1, "at": time.time()}
            await asyncio.to_thread(notify, url, probe)
            await asyncio.sleep(0.1)
        while not mine.queue.empty():
            mine.queue.get_nowait()

        publisher = ProgressPublisher(stored.append, interval=0.05, task=TASK)
        publisher.push_with(functools.partial(notify, url))
        for done in range(1, 41):
            publisher("extract", done, 40)
            await asyncio.sleep(0.02)
        await asyncio.to_thread(publisher.close)
        received = []
        deadline = time.monotonic() + 10
        while not (received and received[-1]["final"]):
            assert time.monotonic() < deadline, received
            message = await asyncio.wait_for(mine.queue.get(), 10)
            event = json.loads(message.decode().removeprefix("data: "))
            event["received_at"] = time.time()
            received.append(event)
        leaked = [other.queue.get_nowait() for _ in range(other.queue.qsize())]
        feed.unsubscribe(mine)
        feed.unsubscribe(other)
        return received, leaked, publisher

    received, leaked, publisher = asyncio.run(scenario())

    assert leaked == []  # a user who may not read the DAG hears nothing of it
    assert [e["done"] for e in received] == sorted(e["done"] for e in received)
    assert received[-1]["final"] and received[-1]["done"] == 40
    assert {k: received[-1][k] for k in TASK} == TASK
    assert len(received) == publisher.pushes >= 5  # every pushed value reached the listener
    latency = statistics.median(e["received_at"] - e["published_at"] for e in received)
    assert latency < 0.5, latency  # pushed, not polled (see benchmarks/progress.py for figures)
    # the task state store: a value at most every STORED_EVERY_SECONDS, and the final one
    assert stored[-1]["final"] and stored[-1]["done"] == 40
    assert len(stored) <= 1 + (40 * 0.02) / STORED_EVERY_SECONDS + 1


def test_a_value_seen_pushed_is_not_handed_out_again_when_polled() -> None:
    feed = ProgressFeed()
    value = {**TASK, "stage": "extract", "done": 3, "total": 9, "final": False, "at": 1.5}
    (pushed,) = feed.pushed([value, {"no": "key"}, {**TASK, "map_index": "x"}])
    polled = progress_feed.event_of(("push_dag", "r1", "ingest", -1), value, updated_at=None)
    assert polled is not None and progress_feed._same(pushed, polled)
    assert not progress_feed._same(pushed, {**polled, "final": True})
    assert feed.latest[("push_dag", "r1", "ingest", -1)] == pushed
