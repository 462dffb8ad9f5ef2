"""Task tries and DAG runs from Airflow's metadata DB, for :mod:`bluelabel.runstats`.

Every try: the current one from ``task_instance``, earlier ones from
``task_instance_history`` (Airflow copies a try there before the next one starts), each joined
with the listener's record of that try from the run ledger of the configured store's catalog
(:func:`bluelabel.store.ledger.records_of_runs`). A try that failed without a record was
killed (OOM, SIGKILL, a lost worker), or its record could not be written.

The limit: a Bluelabel step that used another store than the configured one (a workflow's
``store:``) keeps its record in that store's catalog, so its tries are listed here without
figures (with ``catalog_conn_id`` every store is a schema of the same database, but which
stores exist is not known here). The periodic digest of that store still reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bluelabel.runstats import RunInfo, TaskTry

if TYPE_CHECKING:
    from bluelabel.store.catalog import Catalog

log = logging.getLogger(__name__)


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
    catalog: Catalog | None = None,
) -> tuple[list[TaskTry], list[RunInfo]]:
    """Every try of the runs that started in ``[since, until]`` (or the one ``run_id``), with
    its record from ``catalog``'s run ledger (default: the configured store's)."""
    from airflow.models.dagrun import DagRun
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

    records = _records(catalog, [(d, r) for _, d, r, *_ in run_rows])
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
                    record=records.get((dag_id, rid, task_id, map_index, try_number or 0)),
                )
            )
    # A try both in history and current (a clear after history was written): keep one.
    unique = {(t.dag_id, t.run_id, t.task_id, t.map_index, t.try_number): t for t in tries}
    return list(unique.values()), runs


def _records(
    catalog: Catalog | None, runs: list[tuple[str, str]]
) -> dict[tuple[str, str, str, int, int], dict[str, Any]]:
    """The ledger's records of these runs' tries; none (each try without figures, said in the
    log) when the catalog cannot be read: Airflow's tries are still worth showing."""
    from bluelabel.errors import StoreError
    from bluelabel.store import configured_store
    from bluelabel.store.ledger import records_of_runs

    try:
        return records_of_runs(catalog or configured_store().catalog, runs)
    except StoreError as exc:
        log.warning("bluelabel: metrics without their records: %s", exc)
        return {}
