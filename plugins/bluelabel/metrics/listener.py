"""Measures every task instance (Bluelabel's or not) in the process that runs it.

Airflow 3 calls task-instance listeners in the task process, which is forked from a parent
with its own memory: ``ru_maxrss`` at the start is that inherited baseline, so both the
absolute peak and the growth over the task are recorded. The record of each try has one home,
the run ledger of a knowledge store's catalog (:mod:`bluelabel.store.ledger`; the worker
cannot reach the metadata DB, the catalog it can, and it keeps every try of a retried task):
a Bluelabel step's goes to the store the step used, replacing the ``running`` row its operator
wrote (a skipped step closes it as ``skipped``); any other task's to the configured store
(``[bluelabel] store``). The figures are also exported to Airflow's metrics (StatsD /
OpenTelemetry). A Bluelabel step adds its own breakdown through :mod:`bluelabel.metrics.handoff`.

CPU time counts the task process and the child processes it reaped during the try: PDF, HTML
and e-mail extraction runs in supervised worker processes (:mod:`bluelabel.agents.sandbox`),
so the task process's own CPU time is a small part of an ingest's.
"""

from __future__ import annotations

import logging
import resource
import time
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from airflow.listeners import hookimpl

from bluelabel.config import get_settings
from bluelabel.metrics import handoff

log = logging.getLogger(__name__)


class TryStart(NamedTuple):
    """The counters at the start of a try, to subtract at its end."""

    wall: float  # perf_counter, s
    cpu: float  # the process's own CPU time, s
    children_cpu: float  # user + system CPU of the reaped child processes, s
    maxrss_kib: int


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def start_of_try() -> TryStart:
    return TryStart(
        time.perf_counter(),
        time.process_time(),
        _children_cpu(),
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    )


_started: dict[tuple[str, str, str, int, int], TryStart] = {}


def _in_task_process(task_instance: Any) -> bool:
    # The scheduler fires the same hooks with ORM TaskInstances (e.g. for a killed task);
    # only the running task's process can measure it.
    return hasattr(task_instance, "get_template_context") and hasattr(task_instance, "task")


def _measured(task_instance: Any) -> bool:
    """Every task, or with ``[bluelabel] measure_all_tasks = False`` only Bluelabel's own."""
    if get_settings().measure_all_tasks:
        return True
    return type(task_instance.task).__module__.startswith("bluelabel.")


@hookimpl
def on_task_instance_running(previous_state: Any, task_instance: Any) -> None:
    if _in_task_process(task_instance) and _measured(task_instance):
        _started[handoff.try_key(task_instance)] = start_of_try()


@hookimpl
def on_task_instance_success(previous_state: Any, task_instance: Any) -> None:
    _finish(task_instance, "success")


@hookimpl
def on_task_instance_failed(previous_state: Any, task_instance: Any, error: Any) -> None:
    _finish(task_instance, "failed", error)


@hookimpl
def on_task_instance_skipped(previous_state: Any, task_instance: Any) -> None:
    # A skipped Bluelabel step (nothing to digest) started its ledger row too: close it.
    _finish(task_instance, "skipped")


def build_record(
    task_instance: Any,
    outcome: str,
    start: TryStart,
    step: handoff.StepMeasurement | None = None,
    error: Any = None,
) -> dict[str, Any]:
    """The measurement record of one finished try (pure: no I/O). ``cpu_ms`` is the
    process's own CPU time plus its reaped children's, ``cpu_children_ms`` the children's."""
    rss0 = start.maxrss_kib
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_ms = max(0.0, _children_cpu() - start.children_cpu) * 1000
    record: dict[str, Any] = {
        "outcome": outcome,
        "try_number": getattr(task_instance, "try_number", None),
        "duration_ms": round((time.perf_counter() - start.wall) * 1000, 3),
        "cpu_ms": round((time.process_time() - start.cpu) * 1000 + children_ms, 3),
        "cpu_children_ms": round(children_ms, 3),
        "maxrss_start_mb": round(rss0 / 1024, 2),
        "maxrss_peak_mb": round(rss1 / 1024, 2),
        "maxrss_delta_mb": round((rss1 - rss0) / 1024, 2),
        "operator": type(getattr(task_instance, "task", None)).__name__,
    }
    if step is not None:
        record.update(step.fields())
    if error is not None:
        record["error"] = str(error).splitlines()[0][:500] if str(error) else type(error).__name__
    return record


def _finish(task_instance: Any, outcome: str, error: Any = None) -> None:
    if not _in_task_process(task_instance):
        return
    key = handoff.try_key(task_instance)
    start = _started.pop(key, None)
    step = handoff.take(task_instance)
    if start is None:
        return
    record = build_record(task_instance, outcome, start, step, error)
    _emit(task_instance, record)
    _keep_in_ledger(task_instance, record, step)


#: The stores whose ledger could not be written in this process: said once each, not per task.
_unwritable: set[str] = set()


def _ledger_location(step: handoff.StepMeasurement | None) -> str:
    """The store whose ledger keeps a try's record: a Bluelabel step's own, else the
    configured one (``[bluelabel] store``)."""
    return str(step.store) if step is not None and step.store else get_settings().store


def _ledger_store(step: handoff.StepMeasurement | None) -> Any:
    """That store: with the catalog URL a Bluelabel step handed over, else the configured
    store, one per process (:func:`bluelabel.store.configured_store`): its catalog's
    connection is looked up once, not per task."""
    from bluelabel.store import KnowledgeStore, configured_store

    location = _ledger_location(step)
    if location == get_settings().store:
        return configured_store()
    return KnowledgeStore(location, catalog=step.catalog if step is not None else None)


def _dag_display_name(task_instance: Any) -> str | None:
    task = getattr(task_instance, "task", None)
    if task is None or not task.has_dag():
        return None
    return str(task.dag.dag_display_name)


def _keep_in_ledger(
    task_instance: Any, record: dict[str, Any], step: handoff.StepMeasurement | None
) -> None:
    """The try's record goes to the run ledger (replacing a Bluelabel step's ``running`` row),
    the one place every reader finds it: the metrics API and ``bluelabel report`` (joined
    with Airflow's tries) and the periodic digest (a worker cannot query the metadata DB).
    A ledger that cannot be written (a remote store without ``catalog_conn_id``, a catalog
    down) is said once per process and store; the task's outcome never changes."""
    finished = datetime.now(timezone.utc)
    map_index = getattr(task_instance, "map_index", -1)
    entry = {
        **record,
        "dag_id": task_instance.dag_id,
        "dag_display_name": (
            step.dag_display_name if step is not None else _dag_display_name(task_instance)
        ),
        "task_id": task_instance.task_id,
        "run_id": task_instance.run_id,
        "map_index": -1 if map_index is None else map_index,
        "finished_at": finished.isoformat(),
        "started_at": (finished - timedelta(milliseconds=record["duration_ms"])).isoformat(),
    }
    try:
        _ledger_store(step).record_try(entry)
    except Exception as exc:  # a metrics failure must never change the task's outcome
        where = _ledger_location(step)
        if where in _unwritable:
            log.debug("bluelabel: no run ledger at %s: %s", where, exc)
            return
        _unwritable.add(where)
        log.warning(
            "bluelabel: the metrics of %s (and of later tasks in this process using the "
            "store %s) are not kept: cannot write its run ledger: %s",
            task_instance.task_id,
            where,
            exc,
        )


def _emit(task_instance: Any, record: dict[str, Any]) -> None:
    """Tagged names (dag_id, task_id, agent, outcome) for StatsD with tags / OpenTelemetry,
    and the same figures under names carrying the dag and task, as Airflow's own
    ``dag.<dag_id>.<task_id>.duration``, for plain StatsD, which drops tags."""
    from airflow.sdk.observability.stats import Stats

    dag_id, task_id = task_instance.dag_id, task_instance.task_id
    tags = {
        "dag_id": dag_id,
        "task_id": task_id,
        "agent": record.get("agent", "none"),
        "outcome": record["outcome"],
    }
    Stats.timing("bluelabel.task.duration", record["duration_ms"], tags=tags)
    Stats.timing("bluelabel.task.cpu", record["cpu_ms"], tags=tags)
    Stats.gauge("bluelabel.task.maxrss_peak_mb", record["maxrss_peak_mb"], tags=tags)
    Stats.gauge("bluelabel.task.maxrss_delta_mb", record["maxrss_delta_mb"], tags=tags)
    Stats.timing(f"bluelabel.dag.{dag_id}.{task_id}.duration", record["duration_ms"])
    Stats.gauge(f"bluelabel.dag.{dag_id}.{task_id}.maxrss_peak_mb", record["maxrss_peak_mb"])
    for key in ("agent_run_ms", "input_load_ms", "agent_init_ms"):
        if isinstance(record.get(key), (int, float)):
            Stats.timing(f"bluelabel.step.{key.removesuffix('_ms')}", record[key], tags=tags)
    if isinstance(record.get("pages"), int):
        Stats.gauge("bluelabel.step.pages", record["pages"], tags=tags)
