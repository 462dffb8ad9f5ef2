"""What a failed try could not read, and why, left in XCom for the steps after it: a digest
lists them, the Progress tab shows them (``GET /api/runs/{dag_id}/{run_id}/tasks``).

A try that fails pushes ``failure`` (``{"source", "reason", "task_id", "map_index"}``); an inbox
listing names the files it quarantined in its ``details``. :func:`upstream_failures` gathers
both for a step from every step before it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bluelabel.errors import IngestError
from bluelabel.operators.trigger import TRIGGER_SOURCE

if TYPE_CHECKING:
    from airflow.sdk import Context

log = logging.getLogger(__name__)

#: The XCom key under which a failed try says what it could not read, and why.
FAILURE_KEY = "failure"


def failure_entry(source: str, exc: BaseException) -> dict[str, str]:
    """``{"source", "reason"}`` of a failed try: the reason in one line, without the source
    an ingest error repeats at its start. A try whose input named nothing (a listing of the
    inbox from the trigger input) is named by what its error names (the inbox)."""
    reason = exc.reason if isinstance(exc, IngestError) else str(exc)
    if isinstance(exc, IngestError) and exc.source and source in ("", TRIGGER_SOURCE):
        source = exc.source
    return {"source": source, "reason": " ".join(reason.split())[:1000] or type(exc).__name__}


def report_failure(context: Context, source: str, exc: BaseException) -> None:
    """Leave the failure in XCom (``failure``), where a digest downstream finds it; a try that
    cannot say so still fails with its own error."""
    ti = context["ti"]
    entry = {
        **failure_entry(source, exc),
        "task_id": str(ti.task_id),
        "map_index": str(-1 if ti.map_index is None else ti.map_index),
    }
    try:
        ti.xcom_push(key=FAILURE_KEY, value=entry)
    except Exception:  # the original error matters more than this note of it
        log.exception("could not record the failure of %s", ti.task_id)


def upstream_failures(ti: Any, task_ids: Sequence[str]) -> list[dict[str, str]]:
    """What the steps ``task_ids`` could not read, in task order: the failures their tries
    reported (:func:`report_failure`; every instance of a mapped step), and the files an inbox
    listing quarantined before any ingest saw them."""
    failed: list[dict[str, str]] = []
    for details in ti.xcom_pull(task_ids=list(task_ids), key="details") or []:
        if not isinstance(details, Mapping):
            continue
        inbox = str(details.get("inbox") or "")
        for entry in details.get("quarantined") or ():
            if isinstance(entry, Mapping) and entry.get("reason"):
                name = str(entry.get("file") or "")
                failed.append(
                    {
                        "source": f"{inbox}/{name}" if inbox else name,
                        "reason": str(entry["reason"]),
                        "stage": "listing",
                    }
                )
    for entry in ti.xcom_pull(task_ids=list(task_ids), key=FAILURE_KEY) or []:
        if isinstance(entry, Mapping) and entry.get("reason"):
            failed.append({str(k): str(v) for k, v in entry.items()})
    return failed
