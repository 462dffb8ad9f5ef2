"""The typed workflow model that a valid YAML file becomes. No Airflow import."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

#: ``input_file: INITIAL_INPUT`` (or no input at all) means: the DAG run's trigger input.
INITIAL_INPUT = "INITIAL_INPUT"

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNITS = {
    "ms": "milliseconds",
    "s": "seconds",
    "m": "minutes",
    "h": "hours",
    "d": "days",
    "w": "weeks",
}


def parse_duration(value: float | int | str) -> timedelta:
    """``90`` (seconds), ``"30s"``, ``"10m"``, ``"1h30m"``, ``"2d"`` -> timedelta."""
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    total = timedelta()
    text = value.strip()
    matched = "".join(m.group(0) for m in _DURATION_PART.finditer(text.replace(" ", "")))
    if not text or matched != text.replace(" ", ""):
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 10m, 1h30m)")
    for number, unit in _DURATION_PART.findall(text.replace(" ", "")):
        total += timedelta(**{_UNITS[unit]: float(number)})
    return total


#: Task and DAG arguments that are durations: ``30s``, ``10m``, ``1h30m`` or seconds.
DURATION_ARGS = ("retry_delay", "max_retry_delay", "execution_timeout")


def parse_date(value: str | datetime) -> datetime:
    """An ISO date or time; one without a zone is UTC (as Airflow reads a naive start_date)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def with_durations(args: dict[str, Any]) -> dict[str, Any]:
    """``args`` with its duration arguments (:data:`DURATION_ARGS`) as ``timedelta``."""
    return {k: parse_duration(v) if k in DURATION_ARGS else v for k, v in args.items()}


def slugify(name: str) -> str:
    """``"PDF Ingestion and Digest"`` -> ``"pdf_ingestion_and_digest"``."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return slug or "workflow"


@dataclass(frozen=True)
class Step:
    id: str
    agent: str
    name: str | None = None
    description: str | None = None
    input_file: Path | None = None  # resolved; None when the trigger input is used
    input_data: dict[str, Any] | None = None  # the agent-input JSON of input_file
    input_from: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    #: retries, pool, ... for Airflow; durations as ``timedelta``
    task_args: dict[str, Any] = field(default_factory=dict)
    line: int = 0
    #: ``expand``: run once per item of this step's result list (Airflow dynamic task mapping)
    expand_from: str | None = None
    expand_key: str = "items"
    #: asset URIs this step updates when it succeeds
    outlets: tuple[str, ...] = ()

    @property
    def uses_trigger_input(self) -> bool:
        return self.input_file is None and not self.input_from and self.expand_from is None

    @property
    def upstream(self) -> tuple[str, ...]:
        """The steps this one runs after: its ``input_from`` and its ``expand`` source."""
        return (*self.input_from, self.expand_from) if self.expand_from else self.input_from


@dataclass(frozen=True)
class Workflow:
    name: str
    version: str
    dag_id: str
    steps: tuple[Step, ...]
    source_path: Path
    root: Path
    description: str | None = None
    #: a cron expression or preset, an interval, or the asset URIs that trigger it
    schedule: str | timedelta | list[str] | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    catchup: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    #: durations as ``timedelta``
    default_args: dict[str, Any] = field(default_factory=dict)
    max_active_runs: int | None = None
    max_active_tasks: int | None = None
    dagrun_timeout: timedelta | None = None
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    doc_md: str | None = None
    source_text: str = ""
    #: files the workflow was built from (the YAML and every input_file): a cache key.
    inputs: tuple[Path, ...] = ()

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def topological_order(self) -> list[Step]:
        """Steps so that each comes after the steps it takes input from (file order on ties)."""
        done: set[str] = set()
        order: list[Step] = []
        pending = list(self.steps)
        while pending:
            for step in pending:
                if all(dep in done for dep in step.upstream):
                    order.append(step)
                    done.add(step.id)
                    pending.remove(step)
                    break
            else:  # validation rejects cycles; never loop forever on a bad model
                raise ValueError(f"dependency cycle among {[s.id for s in pending]}")
        return order
