"""Measures every task instance (Bluelabel's or not) in the process that runs it.

Airflow 3 calls task-instance listeners in the task process, which is forked from a parent
with its own memory: ``ru_maxrss`` at the start is that inherited baseline, so both the
absolute peak and the growth over the task are recorded. The record of each try goes to the
task state store under ``bluelabel.metrics.<try>`` (the worker cannot reach the metadata DB;
the state store reaches it through the Execution API, and unlike XCom it keeps earlier tries
when a task is retried) and to Airflow's metrics (StatsD / OpenTelemetry). A Bluelabel step
adds its own breakdown through :mod:`bluelabel.metrics.handoff`.

CPU time counts the task process and the child processes it reaped during the try: PDF, HTML
and e-mail extraction runs in supervised worker processes (:mod:`bluelabel.agents.sandbox`),
so the task process's own CPU time is a small part of an ingest's.

A Bluelabel step's record also replaces the ``running`` row its operator wrote in the knowledge
store's run ledger (:mod:`bluelabel.store.ledger`); a skipped step closes it as ``skipped``.
"""

from __future__ import annotations

import logging
import resource
import time
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from airflow.listeners import hookimpl

from bluelabel.config import get_settings
from bluelabel.metrics import METRICS_STATE_PREFIX, handoff
from bluelabel.version_compat import HAS_TASK_STATE_STORE, TASK_STATE_STORE_MISSING

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
    if not HAS_TASK_STATE_STORE:
        log.info("bluelabel: %s", TASK_STATE_STORE_MISSING)
    else:
        try:
            store = task_instance.get_template_context()["task_state_store"]
            store.set(f"{METRICS_STATE_PREFIX}{key[-1]}", record)
        except Exception:  # a metrics failure must never change the task's outcome
            log.exception("bluelabel: could not store the metrics of %s", task_instance.task_id)
    _emit(task_instance, record)
    if step is not None and step.store:
        _keep_in_ledger(task_instance, record, step)


def _keep_in_ledger(
    task_instance: Any, record: dict[str, Any], step: handoff.StepMeasurement
) -> None:
    """Bluelabel steps also leave their record in the knowledge store's run ledger (replacing
    the ``running`` row the operator wrote), where a later task (the periodic digest) can
    read it: workers cannot query the metadata DB."""
    from bluelabel.store import KnowledgeStore

    finished = datetime.now(timezone.utc)
    map_index = getattr(task_instance, "map_index", -1)
    entry = {
        **record,
        "dag_id": task_instance.dag_id,
        "dag_display_name": step.dag_display_name,
        "task_id": task_instance.task_id,
        "run_id": task_instance.run_id,
        "map_index": -1 if map_index is None else map_index,
        "finished_at": finished.isoformat(),
        "started_at": (finished - timedelta(milliseconds=record["duration_ms"])).isoformat(),
    }
    try:
        KnowledgeStore(str(step.store), catalog=step.catalog).record_try(entry)
    except Exception:
        log.exception("bluelabel: could not keep the run record of %s", task_instance.task_id)


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
