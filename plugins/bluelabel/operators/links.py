"""Operator extra links (the buttons on a task instance in the Airflow UI).

In Airflow 3 the task runner calls ``get_link`` in the worker when the task finishes and
stores the URL in XCom under the link's ``xcom_key``; the API server only reads that XCom.
Each link reads the task's own result, the explicit record of what the task did: the value
the operator returned (:func:`remember`, in the same process, a moment earlier) or, where that
process is not this one, its ``return_value`` XCom. Reading it back from XCom cost every task
one more round trip to the API server as it finished.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperatorLink

from bluelabel.metrics.handoff import try_key
from bluelabel.ui_paths import ui_path

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey


#: the result the operator returned in this process, keyed by its task try (one at a time: a
#: task process runs one task; ``dag.test()`` runs them one after another)
_returned: dict[tuple[str, str, str, int, int], Any] = {}


def remember(ti: Any, value: Any) -> None:
    """Called by the operator with the value it returns (its ``return_value`` XCom)."""
    _returned.clear()
    _returned[try_key(ti)] = value


def _result(ti_key: TaskInstanceKey) -> dict[str, Any]:
    key = try_key(ti_key)
    if key in _returned:
        value = _returned[key]
    else:
        from airflow.sdk.execution_time.xcom import XCom

        value = XCom.get_value(ti_key=ti_key, key="return_value")
    return value if isinstance(value, dict) else {}


class SourceDocumentLink(BaseOperatorLink):
    """Opens the web page or PDF URL an ingest task read (URL sources only)."""

    name = "Source document"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        source = _result(ti_key).get("source")
        if isinstance(source, str) and source.startswith(("http://", "https://")):
            return source
        return ""


class DigestLink(BaseOperatorLink):
    """*Open digest*: the digest a task produced, in its task instance's **Digest** tab."""

    name = "Open digest"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        result = _result(ti_key)
        if not (result.get("html_path") or result.get("digest_path")):
            return ""
        return ui_path(
            "bluelabel-task-digest",
            dag_id=ti_key.dag_id,
            run_id=ti_key.run_id,
            task_id=ti_key.task_id,
            map_index=ti_key.map_index,
        )
