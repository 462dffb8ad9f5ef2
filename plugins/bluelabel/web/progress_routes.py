"""``GET /api/progress``: Server-Sent Events, one JSON event per progress value of a task
(``dag_id``, ``run_id``, ``task_id``, ``map_index``, ``stage``, ``done``, ``total``, ``final``,
``try_number``, ``published_at``), of the DAGs the user may read, optionally of one DAG or run.

A listener of one run first gets the last value of each of that run's tasks (so a finished
run shows where it ended); after that, values as the tasks publish them.

One user holds at most ``[bluelabel] progress_streams_per_user`` streams open in one API-server
process (one more is answered 429 before anything is read); a stream ends at the first
heartbeat after its token is revoked (a logout). The user comes from the plugin's token cache
(:func:`~bluelabel.web.deps.cached_user`: revocation asked in batches), so a burst of requests
is not answered one synchronous metadata-DB query at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import jwt
from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN
from airflow.api_fastapi.core_api.security import bearer_scheme
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from starlette.types import Receive, Scope, Send

from bluelabel.config import get_settings
from bluelabel.web.deps import (
    CachedUserDep,
    NeedsTaskStateStore,
    readable_dag_ids,
    revocations,
    user_key,
)
from bluelabel.web.progress_feed import (
    QUEUE_SIZE,
    Listener,
    feed,
    run_snapshot,
    sse,
)
from bluelabel.web.stream_slots import StreamSlots

router = APIRouter(dependencies=[NeedsTaskStateStore])

#: A comment line this often keeps proxies from closing an idle stream.
HEARTBEAT_SECONDS = 15.0
#: Open streams per user in this process.
slots = StreamSlots(get_settings().progress_streams_per_user)


class ProgressStream(StreamingResponse):
    """The event stream, which gives its user's slot back however it ends (closed by the
    client, cut, or never started because the client left first)."""

    def __init__(self, body: AsyncIterator[bytes], slot: str) -> None:
        super().__init__(
            body,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            slots.give_back(self.slot)


def _token_id(request: Request, bearer: HTTPAuthorizationCredentials | None) -> str | None:
    """The ``jti`` of the token this request was authenticated with (already verified): the
    bearer token, else the UI's cookie, in the precedence Airflow's ``get_user`` uses (Airflow
    3.3's ``collect_request_tokens`` does the same; 3.2 has no such helper)."""
    if bearer is not None and bearer.scheme.lower() == "bearer":
        token: str | None = bearer.credentials
    else:
        token = request.cookies.get(COOKIE_NAME_JWT_TOKEN)
    if not token:
        return None
    try:
        jti = jwt.decode(token, options={"verify_signature": False}).get("jti")
    except jwt.InvalidTokenError:
        return None
    return str(jti) if jti else None


@router.get(
    "/api/progress",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        429: {"description": "this user already holds progress_streams_per_user streams"},
    },
)
async def progress(
    request: Request,
    user: CachedUserDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    dag_id: str | None = Query(None, max_length=250),
    run_id: str | None = Query(None, max_length=250),
) -> StreamingResponse:
    """The progress of running tasks as a ``text/event-stream``."""
    if run_id is not None and dag_id is None:
        raise HTTPException(422, "run_id needs dag_id")
    slot = user_key(user)
    if not slots.take(slot):
        raise HTTPException(
            429,
            f"you already have {slots.per_user} progress streams open; close one "
            "([bluelabel] progress_streams_per_user)",
        )
    try:
        return await _open(request, user, slot, _token_id(request, bearer), dag_id, run_id)
    except BaseException:
        slots.give_back(slot)
        raise


async def _open(
    request: Request,
    user: Any,
    slot: str,
    jti: str | None,
    dag_id: str | None,
    run_id: str | None,
) -> ProgressStream:
    from airflow.utils.session import create_session

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
                    if jti is not None and await revocations.is_revoked(jti):
                        return  # logged out: the stream ends (a new one is refused)
                    yield b": heartbeat\n\n"
                    continue
                yield message
        finally:
            feed.unsubscribe(listener)

    return ProgressStream(stream(), slot)
