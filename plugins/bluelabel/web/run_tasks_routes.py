"""``GET /api/runs/{dag_id}/{run_id}/tasks``: the state of a run and of each of its task
instances, with the label Airflow shows for a mapped instance (the file it handled) and, for a
failed one, why (the ``failure`` a Bluelabel try leaves in XCom). The Progress view colours
its rows with it, labels mapped tasks by their file, and says what failed in a run whose tasks
never reported progress.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from bluelabel.operators.failures import FAILURE_KEY
from bluelabel.web.deps import DagAccessEntity, SessionDep, requires_access_dag

router = APIRouter()

#: Task states in which a task will not run again in this run without someone clearing it.
FINISHED = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})


class TaskState(BaseModel):
    task_id: str
    map_index: int
    """-1 for a task that is not mapped."""
    label: str | None
    """What Airflow shows for a mapped instance (``map_index_template``: the file)."""
    state: str | None
    try_number: int
    reason: str | None
    """Why a failed (or retrying) try failed, when the try said so."""


class MappedCount(BaseModel):
    """A mapped task's instances by outcome: the batch-level "n of m documents"."""

    task_id: str
    total: int
    done: int
    failed: int


class RunTasks(BaseModel):
    dag_id: str
    run_id: str
    state: str
    """The run's state (``queued``, ``running``, ``success``, ``failed``)."""
    finished: bool
    tasks: list[TaskState]
    mapped: list[MappedCount]


_ACCESS = [
    Depends(requires_access_dag("GET", DagAccessEntity.TASK_INSTANCE)),
    Depends(requires_access_dag("GET", DagAccessEntity.XCOM)),
]


@router.get("/api/runs/{dag_id}/{run_id}/tasks", dependencies=_ACCESS)
def run_tasks(dag_id: str, run_id: str, session: SessionDep) -> RunTasks:
    """The run's state and its task instances (mapped ones with their label), failed ones with
    their reason."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    run_state = session.scalar(
        select(DagRun.state).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
    )
    if run_state is None:
        raise HTTPException(404, f"DAG run {run_id!r} of {dag_id!r} not found")
    rows = session.execute(
        select(  # type: ignore[call-overload]  # rendered_map_index is a hybrid property
            TaskInstance.task_id,
            TaskInstance.map_index,
            TaskInstance.rendered_map_index,
            TaskInstance.state,
            TaskInstance.try_number,
        )
        .where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
        .order_by(TaskInstance.task_id, TaskInstance.map_index)
    ).all()
    reasons: dict[tuple[str, int], str] = {}
    for xcom in session.scalars(
        select(XComModel).where(
            XComModel.dag_id == dag_id, XComModel.run_id == run_id, XComModel.key == FAILURE_KEY
        )
    ):
        value = XComModel.deserialize_value(xcom)
        if isinstance(value, dict) and value.get("reason"):
            reasons[(xcom.task_id, xcom.map_index)] = str(value["reason"])
    tasks = [
        TaskState(
            task_id=task_id,
            map_index=map_index,
            label=str(label) if label else None,
            state=_state(state),
            try_number=int(try_number or 0),
            reason=reasons.get((task_id, map_index))
            if _state(state) in ("failed", "up_for_retry")
            else None,
        )
        for task_id, map_index, label, state, try_number in rows
    ]
    return RunTasks(
        dag_id=dag_id,
        run_id=run_id,
        state=_state(run_state) or "unknown",
        finished=_state(run_state) in ("success", "failed"),
        tasks=tasks,
        mapped=mapped_counts(tasks),
    )


def _state(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def mapped_counts(tasks: list[TaskState]) -> list[MappedCount]:
    """Per mapped task: its instances, how many finished, how many failed."""
    total: Counter[str] = Counter()
    done: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for t in tasks:
        if t.map_index < 0:
            continue
        total[t.task_id] += 1
        done[t.task_id] += t.state in FINISHED
        failed[t.task_id] += t.state in ("failed", "upstream_failed")
    return [
        MappedCount(task_id=k, total=n, done=done[k], failed=failed[k]) for k, n in total.items()
    ]
