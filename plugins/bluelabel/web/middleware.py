"""The plugin app's ASGI middlewares: what every request meets before any route."""

from __future__ import annotations

import gc

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class RefuseNulBytes:
    """A NUL byte in the path or the query is refused with a 400 before any route sees it: file
    names and database strings cannot hold one (PostgreSQL refuses it; ``open`` raises)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            response = JSONResponse(
                {"detail": "the request's path or query holds a NUL byte (%00)"}, status_code=400
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class FreezeStartupHeap:
    """At the first request this app serves, the objects the API server made while starting
    (Airflow's and its plugins' modules, classes and caches: most of its 250 MB) are moved
    out of the garbage collector's reach (``gc.freeze``, as Airflow's DAG processor and
    executors do before they fork). Each full collection scanned them all: 330-430 ms during
    which every request in flight waited, a few times a minute under load (a ``gc.callbacks``
    timer in the api-server, ``benchmarks/search_api.py`` with 20 clients); 11-20 ms since.
    Objects that outlive the start-up are the modules' own: freed or not, they stay."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.frozen = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.frozen and scope["type"] == "http":
            self.frozen = True
            gc.collect()  # the start-up's garbage first, so none of it is kept for good
            gc.freeze()
        await self.app(scope, receive, send)
