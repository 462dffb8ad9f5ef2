"""Where the plugin's pages are in the Airflow UI: paths below ``[api] base_url``, for links
(operators' extra links) and for the React views' registration (web)."""

from __future__ import annotations

from urllib.parse import urlparse

#: The plugin's FastAPI app is mounted here.
PREFIX = "/bluelabel"


def base_path(path: str) -> str:
    """``path`` below the API server's base URL (``[api] base_url``): absolute when that is a
    URL (the UI may be served from elsewhere in development), else a path."""
    from airflow.configuration import conf

    base_url = (conf.get("api", "base_url", fallback="/") or "/").rstrip("/")
    if "://" in base_url:
        return base_url + path
    return urlparse(base_url).path.rstrip("/") + path


def ui_path(
    route: str,
    *,
    dag_id: str | None = None,
    run_id: str | None = None,
    task_id: str | None = None,
    map_index: int = -1,
) -> str:
    """The Airflow UI path of one of the views (for links and redirects)."""
    from urllib.parse import quote

    path = ""
    if dag_id:
        path += f"/dags/{quote(dag_id, safe='')}"
        if run_id:
            path += f"/runs/{quote(run_id, safe='')}"
            if task_id:
                path += f"/tasks/{quote(task_id, safe='')}"
                if map_index >= 0:
                    path += f"/mapped/{map_index}"
    return base_path(f"{path}/plugin/{route}")
