"""Live progress of a running task, published through Airflow's task state store.

An agent reports ``(stage, done, total)`` through ``AgentContext.progress``, as often as it
likes; :class:`ProgressPublisher` writes the newest value to the task instance's state store
key :data:`PROGRESS_KEY` at most every :data:`MIN_INTERVAL_SECONDS`, from one writer thread
(the agent never waits for the write), and always writes the last value when the task's work
ends (``final: true``). The write goes through the task runner's supervisor and the Execution
API into the metadata DB: the same channel on every executor (Local, Celery, Kubernetes), no
extra service. The API server's progress feed polls it from there.

With the knowledge store's catalog on PostgreSQL (``[bluelabel] catalog_conn_id``), every value
is also pushed (``NOTIFY``, :mod:`bluelabel.store.push`) to the API servers, which then need no
poll; the task state store then gets a value at most every :data:`STORED_EVERY_SECONDS`, and
the final one, for Airflow's own tab and an API server that starts later.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

log = logging.getLogger(__name__)

#: The task state store key of a task's progress (shown in Airflow's "Task State Store" tab).
PROGRESS_KEY = "bluelabel.progress"
MIN_INTERVAL_SECONDS = 0.25
#: With pushes, the task state store gets a value at most this often (and the final one).
STORED_EVERY_SECONDS = 2.0
#: Progress is of interest while and shortly after a task runs.
RETENTION = timedelta(days=7)

Write = Callable[[dict[str, Any]], None]
Push = Callable[[dict[str, Any]], None]


class ProgressPublisher:
    """``publisher(stage, done, total)``: keep the newest value; one thread writes it.

    :param write: stores one value (``task_state_store.set`` in a task)
    :param try_number: the task try the values belong to (retries share the key)
    :param interval: the least time between two writes
    :param task: the task's ``dag_id``, ``run_id``, ``task_id`` and ``map_index``, which a
        pushed value carries (a stored one is keyed by them)
    """

    def __init__(
        self,
        write: Write,
        *,
        try_number: int = 1,
        interval: float = MIN_INTERVAL_SECONDS,
        task: dict[str, Any] | None = None,
    ) -> None:
        self._write = write
        self._try_number = try_number
        self._interval = interval
        self._task = dict(task or {})
        self._push: Push | None = None
        self._stored_at = float("-inf")
        self.pushes = 0
        self._pid = os.getpid()
        self._wake = threading.Condition()
        self._pending: tuple[str, int, int] | None = None
        self._last: tuple[str, int, int] | None = None
        self._closed = False
        self._thread: threading.Thread | None = None
        self.writes = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if os.getpid() != self._pid:  # a forked worker process: only the task writes
            return
        with self._wake:
            if self._closed:
                return
            self._pending = (str(stage), int(done), int(total))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="bluelabel-progress", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def push_with(self, push: Push) -> None:
        """Also push every value (with the task's key) through ``push``; the task state store
        then gets one at most every :data:`STORED_EVERY_SECONDS`, and the final one."""
        with self._wake:
            self._push = push

    def close(self) -> None:
        """Write the final value (the newest one reported) and stop the writer thread."""
        if os.getpid() != self._pid:
            return
        with self._wake:
            if self._closed:
                return
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:  # no thread: nothing was ever reported, nothing to write
            thread.join(timeout=30)

    def _run(self) -> None:
        written_at = float("-inf")
        while True:
            with self._wake:
                while self._pending is None and not self._closed:
                    self._wake.wait()
                wait = written_at + self._interval - time.monotonic()
                if wait > 0 and not self._closed:
                    self._wake.wait(wait)  # a close() cuts the wait short
                    continue
                value, closing = self._pending, self._closed
                self._pending = None
            if closing:
                final = value or self._last
                if final is not None:
                    self._send(final, final=True)
                return
            if value is not None:
                self._send(value, final=False)
                written_at = time.monotonic()

    def _send(self, value: tuple[str, int, int], *, final: bool) -> None:
        stage, done, total = value
        self._last = value
        data = {
            "stage": stage,
            "done": done,
            "total": total,
            "final": final,
            "try_number": self._try_number,
            "at": time.time(),  # when it was published: latency is measured from here
        }
        pushed = False
        if self._push is not None:
            try:
                self._push({**self._task, **data})
                self.pushes += 1
                pushed = True
            except Exception:  # the state store still has it, at the poll's pace
                log.warning("bluelabel: could not push progress", exc_info=True)
        now = time.monotonic()
        if pushed and not final and now - self._stored_at < STORED_EVERY_SECONDS:
            return
        try:
            self._write(data)
            self.writes += 1
            self._stored_at = now
        except Exception:  # progress must never fail the task
            log.warning("bluelabel: could not publish progress", exc_info=True)


def publisher_for(context: Any) -> ProgressPublisher | None:
    """The publisher of the task running in ``context``, or ``None`` where the context has no
    task state store (outside a task runner)."""
    state_store = context.get("task_state_store") if hasattr(context, "get") else None
    if state_store is None:
        return None
    ti = context.get("ti")

    def write(value: dict[str, Any]) -> None:
        state_store.set(PROGRESS_KEY, value, retention=RETENTION)

    map_index = getattr(ti, "map_index", -1)
    task = {
        "dag_id": getattr(ti, "dag_id", None),
        "run_id": getattr(ti, "run_id", None),
        "task_id": getattr(ti, "task_id", None),
        "map_index": -1 if map_index is None else map_index,
    }
    return ProgressPublisher(write, try_number=int(getattr(ti, "try_number", 1) or 1), task=task)


def push_through_catalog(publisher: ProgressPublisher, store: Any) -> None:
    """Push ``publisher``'s values through the ``store``'s catalog when it is on PostgreSQL
    (:mod:`bluelabel.store.push`); an embedded catalog cannot push, and nothing changes."""
    from bluelabel.store.push import notify, pushes

    try:
        url = store.catalog.url
    except Exception:  # the agent meets the same problem and says it
        return
    if pushes(url):
        publisher.push_with(functools.partial(notify, url))
