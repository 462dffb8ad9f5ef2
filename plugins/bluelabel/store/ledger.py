"""The run ledger: one catalog row per measured task try (``bluelabel_tries``), the one home
of the metrics listener's measurement records (:mod:`bluelabel.metrics.listener`). A later task
(the periodic digest) reads a period of it in one query (an Airflow 3 worker cannot query the
metadata DB, but it can reach the store's catalog); the metrics API and ``bluelabel report``
join Airflow's tries with their records (:func:`records_of_runs`).

A Bluelabel step's row is written twice: the operator writes it as ``running`` before its
agent starts (:func:`start_try`), and the metrics listener replaces it with the try's
measurement record when the try ends (:func:`record_tries`). A try killed on the way (out of
memory, SIGKILL, a lost worker) never reports, so its row stays ``running``:
:func:`tries_between` says when such a row counts as killed. Other tasks' rows (``[bluelabel]
measure_all_tasks``) are written once, by the listener, in the configured store's catalog.

Stores written before the catalog kept one JSON file per try in ``runs/YYYYMMDD/``;
``bluelabel store reindex`` imports them (:func:`record_tries` with ``replace=False``) and
leaves the files where they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from bluelabel.store.records import RunRef
from bluelabel.store.search_text import sortable_utc

if TYPE_CHECKING:
    from bluelabel.store.catalog import Catalog

#: A try without a time limit (no ``execution_timeout``) still running this long after its
#: start is judged stopped.
UNBOUNDED_TRY = timedelta(hours=24)
#: Added to a try's time limit before it is judged stopped: Airflow takes a few minutes to
#: notice a lost worker (``[scheduler] task_instance_heartbeat_timeout``, 5 min by default).
REPORT_SLACK = timedelta(minutes=10)
KILLED_REASON = "stopped without a report (killed: out of memory, SIGKILL or a lost worker)"
#: The columns that name a try, then the rest of a row.
KEY = ("dag_id", "run_id", "task_id", "map_index", "try_number")
_COLUMNS = (*KEY, "dag_display_name", "started_at", "finished_at", "deadline_at", "outcome")


def deadline(started: datetime, time_limit: timedelta | None) -> datetime:
    """When a try started at ``started`` that has not reported is judged stopped."""
    return started + (time_limit or UNBOUNDED_TRY) + REPORT_SLACK


def _utc(moment: datetime) -> str:
    return sortable_utc(moment.astimezone(timezone.utc).isoformat())


def start_try(
    catalog: Catalog,
    run: RunRef,
    *,
    started_at: datetime,
    time_limit: timedelta | None,
    dag_display_name: str | None,
    record: Mapping[str, Any],
) -> None:
    """Note that a try is running (its row stays so if the try never reports). ``record``:
    what is known before the agent runs (the agent, the source)."""
    from sqlalchemy import text as sql

    row = {
        "dag_id": run.dag_id,
        "run_id": run.run_id,
        "task_id": run.task_id,
        "map_index": run.map_index,
        "try_number": run.try_number,
        "dag_display_name": dag_display_name,
        "started_at": _utc(started_at),
        "finished_at": None,
        "deadline_at": _utc(deadline(started_at, time_limit)),
        "outcome": "running",
        "record": json.dumps(dict(record), ensure_ascii=False, default=str),
    }
    with catalog.writing() as conn:
        conn.execute(sql(_insert("DO NOTHING")), row)


def row_of(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The table row of a try's record (the listener's, or an old ``runs/`` file's);
    :class:`ValueError` naming what is missing when it is not one."""
    missing = [k for k in ("dag_id", "run_id", "task_id", "started_at") if not entry.get(k)]
    if missing:
        raise ValueError(f"not a run record (no {', '.join(missing)})")
    started = datetime.fromisoformat(str(entry["started_at"]))
    finished = entry.get("finished_at")
    if finished is not None:
        datetime.fromisoformat(str(finished))  # a time, or ValueError
    map_index = entry.get("map_index")
    return {
        "dag_id": str(entry["dag_id"]),
        "run_id": str(entry["run_id"]),
        "task_id": str(entry["task_id"]),
        "map_index": -1 if map_index is None else int(map_index),
        "try_number": int(entry.get("try_number") or 1),
        "dag_display_name": entry.get("dag_display_name") or None,
        "started_at": sortable_utc(str(entry["started_at"])),
        "finished_at": None if finished is None else sortable_utc(str(finished)),
        "deadline_at": _utc(deadline(started, None)) if finished is None else None,
        "outcome": str(entry.get("outcome") or ("success" if finished else "running")),
        "record": json.dumps(dict(entry), ensure_ascii=False, default=str),
    }


def record_tries(
    catalog: Catalog, entries: Iterable[Mapping[str, Any]], *, replace: bool = True
) -> int:
    """Keep tries' records, in one transaction; how many rows were written. ``replace``: a
    try's report replaces its ``running`` row (the listener); without it, a try already in
    the table is left as it is (importing old ``runs/`` files again adds nothing)."""
    from sqlalchemy import text as sql

    rows = [row_of(entry) for entry in entries]
    if not rows:
        return 0
    if replace:
        # The started row's display name stays if the report has none.
        action = "DO UPDATE SET " + ", ".join(
            f"{c} = excluded.{c}"
            for c in ("started_at", "finished_at", "deadline_at", "outcome", "record")
        )
        action += (
            ", dag_display_name = "
            "coalesce(excluded.dag_display_name, bluelabel_tries.dag_display_name)"
        )
    else:
        action = "DO NOTHING"
    statement = sql(_insert(action) + " RETURNING dag_id")
    written = 0
    with catalog.writing() as conn:
        for row in rows:
            written += conn.execute(statement, row).first() is not None
    return written


def tries_between(
    catalog: Catalog, since: datetime, until: datetime, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The tries of the period ``[since, until]``, in one query, oldest first: each a try's
    record with its row's columns (``dag_display_name`` may be None: an old record).

    * A try that reported is in the period its report (``finished_at``) falls in.
    * A try whose row still says ``running`` is **killed** once its deadline has passed (its
      start plus its time limit, the task's ``execution_timeout`` or :data:`UNBOUNDED_TRY`
      without one, plus :data:`REPORT_SLACK`; Airflow stops a try at its time limit, and the
      listener reports that as a failure), and it is in the period its deadline falls in: each
      killed try is counted in one period. It gets ``outcome: "killed"``, ``finished_at:
      None``, and :data:`KILLED_REASON` unless it has a reason. A try still within its time
      limit (one running now, the periodic digest's own) is not in the result.
    * ``retried`` (killed tries only): a later try of the same task instance is in the table,
      so Airflow retried it and that try tells how the task instance ended.

    ``now`` (default: the current time) bounds the deadlines taken when ``until`` is later.
    """
    from sqlalchemy import text as sql

    cut = min(until, now or datetime.now(timezone.utc))
    params = {"since": _utc(since), "until": _utc(until), "cut": _utc(cut)}
    later = " AND ".join(f"later.{k} = t.{k}" for k in KEY[:-1])
    query = sql(
        f"SELECT {', '.join('t.' + c for c in _COLUMNS)}, t.record, EXISTS (SELECT 1 FROM "
        f"bluelabel_tries later WHERE {later} AND later.try_number > t.try_number) AS retried "
        "FROM bluelabel_tries t "
        "WHERE (t.finished_at >= :since AND t.finished_at <= :until) "
        "OR (t.outcome = 'running' AND t.deadline_at >= :since AND t.deadline_at <= :cut) "
        "ORDER BY coalesce(t.finished_at, t.deadline_at), t.dag_id, t.run_id, t.task_id, "
        "t.map_index, t.try_number"
    )
    with catalog.reading() as conn:
        rows = conn.execute(query, params).all()
    found = []
    for row in rows:
        columns = dict(zip(_COLUMNS, row[: len(_COLUMNS)], strict=True))
        try:
            record = json.loads(row[len(_COLUMNS)] or "{}")
        except ValueError:
            record = {}
        entry = {**(record if isinstance(record, dict) else {}), **columns}
        entry.pop("deadline_at")
        if entry["outcome"] == "running":
            entry.update(outcome="killed", finished_at=None, retried=bool(row[-1]))
            entry["reason"] = entry.get("reason") or KILLED_REASON
        found.append(entry)
    return found


#: Run ids per query of :func:`records_of_runs` (well under SQLite's bound parameters).
_RUNS_PER_QUERY = 500


def records_of_runs(
    catalog: Catalog, runs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str, str, int, int], dict[str, Any]]:
    """The records of the tries that reported, of the DAG runs ``(dag_id, run_id)``, keyed by
    :data:`KEY`. A ``running`` row (a try still running, or killed) has no record yet."""
    from sqlalchemy import bindparam
    from sqlalchemy import text as sql

    wanted = set(runs)
    run_ids = sorted({run_id for _, run_id in wanted})
    query = sql(
        f"SELECT {', '.join(KEY)}, record FROM bluelabel_tries "
        "WHERE run_id IN :run_ids AND outcome != 'running'"
    ).bindparams(bindparam("run_ids", expanding=True))
    found: dict[tuple[str, str, str, int, int], dict[str, Any]] = {}
    with catalog.reading() as conn:
        for at in range(0, len(run_ids), _RUNS_PER_QUERY):
            chunk = run_ids[at : at + _RUNS_PER_QUERY]
            for dag_id, run_id, task_id, map_index, try_number, record in conn.execute(
                query, {"run_ids": chunk}
            ):
                if (dag_id, run_id) not in wanted:
                    continue
                try:
                    data = json.loads(record or "{}")
                except ValueError:
                    continue
                if isinstance(data, dict):
                    found[(dag_id, run_id, task_id, int(map_index), int(try_number))] = data
    return found


def _insert(action: str) -> str:
    columns = (*_COLUMNS, "record")
    return (
        f"INSERT INTO bluelabel_tries ({', '.join(columns)}) VALUES "
        f"({', '.join(':' + c for c in columns)}) ON CONFLICT ({', '.join(KEY)}) {action}"
    )
