"""What a Bluelabel operator records of its own try, for the metrics listener and the run
ledger: the try's ``running`` row before its agent starts (:func:`note_start`), and the step's
measurement handed over when it ends, a failed or skipped try's too (:func:`measure_unfinished`;
a finished one's is built in ``execute``). The listener, in the same task process, takes the
hand-over when the try ends (:mod:`bluelabel.metrics.handoff`).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from airflow.sdk import BaseOperator

from bluelabel.agents import AgentContext
from bluelabel.agents.results import WorkCounts
from bluelabel.metrics.handoff import StepMeasurement, hand_over
from bluelabel.operators.failures import failure_entry


def dag_display_name(task: BaseOperator) -> str | None:
    """The display name of the task's DAG (the periodic digest names workflows by it)."""
    return str(task.dag.dag_display_name) if task.has_dag() else None  # type: ignore[no-untyped-call]


def note_start(
    task: BaseOperator, agent: str, agent_context: AgentContext, started_at: datetime, source: str
) -> None:
    """Write this try's ``running`` row in the run ledger before the agent runs; the metrics
    listener replaces it with the try's record when the try ends. A try killed on the way
    (out of memory, SIGKILL, a lost worker) leaves it so, and once past the task's
    ``execution_timeout`` the periodic digest lists it as stopped without a report
    (:func:`bluelabel.store.ledger.tries_between`). Like every measurement, it never changes
    the try's outcome."""
    if agent_context.run is None:
        return
    try:
        agent_context.store.start_try(
            agent_context.run,
            started_at=started_at,
            time_limit=task.execution_timeout,
            dag_display_name=dag_display_name(task),
            record={"agent": agent, "source": source, "operator": type(task).__name__},
        )
    except Exception:  # a metrics failure must never change the task's outcome
        task.log.exception("bluelabel: could not note this try's start in the run ledger")


def measure_unfinished(
    task: BaseOperator,
    agent: str,
    task_instance: Any,
    marks: list[float],
    source: str,
    failure: BaseException | None,
    store: str | None,
    catalog: str | None,
) -> None:
    """A failed (or skipped: ``failure`` None) try is measured too, a failure with what it
    worked on and why: its record reaches the run ledger of ``store`` (whose catalog is at
    ``catalog``, when the step opened it), where the periodic digest finds the period's
    failures, and the try's ``running`` row is closed. ``marks``: when the try started,
    loaded its input, initialised the agent."""
    ends = [*marks[1:], time.perf_counter()]
    spans = [end - start for start, end in zip(marks, ends, strict=True)]
    spans += [0.0] * (3 - len(spans))  # the steps it did not reach
    hand_over(
        task_instance,
        StepMeasurement(
            agent=agent,
            input_load_ms=spans[0] * 1000,
            agent_init_ms=spans[1] * 1000,
            agent_run_ms=spans[2] * 1000,
            counts=WorkCounts(),
            store=store,
            source=None if failure is None else source or task.task_id,
            reason=None if failure is None else failure_entry(source, failure)["reason"],
            dag_display_name=dag_display_name(task),
            catalog=catalog,
        ),
    )
