"""The checks past the structure: agents, step options, references, cycles, input files,
paths inside the roots, schedules, dates and durations."""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

from bluelabel.agents.inputs import AgentInput
from bluelabel.agents.options import check_static_options
from bluelabel.agents.registry import agent_names, agent_options, is_known_agent, suggest_agent
from bluelabel.errors import AgentInputError, UnknownAgentError
from bluelabel.locations import inside
from bluelabel.workflow.build import as_list, expand_of
from bluelabel.workflow.located_yaml import Path_
from bluelabel.workflow.model import DURATION_ARGS, INITIAL_INPUT, parse_duration
from bluelabel.workflow.policy import WorkflowPolicy
from bluelabel.workflow.structure import Report

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
_ASSET_URI = re.compile(r"^[A-Za-z][\w+.-]*://\S+$")


class WorkflowChecker(Report):
    """Every semantic check of one workflow file; ``inputs`` are the files it reads."""

    def __init__(self, path: Path, policy: WorkflowPolicy) -> None:
        super().__init__(path)
        self.policy = policy
        self.root = policy.root_for(path)
        self.roots = policy.roots_for(path)
        self.inputs: list[Path] = [path]

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
            if isinstance(agent, str) and isinstance(step.get("config"), dict):
                self.check_step_options(index, label, sid, agent, step["config"])
            if "input_file" in step and "input_from" in step:
                self.add(
                    ("steps", index, "input_from"),
                    f"{label}: has both 'input_file' and "
                    "'input_from'; a step takes its input from exactly one: remove one",
                    step=sid,
                )
            for dep in as_list(step.get("input_from")):
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

    def check_step_options(
        self, index: int, label: str, sid: str | None, agent: str, config: dict[str, Any]
    ) -> None:
        """Unknown option (with "did you mean"), wrong type or range, over a ceiling; a
        templated value is checked when the task runs."""
        try:
            options = agent_options(agent)
        except UnknownAgentError:
            return  # reported as an unknown agent
        if options is None:
            return  # a third party's agent that declares no options
        for key, message in check_static_options(options, config, self.policy.settings):
            where: Path_ = ("steps", index, "config", key)
            self.add(where, f"{label} config: {message}", key=True, step=sid)

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
        source, _ = expand_of(step.get("expand"))
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
            source, key = expand_of(step["expand"])
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
            # A duplicated id is its own error; joining both steps' links here would report
            # a false cycle such as "load -> load" before it.
            if isinstance(step, dict) and isinstance(step.get("id"), str):
                if step["id"] in graph:
                    continue
                graph[step["id"]] = list(as_list(step.get("input_from")))
                source, _ = expand_of(step.get("expand"))
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
        try:
            resolved = (path if path.is_absolute() else self.root / path).resolve()
        except (OSError, ValueError) as exc:  # a NUL byte, a loop of links
            self.add(where, f"{label}: {what} {raw!r} is not a usable path ({exc})", step=sid)
            return None
        if not inside(resolved, self.roots):
            roots = ", ".join(str(r) for r in self.roots)
            self.add(
                where,
                f"{label}: {what} '{raw}' resolves to {resolved}, outside the "
                f"allowed root(s) {roots}; move it under the root or add its folder to "
                "[bluelabel] allowed_roots",
                step=sid,
            )
            return None
        return resolved

    def check_input_file(self, where: Path_, label: str, sid: str | None, raw: str) -> None:
        resolved = self.resolve_inside_roots(where, label, sid, "input_file", raw)
        if resolved is None:
            return
        problem = _not_a_file(resolved)
        if problem is not None:
            self.add(
                where,
                f"{label}: input_file '{raw}' {problem} (looked for {resolved}; "
                f"relative paths resolve against the root {self.root}: set --root or "
                "[bluelabel] workflow_root)",
                step=sid,
            )
            return
        self.inputs.append(resolved)
        if resolved.stat().st_size > self.policy.max_bytes:
            self.add(
                where,
                f"{label}: input_file '{raw}' is over the {self.policy.max_bytes}-byte limit",
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
            problem = None if target is None else _not_a_file(target)
            if target is not None and problem is not None:
                self.add(
                    where,
                    f"{label}: file_path '{file_path}' in input_file '{raw}' {problem} "
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
                for key in DURATION_ARGS:
                    candidates.append((("workflow", "default_args", key), args.get(key)))
        steps = data.get("steps") if isinstance(data, dict) else None
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            if isinstance(step, dict):
                for key in DURATION_ARGS:
                    candidates.append((("steps", index, key), step.get(key)))
        for path, value in candidates:
            if isinstance(value, str):
                try:
                    parse_duration(value)
                except ValueError as exc:
                    self.add(path, f"{self.describe(path)}: {exc}")


def _not_a_file(path: Path) -> str | None:
    """Why ``path`` is not a readable regular file, or None when it is one."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "not found"
    except (OSError, ValueError) as exc:
        return f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
    return None if stat.S_ISREG(info.st_mode) else "is not a regular file"


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
