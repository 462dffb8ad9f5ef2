"""The workflow format's JSON Schema: the shipped structure, plus each agent's step options.

``workflow.schema.json`` describes the file's structure; :func:`workflow_schema` adds, for
each built-in agent, the shape of its step ``config`` generated from the agent's declared
options (:mod:`bluelabel.agents.options`), so editors complete and check option names too.
Validation checks the structure against the shipped part and the options in code, where a
templated value can wait until the task runs.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from bluelabel.agents.options import options_schema
from bluelabel.agents.registry import ALIASES, BUILTIN_AGENTS, agent_options


@cache
def structure_schema() -> dict[str, Any]:
    """The shipped ``workflow.schema.json`` (structure; step ``config`` is any mapping)."""
    text = resources.files("bluelabel.workflow").joinpath("workflow.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def workflow_schema() -> dict[str, Any]:
    """The published schema: the structure, with each built-in agent's step options."""
    schema = copy.deepcopy(structure_schema())
    step = schema["$defs"]["step"]
    rules = []
    for name in BUILTIN_AGENTS:
        options = agent_options(name)
        if options is None:
            continue
        names = [name, *(alias for alias, target in ALIASES.items() if target == name)]
        rules.append(
            {
                "if": {"properties": {"agent": {"enum": names}}, "required": ["agent"]},
                "then": {"properties": {"config": options_schema(options)}},
            }
        )
    step["allOf"] = [*step.get("allOf", []), *rules]
    return schema


@cache
def structure_validator() -> jsonschema.protocols.Validator:
    schema = structure_schema()
    cls = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator


def article(type_name: str) -> str:
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


def type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if value is None:
        return "empty"
    return f"{value!r} ({type(value).__name__})"
