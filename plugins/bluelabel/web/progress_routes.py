"""``GET /api/progress``: Server-Sent Events, one JSON event per progress value of a task
(``dag_id``, ``run_id``, ``task_id``, ``map_index``, ``stage``, ``done``, ``total``, ``final``,
``try_number``, ``published_at``), of the DAGs the user may read, optionally of one DAG or run.

A listener of one run first gets the last value of each of that run's tasks (so a finished
run shows where it ended); after that, values as the tasks publish them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from bluelabel.web.deps import GetUserDep, NeedsTaskStateStore, readable_dag_ids
from bluelabel.web.progress_feed import QUEUE_SIZE, Listener, feed, run_snapshot, sse

router = APIRouter(dependencies=[NeedsTaskStateStore])

#: A comment line this often keeps proxies from closing an idle stream.
HEARTBEAT_SECONDS = 15.0


@router.get("/api/progress", response_class=StreamingResponse)
async def progress(
    request: Request,
    user: GetUserDep,
    dag_id: str | None = Query(None, max_length=250),
    run_id: str | None = Query(None, max_length=250),
) -> StreamingResponse:
    """The progress of running tasks as a ``text/event-stream``."""
    from airflow.utils.session import create_session

    if run_id is not None and dag_id is None:
        raise HTTPException(422, "run_id needs dag_id")
    readable = await asyncio.to_thread(readable_dag_ids, user)
    if dag_id is not None and dag_id not in readable:  # perhaps a DAG newer than the cache
        readable = await asyncio.to_thread(lambda: readable_dag_ids(user, fresh=True))
    if dag_id is not None and dag_id not in readable:
        raise HTTPException(403, f"you may not read DAG {dag_id!r}")
    listener = Listener(
        asyncio.Queue(QUEUE_SIZE),
        readable,
        dag_id,
        run_id,
        recheck=lambda: readable_dag_ids(user, fresh=True),
    )
    snapshot: list[dict[str, Any]] = []
    if dag_id is not None and run_id is not None:

        def read_run() -> list[dict[str, Any]]:
            with create_session() as session:
                return run_snapshot(session, dag_id, run_id)

        snapshot = await asyncio.to_thread(read_run)

    async def stream() -> AsyncIterator[bytes]:
        feed.subscribe(listener)
        try:
            yield b"retry: 2000\n: connected\n\n"
            for event in snapshot:
                yield sse(event)
            while True:
                try:
                    message = await asyncio.wait_for(listener.queue.get(), HEARTBEAT_SECONDS)
                except asyncio.TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": heartbeat\n\n"
                    continue
                yield message
        finally:
            feed.unsubscribe(listener)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
