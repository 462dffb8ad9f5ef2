"""Who is asking, and what they may read: Airflow's own FastAPI dependencies, plus one cache.

Plugin apps are mounted without Airflow's authentication, so every route depends on one of
these. Routes about DAG runs take Airflow's ``requires_access_dag`` and its ``SessionDep``
directly (as Airflow's own routes do). The metrics and the knowledge store, whose load targets
are below the cost of Airflow's per-request revocation lookup, take :data:`CachedUserDep` and
:data:`WebsiteAccess`, which keep a verified token's verdict for a few seconds (see
:func:`cached_user`).
"""

from __future__ import annotations

import time
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
    "requires_access_dag",
]

_AUTH_CACHE_SECONDS = get_settings().auth_cache_seconds
_READABLE_CACHE_SECONDS = get_settings().metrics_cache_seconds
#: bearer token -> (monotonic time until which it is trusted, its user)
_tokens: dict[str, tuple[float, Any]] = {}
_readable: dict[str, tuple[float, frozenset[str]]] = {}
#: (user key, view) -> (monotonic time until which the verdict holds, allowed)
_views: dict[tuple[str, str], tuple[float, bool]] = {}


async def cached_user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Any:
    """Airflow's authentication, with a bearer token's verdict kept for a few seconds.

    Every token is checked by Airflow's own ``get_user`` path (signature, expiry, revocation,
    user) the first time it is seen; for ``AIRFLOW__BLUELABEL__AUTH_CACHE_SECONDS`` (default
    5, never past the token's ``exp``; ``0`` turns it off) the same token string is then
    trusted without repeating the revocation lookup, a synchronous metadata-DB query that
    costs as much as the rest of the request. So a token revoked by a logout still reads the
    metrics for at most that long. UI sessions (the cookie) always take Airflow's path.
    """
    if bearer is None or bearer.scheme.lower() != "bearer" or _AUTH_CACHE_SECONDS <= 0:
        return await get_user(request, None, bearer)
    token = bearer.credentials
    now = time.monotonic()
    hit = _tokens.get(token)
    if hit is not None and hit[0] > now:
        return hit[1]
    user = await resolve_user_from_token(token)  # raises 401/403 as Airflow does
    until = now + _AUTH_CACHE_SECONDS
    expires = jwt.decode(token, options={"verify_signature": False}).get("exp")
    if isinstance(expires, (int, float)):
        until = min(until, now + (expires - time.time()))
    if len(_tokens) > 10_000:
        _tokens.clear()
    _tokens[token] = (until, user)
    return user


CachedUserDep = Annotated[Any, Depends(cached_user)]


def _user_key(user: Any) -> str:
    return f"{type(user).__name__}:{user.get_id()}"


def requires_view(view: AccessView) -> Any:
    """Airflow's ``requires_access_view`` on :func:`cached_user`, its verdict kept for the
    same period: the auth manager is asked (in the threadpool, as Airflow does: some ask a
    remote identity provider) at most once per user and view in that time."""

    async def inner(user: CachedUserDep) -> Any:
        from airflow.api_fastapi.app import get_auth_manager

        key = (_user_key(user), view.value)
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


#: The knowledge store belongs to the deployment, not to one DAG: whoever may use the Airflow
#: UI may browse it (Airflow's ``WEBSITE`` view permission).
WebsiteAccess = Depends(requires_view(AccessView.WEBSITE))


def readable_dag_ids(user: Any, *, fresh: bool = False) -> frozenset[str]:
    """The DAG ids this user may read, asked of the auth manager at most once per cache period
    (it costs a metadata-DB query; the user's token is still verified on every request), or
    now with ``fresh``."""
    from airflow.api_fastapi.app import get_auth_manager

    key = _user_key(user)
    cached = _readable.get(key)
    if cached and cached[0] > time.monotonic() and not fresh:
        return cached[1]
    dags = frozenset(get_auth_manager().get_authorized_dag_ids(user=user, method="GET"))
    _readable[key] = (time.monotonic() + _READABLE_CACHE_SECONDS, dags)
    return dags


def _task_state_store_available() -> None:
    """Metrics and progress are read from the task state store (Airflow 3.3+); on an older
    Airflow their routes answer 501 with the reason, which the UI views show."""
    if not HAS_TASK_STATE_STORE:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, TASK_STATE_STORE_MISSING)


NeedsTaskStateStore = Depends(_task_state_store_available)
