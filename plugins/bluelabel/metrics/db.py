"""Task tries and DAG runs from Airflow's metadata DB, for :mod:`bluelabel.runstats`.

Every try: the current one from ``task_instance``, earlier ones from
``task_instance_history`` (Airflow copies a try there before the next one starts), each joined
with the listener's record of that try, which it keeps in the task state store under
``bluelabel.metrics.<try>`` (XCom would not do: Airflow clears a task's XComs when it is
retried). A try that failed without a record was killed (OOM, SIGKILL, a lost worker).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bluelabel.metrics import METRICS_STATE_PREFIX
from bluelabel.runstats import RunInfo, TaskTry


def _state(value: Any) -> str:
    return str(getattr(value, "value", value) or "none")


def load_tries(
    session: Any,
    *,
    dag_ids: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    run_id: str | None = None,
    limit: int = 200_000,
) -> tuple[list[TaskTry], list[RunInfo]]:
    """Every try of the runs that started in ``[since, until]`` (or the one ``run_id``)."""
    from airflow.models.dagrun import DagRun
    from airflow.models.task_state_store import TaskStateStoreModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from sqlalchemy import and_, func, select

    started = func.coalesce(DagRun.start_date, DagRun.run_after)
    conditions: list[Any] = []
    if dag_ids is not None:
        conditions.append(DagRun.dag_id.in_(list(dag_ids)))
    if run_id is not None:
        conditions.append(DagRun.run_id == run_id)
    if since is not None:
        conditions.append(started >= since)
    if until is not None:
        conditions.append(started <= until)
    runs_query = (
        select(
            DagRun.id,
            DagRun.dag_id,
            DagRun.run_id,
            DagRun.state,
            DagRun.start_date,
            DagRun.end_date,
        )
        .where(*conditions)
        .order_by(started.desc())
        .limit(limit)
    )
    run_rows = session.execute(runs_query).all()
    runs = [RunInfo(d, r, _state(s), a, b) for _, d, r, s, a, b in run_rows]
    if not run_rows:
        return [], runs
    ids = [row[0] for row in run_rows]

    records: dict[tuple[int, str, int, int], dict[str, Any]] = {}
    state_rows = session.execute(
        select(
            TaskStateStoreModel.dag_run_id,
            TaskStateStoreModel.task_id,
            TaskStateStoreModel.map_index,
            TaskStateStoreModel.key,
            TaskStateStoreModel.value,
        ).where(
            TaskStateStoreModel.dag_run_id.in_(ids),
            TaskStateStoreModel.key.like(f"{METRICS_STATE_PREFIX}%"),
        )
    )
    for dag_run_id, task_id, map_index, key, value in state_rows:
        suffix = key[len(METRICS_STATE_PREFIX) :]
        if not suffix.isdigit():
            continue
        try:
            data = json.loads(value) if isinstance(value, (str, bytes)) else value
        except ValueError:
            continue
        if isinstance(data, dict):
            records[(dag_run_id, task_id, map_index, int(suffix))] = data

    run_of = {(d, r): i for i, d, r, *_ in run_rows}
    tries: list[TaskTry] = []
    for model in (TaskInstance, TaskInstanceHistory):
        query = select(
            model.dag_id,
            model.run_id,
            model.task_id,
            model.map_index,
            model.try_number,
            model.state,
            model.start_date,
            model.end_date,
        ).join(DagRun, and_(DagRun.dag_id == model.dag_id, DagRun.run_id == model.run_id))
        query = query.where(DagRun.id.in_(ids))
        for dag_id, rid, task_id, map_index, try_number, state, start, end in session.execute(
            query
        ):
            dag_run_id = run_of[(dag_id, rid)]
            tries.append(
                TaskTry(
                    dag_id=dag_id,
                    run_id=rid,
                    task_id=task_id,
                    map_index=map_index,
                    try_number=try_number or 0,
                    state=_state(state),
                    start=start,
                    end=end,
                    record=records.get((dag_run_id, task_id, map_index, try_number or 0)),
                )
            )
    # A try both in history and current (a clear after history was written): keep one.
    unique = {(t.dag_id, t.run_id, t.task_id, t.map_index, t.try_number): t for t in tries}
    return list(unique.values()), runs
