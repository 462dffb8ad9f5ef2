"""Bluelabel's settings inside Airflow: the ``[bluelabel]`` config section (env overrides as
``AIRFLOW__BLUELABEL__<KEY>``), falling back to the ``BLUELABEL_*`` environment variables.

=================== ======================================================================
key                 meaning
=================== ======================================================================
store               knowledge store folder or ObjectStoragePath URL
workflow_root       root relative paths in workflows resolve against
allowed_roots       extra folders (``:``-separated) files may be read from at run time
allow_private_urls  ``True`` to let URL ingestion reach private/loopback addresses
inbox               where the batch workflow picks up documents (folder or URL)
outbox              where the periodic digest publishes its files (folder or URL)
=================== ======================================================================
"""

from __future__ import annotations

import os
from pathlib import Path

from bluelabel.store import default_store_location

SECTION = "bluelabel"


def _get(key: str, env: str | None = None) -> str | None:
    value = os.environ.get(f"AIRFLOW__{SECTION.upper()}__{key.upper()}")
    if value is None:
        try:
            from airflow.configuration import conf

            value = conf.get(SECTION, key, fallback=None)
        except ImportError:  # outside Airflow
            value = None
    if value is None and env:
        value = os.environ.get(env)
    return value or None


def store_location() -> str:
    return _get("store", "BLUELABEL_STORE") or default_store_location()


def _home_path(*parts: str) -> str:
    airflow_home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
    return os.path.join(airflow_home, "bluelabel", *parts)


def inbox_location() -> str:
    return _get("inbox", "BLUELABEL_INBOX") or _home_path("inbox")


def outbox_location() -> str:
    return _get("outbox", "BLUELABEL_OUTBOX") or _home_path("outbox")


def workflow_root() -> str | None:
    return _get("workflow_root", "BLUELABEL_WORKFLOW_ROOT")


def allowed_roots() -> list[Path]:
    raw = _get("allowed_roots", "BLUELABEL_ALLOWED_ROOTS") or ""
    return [Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p]


def allow_private_urls() -> bool:
    return (_get("allow_private_urls", "BLUELABEL_ALLOW_PRIVATE_URLS") or "").lower() in (
        "1",
        "true",
        "yes",
        "on",
    )
