"""The progress of running tasks, read from the task state store and fanned out to listeners.

One poller thread per API-server process, whatever the number of listeners: while anyone
listens it reads, every :data:`POLL_SECONDS`, the progress rows of the task instances that are
running (found through the task instance state index, so the cost does not grow with history),
and hands the changed values to the event loop in one call, which puts each on the queues of
the listeners it concerns. When a task stops running, its row is read once more: the final
value a task writes just before it ends is never lost.

With the knowledge store's catalog on PostgreSQL, tasks push each value (``NOTIFY``,
:mod:`bluelabel.store.push`) and the same thread listens (``LISTEN``) instead: a value goes out the
moment it arrives, and the task state store is read only every :data:`PUSHED_POLL_SECONDS`
(for the final values, and for tasks that could not push).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bluelabel.config import get_settings
from bluelabel.operators.progress import PROGRESS_KEY

log = logging.getLogger(__name__)

POLL_SECONDS = get_settings().progress_poll_seconds
#: With pushed progress, how often the task state store is read all the same.
PUSHED_POLL_SECONDS = 1.0
#: A listener that does not keep up loses its oldest events beyond this many.
QUEUE_SIZE = 1000

TaskKey = tuple[str, str, str, int]  # dag_id, run_id, task_id, map_index


#: How often a listener's readable DAGs are asked again when a DAG it does not know reports.
RECHECK_SECONDS = 5.0


@dataclass(eq=False)
class Listener:
    """One client's subscription: the events it may see, and where they go."""

    queue: asyncio.Queue[bytes]  # encoded SSE events
    dag_ids: frozenset[str]  # the DAGs this user may read (as of ``checked``)
    dag_id: str | None = None
    run_id: str | None = None
    #: asks the auth manager again (a DB query: only ever called from the poller thread)
    recheck: Callable[[], frozenset[str]] | None = None
    #: DAGs not readable at their last check -> when that was
    refused: dict[str, float] = field(default_factory=dict)

    def matches(self, event: dict[str, Any]) -> bool:
        return (self.dag_id is None or event["dag_id"] == self.dag_id) and (
            self.run_id is None or event["run_id"] == self.run_id
        )

    def wants(self, event: dict[str, Any]) -> bool:
        """Whether to send ``event``. A DAG not readable when the client connected (e.g. one
        created since) is asked about again at once, then at most every
        :data:`RECHECK_SECONDS`."""
        if not self.matches(event):
            return False
        dag_id = event["dag_id"]
        if dag_id in self.dag_ids:
            return True
        last = self.refused.get(dag_id)
        if self.recheck is not None and (last is None or time.monotonic() - last > RECHECK_SECONDS):
            self.dag_ids = self.recheck()
            self.refused[dag_id] = time.monotonic()
        return dag_id in self.dag_ids

    def offer(self, message: bytes) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(message)


def sse(event: dict[str, Any]) -> bytes:
    """One Server-Sent Event carrying ``event`` as compact JSON."""
    return f"data: {json.dumps(event, separators=(',', ':'))}\n\n".encode()


def event_of(key: TaskKey, value: Any, updated_at: Any) -> dict[str, Any] | None:
    """The SSE event of one progress row, or ``None`` for a value that is not progress."""
    try:
        data = json.loads(value) if isinstance(value, (str, bytes)) else value
    except ValueError:
        return None
    if not isinstance(data, dict) or not {"stage", "done", "total"} <= data.keys():
        return None
    dag_id, run_id, task_id, map_index = key
    return {
        "dag_id": dag_id,
        "run_id": run_id,
        "task_id": task_id,
        "map_index": map_index,
        "stage": str(data["stage"]),
        "done": data["done"],
        "total": data["total"],
        "final": bool(data.get("final")),
        "try_number": data.get("try_number"),
        "published_at": data.get("at"),
        "updated_at": updated_at.isoformat() if hasattr(updated_at, "isoformat") else None,
    }


@dataclass
class ProgressFeed:
    """The process's one poller and its listeners."""

    interval: float = POLL_SECONDS
    listeners: set[Listener] = field(default_factory=set)
    #: the newest event of each task seen running (also the snapshot for new listeners)
    latest: dict[TaskKey, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    polls: int = 0

    # -------------------------------------------------------------- listeners (event loop)
    def subscribe(self, listener: Listener) -> None:
        self._loop = asyncio.get_running_loop()
        with self._lock:
            self.listeners.add(listener)
            snapshot = [e for e in self.latest.values() if listener.wants(e)]
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._poll_forever, name="bluelabel-progress-feed", daemon=True
                )
                self._thread.start()
        for event in snapshot:
            if event["dag_id"] in listener.dag_ids and listener.matches(event):
                listener.offer(sse(event))

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            self.listeners.discard(listener)

    def _route(self, events: list[dict[str, Any]]) -> list[tuple[Listener, list[bytes]]]:
        """Who gets what, each event encoded once (in the poller thread: a permission
        recheck may query the DB, and the event loop is left only the handing out)."""
        with self._lock:
            listeners = list(self.listeners)
        encoded = [sse(e) for e in events]
        routed = []
        for listener in listeners:
            wanted = [m for e, m in zip(events, encoded, strict=True) if listener.wants(e)]
            if wanted:
                routed.append((listener, wanted))
        return routed

    @staticmethod
    def _deliver(routed: list[tuple[Listener, list[bytes]]]) -> None:
        """In the event loop: one call per poll, whatever the number of listeners."""
        for listener, events in routed:
            for event in events:
                listener.offer(event)

    # -------------------------------------------------------------- the poller (its thread)
    def _nobody_listens(self) -> bool:
        with self._lock:
            if self.listeners:
                return False
            self._thread = None
            self.latest.clear()  # nobody listens: the next poller starts afresh
            return True

    def _hand_out(self, events: list[dict[str, Any]]) -> None:
        routed = self._route(events) if events else []
        if routed and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._deliver, routed)

    def _poll_forever(self) -> None:
        from airflow import settings as airflow_settings

        engine = airflow_settings.engine
        assert engine is not None, "the API server configures Airflow's engine at start-up"
        push_url = pushed_progress_url()
        poller = _Poller(self, engine)
        try:
            if push_url is not None:
                self._listen(push_url, poller)
            while not self._nobody_listens():  # the embedded catalog, or the channel failed
                started = time.monotonic()
                poller.round()
                time.sleep(max(0.0, self.interval - (time.monotonic() - started)))
        finally:
            poller.close()

    def _listen(self, url: str, poller: _Poller) -> None:
        """Hand out pushed values as they arrive; read the task state store now and then. A
        channel that fails is opened again after a second; a run of failures hands over to
        polling (returns)."""
        from bluelabel.store.push import listen

        failures = 0
        while failures < 5:
            polled = float("-inf")
            try:
                for batch in listen(url, wait=PUSHED_POLL_SECONDS, stop=self._nobody_listens):
                    failures = 0
                    self._hand_out(self.pushed(batch))
                    if time.monotonic() - polled >= PUSHED_POLL_SECONDS:
                        poller.round()
                        polled = time.monotonic()
                return  # nobody listens any more
            except Exception:
                failures += 1
                log.exception("bluelabel: listening for pushed progress failed; retrying")
                time.sleep(1)
        log.warning("bluelabel: pushed progress keeps failing; polling the task state store")

    def pushed(self, values: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The events of pushed values (each carries its task's key), newest kept as each
        task's latest."""
        events = []
        for value in values:
            try:
                key = (
                    str(value["dag_id"]),
                    str(value["run_id"]),
                    str(value["task_id"]),
                    int(value["map_index"]),
                )
            except (KeyError, TypeError, ValueError):
                continue
            event = event_of(key, value, None)
            if event is not None:
                events.append(event)
        with self._lock:
            for event in events:
                self.latest[_key(event)] = event
        return events

    def poll(self, connection: Any) -> list[dict[str, Any]]:
        """One look at the running tasks' progress: the events that changed since the last."""
        from airflow.models.task_state_store import TaskStateStoreModel as Row
        from airflow.models.taskinstance import TaskInstance as TI
        from sqlalchemy import and_, select

        self.polls += 1
        rows = connection.execute(
            select(Row.dag_id, Row.run_id, Row.task_id, Row.map_index, Row.value, Row.updated_at)
            .join(
                TI,
                and_(
                    TI.dag_id == Row.dag_id,
                    TI.run_id == Row.run_id,
                    TI.task_id == Row.task_id,
                    TI.map_index == Row.map_index,
                ),
            )
            .where(TI.state == "running", Row.key == PROGRESS_KEY)
        ).all()
        seen: dict[TaskKey, tuple[Any, Any]] = {
            (d, r, t, m): (value, updated) for d, r, t, m, value, updated in rows
        }
        # Tasks that stopped running since the last poll: their row once more (final value).
        for key in self.latest.keys() - seen.keys():
            final = self._read(connection, key)
            if final is not None:
                seen[key] = final
        events = []
        for key, (value, updated) in seen.items():
            event = event_of(key, value, updated)
            if event is None or _same(self.latest.get(key), event):
                continue
            events.append(event)
        running = {(d, r, t, m) for d, r, t, m, _, _ in rows}
        with self._lock:
            for event in events:
                self.latest[_key(event)] = event
            for key in list(self.latest):  # stopped tasks: their final event went out above
                if key not in running:
                    del self.latest[key]
        return events

    @staticmethod
    def _read(connection: Any, key: TaskKey) -> tuple[Any, Any] | None:
        from airflow.models.task_state_store import TaskStateStoreModel as Row
        from sqlalchemy import select

        dag_id, run_id, task_id, map_index = key
        found = connection.execute(
            select(Row.value, Row.updated_at).where(
                Row.dag_id == dag_id,
                Row.run_id == run_id,
                Row.task_id == task_id,
                Row.map_index == map_index,
                Row.key == PROGRESS_KEY,
            )
        ).first()
        return None if found is None else (found[0], found[1])


def _same(previous: dict[str, Any] | None, event: dict[str, Any]) -> bool:
    """Whether ``event`` was handed out already: a value is known by when it was published
    (pushed, then read from the state store, it is the same value)."""
    if previous is None:
        return False
    if event["published_at"] is None:
        return bool(previous["updated_at"] == event["updated_at"])
    return bool(
        previous["published_at"] == event["published_at"] and previous["final"] == event["final"]
    )


class _Poller:
    """Rounds of reading the task state store on one connection of Airflow's engine."""

    def __init__(self, feed: ProgressFeed, engine: Any) -> None:
        self.feed = feed
        self.engine = engine
        self.connection: Any = None

    def round(self) -> None:
        try:
            if self.connection is None:
                self.connection = self.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                )
            self.feed._hand_out(self.feed.poll(self.connection))
        except Exception:
            log.exception("bluelabel: polling task progress failed; retrying")
            self.close()
            time.sleep(1)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def pushed_progress_url() -> str | None:
    """The catalog database tasks push progress to, or ``None`` (an embedded catalog, or
    one that cannot be opened: then the state store is polled)."""
    from bluelabel.store.push import pushes
    from bluelabel.web.documents_routes import knowledge_store

    try:
        url = knowledge_store().catalog.url
    except Exception:
        log.warning("bluelabel: the catalog cannot be opened; progress is polled", exc_info=True)
        return None
    return url if pushes(url) else None


def _key(event: dict[str, Any]) -> TaskKey:
    return (event["dag_id"], event["run_id"], event["task_id"], event["map_index"])


def run_snapshot(session: Any, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """The progress every task of one run last reported (for a listener of that run)."""
    from airflow.models.task_state_store import TaskStateStoreModel as Row
    from sqlalchemy import select

    rows = session.execute(
        select(Row.task_id, Row.map_index, Row.value, Row.updated_at).where(
            Row.dag_id == dag_id, Row.run_id == run_id, Row.key == PROGRESS_KEY
        )
    )
    events = [event_of((dag_id, run_id, t, m), v, u) for t, m, v, u in rows]
    return [e for e in events if e is not None]


#: The feed of this API-server process.
feed = ProgressFeed()
