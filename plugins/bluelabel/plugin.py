"""The Airflow plugin, registered once through the ``airflow.plugins`` entry point.

Keep the package out of Airflow's ``plugins_folder``: Airflow would import this module a
second time from there.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from bluelabel import airflow_ports
from bluelabel.config import get_settings
from bluelabel.metrics import listener
from bluelabel.operators.links import DigestLink, SourceDocumentLink
from bluelabel.web.react_apps import PREFIX, react_apps

# Every Airflow process reads [bluelabel] through Airflow's own configuration.
airflow_ports.install()


def knowledge_store() -> str:
    """``{{ macros.bluelabel.knowledge_store() }}``: where documents are stored."""
    return get_settings().store


class _WebApps:
    """``fastapi_apps``, built on first read: every process that loads plugins (each task
    process, for the listener) imports this module, but only the API server reads
    ``fastapi_apps`` (``plugins_manager.get_fastapi_plugins``), so only it pays for FastAPI
    and the routes."""

    def __get__(self, instance: object, owner: type) -> list[dict[str, Any]]:
        from bluelabel.web.app import app

        return [{"app": app, "url_prefix": PREFIX, "name": "Bluelabel"}]


class BluelabelPlugin(AirflowPlugin):
    name = "bluelabel"
    macros = [knowledge_store]  # noqa: RUF012 (AirflowPlugin declares these as lists)
    operator_extra_links = [SourceDocumentLink(), DigestLink()]  # noqa: RUF012
    listeners = [listener]  # noqa: RUF012
    fastapi_apps = _WebApps()
    react_apps = react_apps()
