"""Reporting problems with their lines, and the structural checks (the JSON Schema)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema

from bluelabel.agents.registry import agent_names
from bluelabel.workflow.located_yaml import LocatedData, Path_
from bluelabel.workflow.problems import Problem
from bluelabel.workflow.schema import article, structure_validator, type_name


class Report:
    """The problems found in one file, each placed at the line of the value it concerns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = str(path)
        self.problems: list[Problem] = []
        self.located = LocatedData(data=None)

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
            structure_validator().iter_errors(self.located.data),
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
                path, f"{where} must be {article(expected)}, not {type_name(instance)}", step=step
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
