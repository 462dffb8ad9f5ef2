"""Validation of workflow files: every problem of a file, each with its line, in one pass.

Structure (keys, types, unknown keys) is checked against the shipped JSON Schema, so the
schema editors use and the rules applied here cannot drift apart; the rest (agents,
references, cycles, input files, roots) is checked in code below.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from bluelabel.agents.models import AgentInput
from bluelabel.agents.registry import agent_names, is_known_agent, suggest_agent
from bluelabel.errors import AgentInputError, BluelabelError
from bluelabel.workflow.loader import LocatedData, Path_, YamlSyntaxError, load_located
from bluelabel.workflow.model import INITIAL_INPUT, Step, Workflow, parse_duration, slugify

ROOT_ENV = "BLUELABEL_WORKFLOW_ROOT"
ALLOWED_ROOTS_ENV = "BLUELABEL_ALLOWED_ROOTS"
MAX_BYTES_ENV = "BLUELABEL_MAX_WORKFLOW_BYTES"
DEFAULT_MAX_BYTES = 1_000_000
SCHEDULE_PRESETS = {
    "@once",
    "@continuous",
    "@hourly",
    "@daily",
    "@weekly",
    "@monthly",
    "@quarterly",
    "@yearly",
    "@annually",
    "@midnight",
}
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,?#LW\-]+$")
_STEP_TASK_ARGS = (
    "retries",
    "retry_delay",
    "execution_timeout",
    "pool",
    "queue",
    "trigger_rule",
    "max_active_tis_per_dagrun",
)
_ASSET_URI = re.compile(r"^[A-Za-z][\w+.-]*://\S+$")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a workflow file. ``str()`` is the ``FILE:LINE: message`` line."""

    file: str
    line: int
    column: int
    message: str
    step: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class WorkflowError(BluelabelError):
    """A workflow file is invalid; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@cache
def workflow_schema() -> dict[str, Any]:
    """The JSON Schema of the workflow format (shipped as ``workflow.schema.json``)."""
    text = resources.files("bluelabel.workflow").joinpath("workflow.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = workflow_schema()
    cls = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator


def workflow_roots(
    root: str | os.PathLike[str] | None,
    workflow_path: Path,
    allowed_roots: Iterable[str | os.PathLike[str]] = (),
) -> tuple[Path, list[Path]]:
    """The root relative paths resolve against, and every folder paths may point into.

    Root: the ``root`` argument, else ``$BLUELABEL_WORKFLOW_ROOT``, else the workflow file's
    folder. Extra allowed roots: ``allowed_roots`` plus ``$BLUELABEL_ALLOWED_ROOTS``
    (``os.pathsep``-separated).
    """
    chosen = root or os.environ.get(ROOT_ENV) or workflow_path.parent
    base = Path(chosen).expanduser().resolve()
    extra = [*allowed_roots, *filter(None, os.environ.get(ALLOWED_ROOTS_ENV, "").split(os.pathsep))]
    return base, [base, *(Path(r).expanduser().resolve() for r in extra)]


class _Checker:
    def __init__(self, path: Path, root: Path, roots: list[Path]) -> None:
        self.path = path
        self.file = str(path)
        self.root = root
        self.roots = roots
        self.problems: list[Problem] = []
        self.located = LocatedData(data=None)
        self.inputs: list[Path] = [path]

    # ------------------------------------------------------------------ reporting
    def add(
        self, where: Path_, message: str, *, key: bool = False, step: str | None = None
    ) -> None:
        mark = self.located.mark(where, key=key)
        self.problems.append(Problem(self.file, mark.line, mark.column, message, step))

    def step_label(self, index: int) -> str:
        steps = self.located.data.get("steps") if isinstance(self.located.data, dict) else None
        item = steps[index] if isinstance(steps, list) and index < len(steps) else None
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            return f"step '{item['id']}'"
        return f"step #{index + 1} (no id)"

    def describe(self, path: Sequence[str | int]) -> str:
        if not path:
            return "the file"
        if path[0] == "steps" and len(path) >= 2 and isinstance(path[1], int):
            label = self.step_label(path[1])
            rest = ".".join(str(p) for p in path[2:])
            return f"{label} field '{rest}'" if rest else label
        return "'" + ".".join(str(p) for p in path) + "'"

    def _step_id_at(self, path: Sequence[str | int]) -> str | None:
        if len(path) >= 2 and path[0] == "steps" and isinstance(path[1], int):
            steps = self.located.data.get("steps")
            item = steps[path[1]] if isinstance(steps, list) and path[1] < len(steps) else None
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                return str(item["id"])
        return None

    # ------------------------------------------------------------------ structure
    def check_schema(self) -> None:
        errors = sorted(
            _validator().iter_errors(self.located.data),
            key=lambda e: (list(map(str, e.absolute_path)), e.validator),
        )
        for error in errors:
            self._report_schema_error(error)

    def _report_schema_error(self, validation_error: jsonschema.ValidationError) -> None:
        error: Any = validation_error  # jsonschema types its fields as "value or Unset"
        path = tuple(error.absolute_path)
        where = self.describe(path)
        step = self._step_id_at(path)
        kind = error.validator
        instance = error.instance
        if kind == "required":
            for name in error.validator_value:
                if isinstance(instance, dict) and name not in instance:
                    # point at the key that holds the incomplete mapping ("workflow:")
                    self.add(path, self._missing_message(path, name), key=True, step=step)
        elif kind == "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            for key in instance:
                if key in allowed:
                    continue
                hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                fix = (
                    f"did you mean '{hint[0]}'?" if hint else f"allowed keys: {', '.join(allowed)}"
                )
                self.add((*path, key), f"{where}: unknown key '{key}'; {fix}", key=True, step=step)
        elif kind == "type":
            expected = error.validator_value
            expected = " or ".join(expected) if isinstance(expected, list) else expected
            self.add(
                path, f"{where} must be {_article(expected)}, not {_type_name(instance)}", step=step
            )
        elif kind == "minItems" and path == ("steps",):
            self.add(path, "'steps' is empty: list at least one step (each with 'id' and 'agent')")
        elif kind == "pattern" and path and path[-1] in ("id", "dag_id"):
            self.add(
                path,
                f"{where}: {instance!r} is not a valid Airflow id: use only letters, "
                "digits, '_', '-' and '.'",
                step=step,
            )
        elif kind in ("oneOf", "anyOf"):
            description = error.schema.get("description", "")
            self.add(path, f"{where}: {instance!r} is not valid. {description}".strip(), step=step)
        elif kind == "minLength":
            self.add(path, f"{where} must not be empty", step=step)
        elif kind == "maxLength":
            self.add(path, f"{where} is longer than {error.validator_value} characters", step=step)
        else:
            self.add(path, f"{where}: {error.message}", step=step)

    def _missing_message(self, path: Path_, name: str) -> str:
        if path == ():
            if name == "steps":
                return (
                    "missing required section 'steps': list the workflow's steps under "
                    "'steps:' (each with 'id' and 'agent')"
                )
            return (
                "missing required section 'workflow': start the file with 'workflow:' "
                "holding 'name' and 'version'"
            )
        if path == ("workflow",):
            example = '"1.0.0"' if name == "version" else '"My workflow"'
            return f"'workflow' is missing required key '{name}'; add e.g. '{name}: {example}'"
        where = self.describe(path)
        if name == "agent":
            return (
                f"{where}: missing required key 'agent'; set it to one of: "
                f"{', '.join(agent_names())}"
            )
        if name == "id":
            return (
                f"{where}: missing required key 'id'; give the step a unique id "
                "(letters, digits, '_', '-', '.')"
            )
        return f"{where}: missing required key '{name}'"

    # ------------------------------------------------------------------ semantics
    def check_steps(self) -> None:
        steps = self.located.data.get("steps")
        if not isinstance(steps, list):
            return
        first_seen: dict[str, int] = {}
        for index, step in enumerate(steps):
            if not isinstance(step, dict):
                continue
            step_id = step.get("id")
            if isinstance(step_id, str):
                if step_id in first_seen:
                    line = self.located.mark(("steps", first_seen[step_id])).line
                    self.add(
                        ("steps", index, "id"),
                        f"duplicate step id '{step_id}' (first used on "
                        f"line {line}); step ids must be unique",
                        step=step_id,
                    )
                else:
                    first_seen[step_id] = index
            label = self.step_label(index)
            sid = step_id if isinstance(step_id, str) else None
            agent = step.get("agent")
            if isinstance(agent, str) and agent and not is_known_agent(agent):
                hint = suggest_agent(agent)
                fix = (
                    f"did you mean '{hint}'?"
                    if hint
                    else f"known agents: {', '.join(agent_names())}"
                )
                self.add(
                    ("steps", index, "agent"), f"{label}: unknown agent '{agent}'; {fix}", step=sid
                )
            if "input_file" in step and "input_from" in step:
                self.add(
                    ("steps", index, "input_from"),
                    f"{label}: has both 'input_file' and "
                    "'input_from'; a step takes its input from exactly one: remove one",
                    step=sid,
                )
            for dep in _as_list(step.get("input_from")):
                self.check_step_ref(steps, ("steps", index, "input_from"), label, sid, dep)
            if "expand" in step:
                self.check_expand(steps, index, label, sid)
            for i, uri in enumerate(step.get("outlets") or []):
                if isinstance(uri, str):
                    self.check_asset_uri(("steps", index, "outlets", i), f"{label} outlet", uri)
            input_file = step.get("input_file")
            if isinstance(input_file, str) and input_file and input_file != INITIAL_INPUT:
                self.check_input_file(("steps", index, "input_file"), label, sid, input_file)
        self.check_cycles(steps)
        self.check_expand_sources(steps)

    def check_step_ref(
        self, steps: list[Any], where: Path_, label: str, sid: str | None, dep: str
    ) -> bool:
        """Report ``dep`` when no step has that id; True when it exists."""
        known = [s["id"] for s in steps if isinstance(s, dict) and isinstance(s.get("id"), str)]
        if dep in known:
            return True
        close = difflib.get_close_matches(dep, known, n=1, cutoff=0.6)
        fix = f"did you mean '{close[0]}'?" if close else f"known steps: {', '.join(known)}"
        self.add(where, f"{label}: {where[-1]} refers to unknown step '{dep}'; {fix}", step=sid)
        return False

    def check_expand(self, steps: list[Any], index: int, label: str, sid: str | None) -> None:
        step = steps[index]
        source, _ = _expand_of(step.get("expand"))
        where: Path_ = ("steps", index, "expand")
        for other in ("input_file", "input_from"):
            if other in step:
                self.add(
                    where,
                    f"{label}: has both 'expand' and '{other}'; a mapped step takes each "
                    f"item of its 'expand' source as its input: remove '{other}'",
                    step=sid,
                )
        if source is None:
            return
        if source == sid:
            self.add(where, f"{label}: cannot expand over its own result", step=sid)
            return
        self.check_step_ref(steps, where, label, sid, source)

    def check_expand_sources(self, steps: list[Any]) -> None:
        """A step returns one list to map over: every step expanding it must name the same key."""
        keys: dict[str, tuple[str, str]] = {}
        for index, step in enumerate(steps):
            if not isinstance(step, dict) or "expand" not in step:
                continue
            source, key = _expand_of(step["expand"])
            if source is None:
                continue
            sid = step.get("id") if isinstance(step.get("id"), str) else None
            if source in keys and keys[source][1] != key:
                first, first_key = keys[source]
                self.add(
                    ("steps", index, "expand"),
                    f"{self.step_label(index)}: expands '{source}' by key '{key}' but step "
                    f"'{first}' expands it by '{first_key}'; a step's result has one list to "
                    "map over: use the same key",
                    step=sid,
                )
            keys.setdefault(source, (str(sid), key))

    def check_asset_uri(self, where: Path_, label: str, uri: str) -> None:
        if not _ASSET_URI.match(uri):
            self.add(
                where,
                f"{label} {uri!r} is not an asset URI (scheme://path, e.g. "
                "bluelabel://knowledge-store or s3://bucket/inbox)",
            )
        elif uri.split("://", 1)[0].lower() == "airflow":
            self.add(where, f"{label} {uri!r}: the 'airflow' scheme is reserved by Airflow")

    def check_cycles(self, steps: list[Any]) -> None:
        graph: dict[str, list[str]] = {}
        for step in steps:
            if isinstance(step, dict) and isinstance(step.get("id"), str):
                graph.setdefault(step["id"], []).extend(_as_list(step.get("input_from")))
                source, _ = _expand_of(step.get("expand"))
                if source is not None:
                    graph[step["id"]].append(source)
        state: dict[str, int] = {}  # 1: on the stack, 2: done
        stack: list[str] = []
        reported: set[frozenset[str]] = set()

        def visit(node: str) -> None:
            state[node] = 1
            stack.append(node)
            for dep in graph.get(node, []):
                if dep not in graph:
                    continue
                if state.get(dep) == 1:
                    cycle = [*stack[stack.index(dep) :], dep]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        index = next(
                            i
                            for i, s in enumerate(steps)
                            if isinstance(s, dict) and s.get("id") == cycle[0]
                        )
                        self.add(
                            ("steps", index, "input_from"),
                            f"dependency cycle: {' -> '.join(cycle)}; remove one of these "
                            "input_from/expand links",
                            step=cycle[0],
                        )
                elif dep not in state:
                    visit(dep)
            stack.pop()
            state[node] = 2

        for node in graph:
            if node not in state:
                visit(node)

    def resolve_inside_roots(
        self, where: Path_, label: str, sid: str | None, what: str, raw: str
    ) -> Path | None:
        path = Path(os.path.expanduser(raw))
        resolved = (path if path.is_absolute() else self.root / path).resolve()
        if not any(resolved.is_relative_to(r) for r in self.roots):
            roots = ", ".join(str(r) for r in self.roots)
            self.add(
                where,
                f"{label}: {what} '{raw}' resolves to {resolved}, outside the "
                f"allowed root(s) {roots}; move it under the root or add its folder to "
                f"{ALLOWED_ROOTS_ENV}",
                step=sid,
            )
            return None
        return resolved

    def check_input_file(self, where: Path_, label: str, sid: str | None, raw: str) -> None:
        resolved = self.resolve_inside_roots(where, label, sid, "input_file", raw)
        if resolved is None:
            return
        if not resolved.is_file():
            self.add(
                where,
                f"{label}: input_file '{raw}' not found (looked for {resolved}; "
                f"relative paths resolve against the root {self.root}: set --root or "
                f"{ROOT_ENV})",
                step=sid,
            )
            return
        self.inputs.append(resolved)
        if resolved.stat().st_size > _max_bytes():
            self.add(
                where,
                f"{label}: input_file '{raw}' is over the {_max_bytes()}-byte limit",
                step=sid,
            )
            return
        try:
            data = json.loads(resolved.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            self.add(
                where,
                f"{label}: input_file '{raw}' is not valid JSON (line {exc.lineno}, "
                f"column {exc.colno}: {exc.msg})",
                step=sid,
            )
            return
        except (OSError, UnicodeDecodeError) as exc:
            self.add(where, f"{label}: cannot read input_file '{raw}': {exc}", step=sid)
            return
        try:
            request = AgentInput.from_dict(data, where=f"input_file '{raw}'")
        except AgentInputError as exc:
            self.add(
                where,
                f"{label}: {exc} (expected the agent-input shape: task_id, task_type, "
                "source, content, metadata, context)",
                step=sid,
            )
            return
        file_path = request.content.get("file_path")
        if isinstance(file_path, str) and file_path:
            target = self.resolve_inside_roots(
                where, label, sid, f"file_path in '{raw}'", file_path
            )
            if target is not None and not target.exists():
                self.add(
                    where,
                    f"{label}: file_path '{file_path}' in input_file '{raw}' not found "
                    f"(looked for {target})",
                    step=sid,
                )
            elif target is not None:
                self.inputs.append(target)

    def check_workflow_settings(self) -> None:
        settings = self.located.data.get("workflow")
        if not isinstance(settings, dict):
            return
        schedule = settings.get("schedule")
        if isinstance(schedule, str):
            problem = _schedule_problem(schedule)
            if problem:
                self.add(("workflow", "schedule"), f"'workflow.schedule': {problem}")
        elif isinstance(schedule, list):
            for i, uri in enumerate(schedule):
                if isinstance(uri, str):
                    self.check_asset_uri(
                        ("workflow", "schedule", i), "'workflow.schedule' item", uri
                    )
        for key in ("start_date", "end_date"):
            value = settings.get(key)
            if isinstance(value, str):
                try:
                    datetime.fromisoformat(value)
                except ValueError:
                    self.add(
                        ("workflow", key),
                        f"'workflow.{key}': {value!r} is not an ISO date "
                        "(use e.g. 2025-01-01 or 2025-01-01T06:00:00+00:00)",
                    )

    def check_durations(self) -> None:
        data = self.located.data
        candidates: list[tuple[Path_, Any]] = []
        settings = data.get("workflow") if isinstance(data, dict) else None
        if isinstance(settings, dict):
            candidates.append((("workflow", "dagrun_timeout"), settings.get("dagrun_timeout")))
            args = settings.get("default_args")
            if isinstance(args, dict):
                for key in ("retry_delay", "max_retry_delay", "execution_timeout"):
                    candidates.append((("workflow", "default_args", key), args.get(key)))
        for path, value in candidates:
            if isinstance(value, str):
                try:
                    parse_duration(value)
                except ValueError as exc:
                    self.add(path, f"{self.describe(path)}: {exc}")

    def check_duplicate_keys(self) -> None:
        for path, mark in self.located.duplicate_keys:
            self.problems.append(
                Problem(
                    self.file,
                    mark.line,
                    mark.column,
                    f"{self.describe(path[:-1])}: duplicate key '{path[-1]}'",
                )
            )


def _schedule_problem(schedule: str) -> str | None:
    text = schedule.strip()
    if text.startswith("@"):
        return (
            None
            if text in SCHEDULE_PRESETS
            else (f"unknown preset {text!r}; use one of {', '.join(sorted(SCHEDULE_PRESETS))}")
        )
    fields = text.split()
    if len(fields) in (5, 6) and all(_CRON_FIELD.match(f) for f in fields):
        return None
    try:
        parse_duration(text)
    except ValueError:
        return (
            f"{text!r} is not a cron expression (5 fields), a preset (@daily, ...) or a "
            "duration (30m, 1h)"
        )
    return None


def _max_bytes() -> int:
    return int(os.environ.get(MAX_BYTES_ENV, DEFAULT_MAX_BYTES))


def _expand_of(value: Any) -> tuple[str | None, str]:
    """``expand: step`` or ``expand: {from: step, key: k}`` -> (step, key); key default items."""
    if isinstance(value, str):
        return value, "items"
    if isinstance(value, dict) and isinstance(value.get("from"), str):
        key = value.get("key")
        return value["from"], key if isinstance(key, str) else "items"
    return None, "items"


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _article(type_name: str) -> str:
    names = {
        "object": "a mapping",
        "array": "a list",
        "string": "a string",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "null": "empty",
    }
    return " or ".join(names.get(t, t) for t in type_name.split(" or "))


def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if value is None:
        return "empty"
    return f"{value!r} ({type(value).__name__})"


# ---------------------------------------------------------------------------- entry points
def check_workflow(
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    allowed_roots: Iterable[str | os.PathLike[str]] = (),
    text: str | None = None,
) -> tuple[Workflow | None, list[Problem]]:
    """Validate one workflow file; return the model (when valid) and every problem found."""
    file_path = Path(path).expanduser().absolute()
    base, roots = workflow_roots(root, file_path, allowed_roots)
    checker = _Checker(file_path, base, roots)
    if text is None:
        try:
            size = file_path.stat().st_size
            if size <= _max_bytes():
                text = file_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, [Problem(str(file_path), 1, 1, "file not found")]
        except (OSError, UnicodeDecodeError) as exc:
            return None, [Problem(str(file_path), 1, 1, f"cannot read file: {exc}")]
    else:
        size = len(text.encode("utf-8"))
    if text is None or size > _max_bytes():
        return None, [
            Problem(
                str(file_path),
                1,
                1,
                f"file is {size} bytes, over the "
                f"{_max_bytes()}-byte limit for workflow files ({MAX_BYTES_ENV})",
            )
        ]
    try:
        checker.located = load_located(text)
    except YamlSyntaxError as exc:
        return None, [
            Problem(
                str(file_path),
                exc.mark.line,
                exc.mark.column,
                f"{exc} (line {exc.mark.line}, column {exc.mark.column})",
            )
        ]
    data = checker.located.data
    if not isinstance(data, dict):
        found = "an empty file" if data is None else _type_name(data)
        return None, [
            Problem(
                str(file_path),
                1,
                1,
                f"a workflow file must be a mapping with "
                f"'workflow' and 'steps' sections, not {found}",
            )
        ]
    checker.check_duplicate_keys()
    checker.check_schema()
    checker.check_workflow_settings()
    checker.check_durations()
    checker.check_steps()
    problems = sorted(set(checker.problems), key=lambda p: (p.line, p.column, p.message))
    if problems:
        return None, problems
    return _build(data, file_path, base, text, tuple(checker.inputs)), []


def load_workflow(
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    allowed_roots: Iterable[str | os.PathLike[str]] = (),
) -> Workflow:
    """The :class:`Workflow` of a file; raise :class:`WorkflowError` listing every problem."""
    workflow, problems = check_workflow(path, root=root, allowed_roots=allowed_roots)
    if workflow is None:
        raise WorkflowError(problems)
    return workflow


def _build(
    data: Mapping[str, Any], path: Path, root: Path, text: str, inputs: tuple[Path, ...]
) -> Workflow:
    settings = data["workflow"]
    metadata = dict(data.get("metadata") or {})
    steps = []
    for raw in data["steps"]:
        expand_from, expand_key = _expand_of(raw.get("expand"))
        input_file = raw.get("input_file")
        resolved = None
        input_data = None
        if input_file and input_file != INITIAL_INPUT:
            resolved = (root / input_file).resolve()
            input_data = json.loads(resolved.read_text(encoding="utf-8"))
        steps.append(
            Step(
                id=raw["id"],
                agent=raw["agent"],
                name=raw.get("name"),
                description=raw.get("description"),
                input_file=resolved,
                input_data=input_data,
                input_from=tuple(_as_list(raw.get("input_from"))),
                config=dict(raw.get("config") or {}),
                outputs=tuple(raw.get("outputs") or ()),
                task_args={k: raw[k] for k in _STEP_TASK_ARGS if k in raw},
                expand_from=expand_from,
                expand_key=expand_key,
                outlets=tuple(raw.get("outlets") or ()),
            )
        )
    tags = list(dict.fromkeys([*settings.get("tags", []), *metadata.get("tags", [])]))
    timeout = settings.get("dagrun_timeout")
    return Workflow(
        name=settings["name"],
        version=str(settings["version"]),
        dag_id=settings.get("dag_id") or slugify(settings["name"]),
        steps=tuple(steps),
        source_path=path,
        root=root,
        description=settings.get("description"),
        schedule=settings.get("schedule"),
        start_date=settings.get("start_date"),
        end_date=settings.get("end_date"),
        catchup=bool(settings.get("catchup", False)),
        params=dict(settings.get("params") or {}),
        default_args=dict(settings.get("default_args") or {}),
        max_active_runs=settings.get("max_active_runs"),
        max_active_tasks=settings.get("max_active_tasks"),
        dagrun_timeout=parse_duration(timeout) if timeout is not None else None,
        tags=tuple(tags),
        metadata=metadata,
        doc_md=settings.get("doc_md"),
        source_text=text,
        inputs=inputs,
    )
