"""What the running Airflow offers, decided once (as Airflow's providers keep theirs in a
``version_compat`` module): every check of Airflow's version lives here.

Supported: Airflow 3.2 and later 3.x (``pyproject.toml``). Airflow 3.3 added the task state
store, where live progress is kept; on 3.2 everything else runs (step metrics too: they are
kept in the knowledge store's catalog), but progress is off, and its view and API routes say
so (:data:`TASK_STATE_STORE_MISSING`).
"""

from __future__ import annotations

import re
from importlib.metadata import version

#: The installed Airflow's version, from the metadata of the distribution that holds the
#: ``airflow`` package (importing ``airflow`` itself costs seconds outside Airflow's processes).
AIRFLOW_VERSION = version("apache-airflow-core")


def get_base_airflow_version_tuple() -> tuple[int, int, int]:
    """(major, minor, micro) of the running Airflow, pre-release and local tags dropped."""
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", AIRFLOW_VERSION)
    if match is None:
        raise RuntimeError(f"cannot read Airflow's version from {AIRFLOW_VERSION!r}")
    major, minor, micro = (int(part) for part in match.groups())
    return major, minor, micro


AIRFLOW_V_3_3_PLUS = get_base_airflow_version_tuple() >= (3, 3, 0)

#: Live progress is kept in the task state store (Airflow 3.3+).
HAS_TASK_STATE_STORE = AIRFLOW_V_3_3_PLUS
TASK_STATE_STORE_MISSING = (
    f"Bluelabel's live progress needs Airflow 3.3 or later (its task state store); this "
    f"deployment runs Airflow {AIRFLOW_VERSION}, so none is recorded"
)

__all__ = [
    "AIRFLOW_VERSION",
    "AIRFLOW_V_3_3_PLUS",
    "HAS_TASK_STATE_STORE",
    "TASK_STATE_STORE_MISSING",
    "get_base_airflow_version_tuple",
]
