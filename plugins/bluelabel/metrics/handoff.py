"""The explicit hand-off from a Bluelabel operator to the metrics listener.

Both run in the same task process: the operator measures its step (input load, agent init,
agent run, the work done) and hands the measurement over here, keyed by the task try; the
listener takes it when the try ends and adds it to its own record. Nothing is read off the
operator object.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bluelabel.agents.results import WorkCounts


@dataclass(frozen=True)
class StepMeasurement:
    agent: str
    input_load_ms: float
    agent_init_ms: float
    agent_run_ms: float
    counts: WorkCounts
    #: the knowledge store the step used (where its run ledger entry goes)
    store: str | None = None
    #: a failed try: what it worked on and why it failed (the periodic digest lists them)
    source: str | None = None
    reason: str | None = None
    #: the DAG's display name (the periodic digest names workflows by it)
    dag_display_name: str | None = None
    #: the URL of that store's catalog, when the step opened it: the listener writes the
    #: ledger row there without looking the catalog's connection up again
    catalog: str | None = None

    def timings(self) -> dict[str, float]:
        """The step's breakdown in milliseconds (also the result's ``timings`` in XCom)."""
        return {
            "input_load_ms": round(self.input_load_ms, 3),
            "agent_init_ms": round(self.agent_init_ms, 3),
            "agent_run_ms": round(self.agent_run_ms, 3),
        }

    def fields(self) -> dict[str, Any]:
        """The record fields: agent, timings, then ``pages``/``bytes``/``documents`` when known."""
        data: dict[str, Any] = {"agent": self.agent, **self.timings()}
        data.update({k: v for k, v in asdict(self.counts).items() if v is not None})
        if self.reason is not None:
            data.update(source=self.source, reason=self.reason)
        return data


_pending: dict[tuple[str, str, str, int, int], StepMeasurement] = {}


def try_key(task_instance: Any) -> tuple[str, str, str, int, int]:
    map_index = getattr(task_instance, "map_index", -1)
    return (
        str(task_instance.dag_id),
        str(task_instance.run_id),
        str(task_instance.task_id),
        -1 if map_index is None else int(map_index),
        int(getattr(task_instance, "try_number", 0) or 0),
    )


def hand_over(task_instance: Any, measurement: StepMeasurement) -> None:
    """Called by the operator when its agent has finished."""
    _pending[try_key(task_instance)] = measurement


def take(task_instance: Any) -> StepMeasurement | None:
    """Called by the listener when the try ends: the step's measurement, if it made one."""
    return _pending.pop(try_key(task_instance), None)
