"""The plugin's FastAPI app, mounted by the API server under ``/bluelabel``.

Routes by concept: ``metrics_routes`` (aggregates, one run's steps, the report),
``documents_routes`` (knowledge-store search), ``digest_routes`` (digests as HTML),
``progress_routes`` (Server-Sent Events). ``static/`` holds the UI bundle (``react_apps``).
Every route depends on Airflow's authentication (``deps``): 401 without a token; a browser
asking for a page is sent to Airflow's login instead.
"""

from __future__ import annotations

import mimetypes

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from bluelabel import airflow_ports
from bluelabel.web import digest_routes, documents_routes, metrics_routes, progress_routes
from bluelabel.web.react_apps import STATIC_DIR, ui_path

airflow_ports.install()
app = FastAPI(title="Bluelabel", docs_url=None, redoc_url=None, openapi_url=None)
for _module in (metrics_routes, documents_routes, digest_routes, progress_routes):
    app.include_router(_module.router)

mimetypes.add_type("image/svg+xml", ".svg")
# check_dir: a package without its static folder fails at start-up, not with empty views.
app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=True), name="bluelabel-static")


@app.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    """The metrics overview now lives inside the Airflow UI."""
    return RedirectResponse(ui_path("bluelabel-metrics"), status_code=307)


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
