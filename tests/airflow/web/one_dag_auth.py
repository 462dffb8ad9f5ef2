"""An auth manager that limits some users to some DAGs, for the permission tests.

Airflow's SimpleAuthManager grants by role only (a viewer reads every DAG); FAB and Keycloak
grant per DAG but need their own user database or server. This is SimpleAuthManager with one
change, made through the public auth-manager interface those use too: a user named in
``BLUELABEL_TEST_DAG_GRANTS`` (``user=dag_a,dag_b;other=dag_c``) may read and change only the
DAGs listed for them. Everything else (tokens, the login page, roles, revocation) is
SimpleAuthManager's own, so the admin user behaves exactly as with SimpleAuthManager.

The API server loads it by class path (``[core] auth_manager``), with the repository on
``PYTHONPATH``.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager


def grants() -> dict[str, frozenset[str]]:
    """User name -> the DAG ids that user may access (users not named: as their role says)."""
    found: dict[str, frozenset[str]] = {}
    for entry in os.environ.get("BLUELABEL_TEST_DAG_GRANTS", "").split(";"):
        user, _, dags = entry.partition("=")
        if user.strip():
            found[user.strip()] = frozenset(d.strip() for d in dags.split(",") if d.strip())
    return found


class OneDagAuthManager(SimpleAuthManager):  # type: ignore[misc]
    """SimpleAuthManager whose granted users see only their DAGs."""

    def is_authorized_dag(
        self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None
    ) -> bool:
        allowed = grants().get(user.get_name())
        if allowed is not None and (details is None or details.id not in allowed):
            return False  # no DAG named (a list of all DAGs) or a DAG not granted
        return bool(
            super().is_authorized_dag(
                method=method, user=user, access_entity=access_entity, details=details
            )
        )
