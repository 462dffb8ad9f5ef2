"""Every try of every task of one DAG run: Airflow's task instances and their history, joined
with the listener's records.

Interim: the lead's ``bluelabel.metrics.runstats`` is the one run-statistics module; when it
lands, :func:`load` becomes a call to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bluelabel.metrics import METRICS_XCOM_KEY


@dataclass(frozen=True)
class Try:
    task_id: str
    map_index: int
    try_number: int
    state: str
    start: datetime | None
    end: datetime | None
    duration_ms: float | None
    record: dict[str, Any] | None  # the listener's record (only the latest try keeps one)


def load(session: Any, run: Any) -> list[Try]:
    """The tries of ``run`` (a ``DagRun``), in start order."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    records: dict[tuple[str, int], dict[str, Any]] = {}
    for task_id, map_index, value in session.execute(
        select(XComModel.task_id, XComModel.map_index, XComModel.value).where(
            XComModel.dag_run_id == run.id, XComModel.key == METRICS_XCOM_KEY
        )
    ):
        data = json.loads(value) if isinstance(value, (str, bytes)) else value
        if isinstance(data, dict):
            records[(task_id, map_index)] = data
    tries: list[Try] = []
    for model in (TaskInstanceHistory, TaskInstance):
        rows = session.execute(
            select(
                model.task_id,
                model.map_index,
                model.try_number,
                model.state,
                model.start_date,
                model.end_date,
                model.duration,
            ).where(model.dag_id == run.dag_id, model.run_id == run.run_id)
        )
        for task_id, map_index, try_number, state, start, end, duration in rows:
            record = records.get((task_id, map_index))
            if record is not None and record.get("try_number") not in (None, try_number):
                record = None
            tries.append(
                Try(
                    task_id=task_id,
                    map_index=map_index,
                    try_number=try_number or 0,
                    state=str(getattr(state, "value", state) or "none"),
                    start=start,
                    end=end,
                    duration_ms=round(duration * 1000, 3) if duration is not None else None,
                    record=record,
                )
            )
    unique = {(t.task_id, t.map_index, t.try_number): t for t in tries}
    return sorted(
        unique.values(),
        key=lambda t: (
            t.start is None,
            t.start.timestamp() if t.start else 0.0,
            t.task_id,
            t.map_index,
            t.try_number,
        ),
    )
