"""Operator extra links (the buttons on a task instance in the Airflow UI).

In Airflow 3 the task runner calls ``get_link`` in the worker when the task finishes and
stores the URL in XCom under the link's ``xcom_key``; the API server only reads that XCom.
The worker has the operator object that just ran at hand, so the links read what its
``execute`` left on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey


class SourceDocumentLink(BaseOperatorLink):
    """Opens the web page or PDF URL an ingest task read (URL sources only)."""

    name = "Source document"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        # Called in the worker right after execute(), on the same operator object: the URL it
        # read is at hand, no XCom round trip needed.
        source: Any = getattr(operator, "ingested_source", None)
        if isinstance(source, str) and source.startswith(("http://", "https://")):
            return source
        return ""


class DigestLink(BaseOperatorLink):
    """Opens the digest a task produced, rendered in its task instance's **Digest** tab."""

    name = "Open digest"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from bluelabel.operators.agent import AgentOperator
        from bluelabel.web.react_apps import ui_path

        if not isinstance(operator, AgentOperator) or not operator.digest_location:
            return ""
        return ui_path(
            "bluelabel-task-digest",
            dag_id=ti_key.dag_id,
            run_id=ti_key.run_id,
            task_id=ti_key.task_id,
            map_index=ti_key.map_index,
        )
