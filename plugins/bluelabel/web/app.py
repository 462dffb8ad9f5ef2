"""The plugin's FastAPI app, mounted by the API server under ``/bluelabel``.

Routes by concept: ``metrics_routes`` (aggregates, one run's steps, the report),
``documents_routes`` (knowledge-store search), ``digest_routes`` (digests as HTML),
``progress_routes`` (Server-Sent Events), ``run_tasks_routes`` (a run's task states, why
each failed). ``static/`` holds the UI bundle (``react_apps``).
Every route depends on Airflow's authentication (``deps``): 401 without a token; a browser
asking for a page is sent to Airflow's login instead. The OpenAPI document is served at
``/openapi.json`` behind the same authentication.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from bluelabel import __version__, airflow_ports
from bluelabel.timeparse import TimeParseError
from bluelabel.web import (
    digest_routes,
    documents_routes,
    metrics_routes,
    progress_routes,
    run_tasks_routes,
)
from bluelabel.web.deps import WebsiteAccess
from bluelabel.web.middleware import FreezeStartupHeap, RefuseNulBytes
from bluelabel.web.react_apps import STATIC_DIR, ui_path

airflow_ports.install()
app = FastAPI(
    title="Bluelabel",
    version=__version__,
    description="The Bluelabel plugin's API, mounted by Airflow's API server under /bluelabel. "
    "Every route needs Airflow's authentication (a bearer token from /auth/token or the UI's "
    "session).",
    docs_url=None,
    redoc_url=None,
    openapi_url=None,  # served below, behind authentication
)
for _module in (metrics_routes, documents_routes, digest_routes, progress_routes, run_tasks_routes):
    app.include_router(_module.router)


@app.get("/openapi.json", include_in_schema=False, dependencies=[WebsiteAccess])
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of these routes (paths relative to ``/bluelabel``)."""
    return app.openapi()


app.add_middleware(RefuseNulBytes)
app.add_middleware(FreezeStartupHeap)

mimetypes.add_type("image/svg+xml", ".svg")
# check_dir: a package without its static folder fails at start-up, not with empty views.
app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=True), name="bluelabel-static")


@app.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    """The metrics overview now lives inside the Airflow UI."""
    return RedirectResponse(ui_path("bluelabel-metrics"), status_code=307)


@app.exception_handler(TimeParseError)
async def _bad_time_window(request: Request, exc: TimeParseError) -> Response:
    """A ``since``/``until`` that is no time this can handle: 422 with the parser's message,
    as FastAPI answers any other query value it cannot use."""
    return JSONResponse({"detail": str(exc)}, status_code=422)


@app.exception_handler(HTTPException)
async def _login_for_pages(request: Request, exc: HTTPException) -> Response:
    """A browser opening a page (not an API call) without a session goes to Airflow's login
    and comes back; API calls get the 401 as it is."""
    relative = request.url.path.removeprefix(request.scope.get("root_path", ""))
    if (
        exc.status_code == 401
        and request.method == "GET"
        and not relative.startswith("/api/")
        and "text/html" in request.headers.get("accept", "")
    ):
        from airflow.api_fastapi.app import get_auth_manager

        target = get_auth_manager().get_url_login(next_url=str(request.url))
        return RedirectResponse(target, status_code=302)
    return await http_exception_handler(request, exc)
