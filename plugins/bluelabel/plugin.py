"""The Airflow plugin, registered once through the ``airflow.plugins`` entry point.

Keep the package out of Airflow's ``plugins_folder``: Airflow would import this module a
second time from there.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from bluelabel import settings
from bluelabel.metrics import listener
from bluelabel.operators.links import DigestLink, SourceDocumentLink
from bluelabel.web.app import app as web_app
from bluelabel.web.react_apps import PREFIX, react_apps


def knowledge_store() -> str:
    """``{{ macros.bluelabel.knowledge_store() }}``: where documents are stored."""
    return settings.store_location()


class BluelabelPlugin(AirflowPlugin):
    name = "bluelabel"
    macros = [knowledge_store]  # noqa: RUF012 (AirflowPlugin declares these as lists)
    operator_extra_links = [SourceDocumentLink(), DigestLink()]  # noqa: RUF012
    listeners = [listener]  # noqa: RUF012
    fastapi_apps = [{"app": web_app, "url_prefix": PREFIX, "name": "Bluelabel"}]  # noqa: RUF012
    react_apps = react_apps()
