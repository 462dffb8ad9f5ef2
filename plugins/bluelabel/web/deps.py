"""Who is asking, and what they may read: Airflow's own FastAPI dependencies, plus one cache.

Plugin apps are mounted without Airflow's authentication, so every route depends on one of
these. Routes about DAG runs take Airflow's ``requires_access_dag`` and its ``SessionDep``
directly (as Airflow's own routes do). The metrics and the knowledge store, whose load targets
are below the cost of Airflow's per-request token verification, take :data:`CachedUserDep`
and :data:`WebsiteAccess`, which keep a verified token's user for a few seconds and ask
about its revocation on every request, in batches (see :func:`cached_user`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import jwt
from airflow.api_fastapi.auth.managers.models.resource_details import AccessView, DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import (
    GetUserDep,
    bearer_scheme,
    get_user,
    requires_access_dag,
    resolve_user_from_token,
)
from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials

from bluelabel.config import get_settings
from bluelabel.version_compat import HAS_TASK_STATE_STORE, TASK_STATE_STORE_MISSING

__all__ = [
    "CachedUserDep",
    "DagAccessEntity",
    "GetUserDep",
    "NeedsTaskStateStore",
    "SessionDep",
    "WebsiteAccess",
    "readable_dag_ids",
    "reads_every_dag",
    "requires_access_dag",
    "revocations",
    "user_key",
]

_AUTH_CACHE_SECONDS = get_settings().auth_cache_seconds
_READABLE_CACHE_SECONDS = get_settings().metrics_cache_seconds
#: bearer token -> (monotonic time until which it is trusted, its user, its ``jti`` claim)
_tokens: dict[str, tuple[float, Any, str | None]] = {}
_readable: dict[str, tuple[float, frozenset[str]]] = {}
#: (user key, view) -> (monotonic time until which the verdict holds, allowed)
_views: dict[tuple[str, str], tuple[float, bool]] = {}


class RevokedTokenTable:
    """Which token ids Airflow has revoked: its ``revoked_token`` table, which a logout fills
    through ``BaseAuthManager.revoke_token``, read over one connection of Airflow's async
    engine (asyncpg, aiosqlite: the event loop goes on serving while the query runs), kept
    open with autocommit so each read sees every committed logout, and opened again after an
    error."""

    def __init__(self) -> None:
        self._connection: Any = None

    async def __call__(self, jtis: frozenset[str]) -> frozenset[str]:
        from airflow import settings
        from airflow.models.revoked_token import RevokedToken
        from sqlalchemy import select

        query = select(RevokedToken.jti).where(RevokedToken.jti.in_(sorted(jtis)))
        if settings.async_engine is None:  # no async driver configured: Airflow's own way
            from airflow.utils.session import create_session

            with create_session() as session:
                return frozenset(str(jti) for jti in session.scalars(query))
        try:
            if self._connection is None:
                connection = await settings.async_engine.connect()
                self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            rows = await self._connection.execute(query)
            return frozenset(str(row[0]) for row in rows)
        except Exception:
            if self._connection is not None:
                await self._connection.close()
            self._connection = None
            raise


class RevocationCheck:
    """Whether a token id is revoked, as of a read of the metadata DB that started after the
    question was asked: a logout is seen by the next request, on any API server.

    Concurrent questions share one query (``WHERE jti IN (...)``): those asked while a query
    runs wait for the next one, which answers all of them. The query is asynchronous, so the
    event loop serves other requests meanwhile: under load that is one query per batch of
    requests, where Airflow's own path (``RevokedToken.is_revoked``) makes one synchronous
    query per request with a new ORM session, on the event loop.
    """

    def __init__(self, lookup: Callable[[frozenset[str]], Awaitable[frozenset[str]]] | None = None):
        self._lookup = lookup or RevokedTokenTable()
        self._pending: dict[str, list[asyncio.Future[bool]]] = {}
        self._draining = False
        self.queries = 0

    async def is_revoked(self, jti: str) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(jti, []).append(future)
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, {}
                self.queries += 1
                try:
                    revoked = await self._lookup(frozenset(batch))
                except Exception as exc:  # each waiting request fails with it, as Airflow's
                    for futures in batch.values():
                        for future in futures:
                            if not future.done():
                                future.set_exception(exc)
                    continue
                for jti, futures in batch.items():
                    for future in futures:
                        if not future.done():
                            future.set_result(jti in revoked)
        finally:
            self._draining = False


revocations = RevocationCheck()


async def cached_user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Any:
    """Airflow's authentication, with a bearer token's verified user kept for a few seconds.

    Every token is checked by Airflow's own ``get_user`` path (signature, expiry, revocation,
    user) the first time it is seen; for ``AIRFLOW__BLUELABEL__AUTH_CACHE_SECONDS`` (default
    5, never past the token's ``exp``; ``0`` turns it off) the same token string is then
    trusted without verifying it again, except for revocation: that is asked of the metadata
    DB on every request, batched (:class:`RevocationCheck`), so a token revoked by a logout is
    refused from the next request on. UI sessions (the cookie) always take Airflow's path.
    """
    if bearer is None or bearer.scheme.lower() != "bearer" or _AUTH_CACHE_SECONDS <= 0:
        return await get_user(request, None, bearer)
    token = bearer.credentials
    now = time.monotonic()
    hit = _tokens.get(token)
    if hit is not None and hit[0] > now:
        _, user, jti = hit
        if jti is not None and await revocations.is_revoked(jti):
            _tokens.pop(token, None)
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Invalid JWT token")  # as Airflow
        return user
    user = await resolve_user_from_token(token)  # raises 401/403 as Airflow does
    until = now + _AUTH_CACHE_SECONDS
    claims = jwt.decode(token, options={"verify_signature": False})
    expires = claims.get("exp")
    if isinstance(expires, (int, float)):
        until = min(until, now + (expires - time.time()))
    if len(_tokens) > 10_000:
        _tokens.clear()
    jti = claims.get("jti")
    _tokens[token] = (until, user, str(jti) if jti else None)
    return user


CachedUserDep = Annotated[Any, Depends(cached_user)]


def user_key(user: Any) -> str:
    """One string per user, whatever the auth manager's user class."""
    return f"{type(user).__name__}:{user.get_id()}"


def requires_view(view: AccessView) -> Any:
    """Airflow's ``requires_access_view`` on :func:`cached_user`, its verdict kept for the
    same period: the auth manager is asked (in the threadpool, as Airflow does: some ask a
    remote identity provider) at most once per user and view in that time."""

    async def inner(user: CachedUserDep) -> Any:
        from airflow.api_fastapi.app import get_auth_manager

        key = (user_key(user), view.value)
        now = time.monotonic()
        hit = _views.get(key)
        if hit is not None and hit[0] > now:
            allowed = hit[1]
        else:
            allowed = await run_in_threadpool(
                get_auth_manager().is_authorized_view, access_view=view, user=user
            )
            if len(_views) > 10_000:
                _views.clear()
            _views[key] = (now + _AUTH_CACHE_SECONDS, bool(allowed))
        if not allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Forbidden")
        return user

    return inner


def reads_every_dag(user: Any) -> bool:
    """Whether this user may read every DAG (Airflow's check without a DAG id: FAB's "DAGs"
    resource, a SimpleAuthManager viewer), asked at most once per user and cache period."""
    from airflow.api_fastapi.app import get_auth_manager

    key = (user_key(user), "every-dag")
    now = time.monotonic()
    hit = _views.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    allowed = bool(get_auth_manager().is_authorized_dag(method="GET", user=user))
    _views[key] = (now + _AUTH_CACHE_SECONDS, allowed)
    return allowed


#: The knowledge store belongs to the deployment, not to one DAG: whoever may use the Airflow
#: UI may browse it (Airflow's ``WEBSITE`` view permission).
WebsiteAccess = Depends(requires_view(AccessView.WEBSITE))


def readable_dag_ids(user: Any, *, fresh: bool = False) -> frozenset[str]:
    """The DAG ids this user may read, asked of the auth manager at most once per cache period
    (it costs a metadata-DB query; the user's token is still verified on every request), or
    now with ``fresh``."""
    from airflow.api_fastapi.app import get_auth_manager

    key = user_key(user)
    cached = _readable.get(key)
    if cached and cached[0] > time.monotonic() and not fresh:
        return cached[1]
    dags = frozenset(get_auth_manager().get_authorized_dag_ids(user=user, method="GET"))
    _readable[key] = (time.monotonic() + _READABLE_CACHE_SECONDS, dags)
    return dags


def _task_state_store_available() -> None:
    """Live progress is read from the task state store (Airflow 3.3+); on an older Airflow
    its routes answer 501 with the reason, which the UI view shows."""
    if not HAS_TASK_STATE_STORE:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, TASK_STATE_STORE_MISSING)


NeedsTaskStateStore = Depends(_task_state_store_available)
