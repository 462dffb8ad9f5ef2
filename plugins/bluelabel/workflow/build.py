"""A checked workflow file's data -> the typed :class:`~bluelabel.workflow.model.Workflow`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from bluelabel.agents.registry import canonical_name
from bluelabel.workflow.model import (
    INITIAL_INPUT,
    Step,
    Workflow,
    parse_date,
    parse_duration,
    slugify,
    with_durations,
)

STEP_TASK_ARGS = (
    "retries",
    "retry_delay",
    "execution_timeout",
    "pool",
    "queue",
    "trigger_rule",
    "max_active_tis_per_dagrun",
)


def expand_of(value: Any) -> tuple[str | None, str]:
    """``expand: step`` or ``expand: {from: step, key: k}`` -> (step, key); key default items."""
    if isinstance(value, str):
        return value, "items"
    if isinstance(value, dict) and isinstance(value.get("from"), str):
        key = value.get("key")
        return value["from"], key if isinstance(key, str) else "items"
    return None, "items"


def as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _schedule(value: Any) -> str | timedelta | list[str] | None:
    """A checked schedule: a preset or cron expression stays text, a duration an interval."""
    if not isinstance(value, str):
        return value if isinstance(value, list) or value is None else None
    text = value.strip()
    if text.startswith("@") or len(text.split()) in (5, 6):
        return text
    return parse_duration(text)


def build_workflow(
    data: Mapping[str, Any], path: Path, root: Path, text: str, inputs: tuple[Path, ...]
) -> Workflow:
    settings = data["workflow"]
    metadata = dict(data.get("metadata") or {})
    steps = []
    for raw in data["steps"]:
        expand_from, expand_key = expand_of(raw.get("expand"))
        input_file = raw.get("input_file")
        resolved = None
        input_data = None
        if input_file and input_file != INITIAL_INPUT:
            resolved = (root / input_file).resolve()
            input_data = json.loads(resolved.read_text(encoding="utf-8"))
        steps.append(
            Step(
                id=raw["id"],
                agent=canonical_name(raw["agent"]),
                name=raw.get("name"),
                description=raw.get("description"),
                input_file=resolved,
                input_data=input_data,
                input_from=tuple(as_list(raw.get("input_from"))),
                config=dict(raw.get("config") or {}),
                outputs=tuple(raw.get("outputs") or ()),
                task_args=with_durations({k: raw[k] for k in STEP_TASK_ARGS if k in raw}),
                expand_from=expand_from,
                expand_key=expand_key,
                outlets=tuple(raw.get("outlets") or ()),
            )
        )
    tags = list(dict.fromkeys([*settings.get("tags", []), *metadata.get("tags", [])]))
    timeout = settings.get("dagrun_timeout")
    start, end = settings.get("start_date"), settings.get("end_date")
    return Workflow(
        name=settings["name"],
        version=str(settings["version"]),
        dag_id=settings.get("dag_id") or slugify(settings["name"]),
        steps=tuple(steps),
        source_path=path,
        root=root,
        description=settings.get("description"),
        schedule=_schedule(settings.get("schedule")),
        start_date=parse_date(start) if start is not None else None,
        end_date=parse_date(end) if end is not None else None,
        catchup=bool(settings.get("catchup", False)),
        params=dict(settings.get("params") or {}),
        default_args=with_durations(dict(settings.get("default_args") or {})),
        max_active_runs=settings.get("max_active_runs"),
        max_active_tasks=settings.get("max_active_tasks"),
        dagrun_timeout=parse_duration(timeout) if timeout is not None else None,
        tags=tuple(tags),
        metadata=metadata,
        doc_md=settings.get("doc_md"),
        source_text=text,
        inputs=inputs,
    )
