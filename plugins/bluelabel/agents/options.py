"""Typed agent options, declared once per agent as a frozen dataclass.

Each field is one option: its Python type, default and :func:`option` metadata (description,
range, the ``[bluelabel]`` setting that caps it, whether a run's trigger input may set it).
From that one declaration come the step-``config`` part of the workflow JSON Schema, the
parse-time checks of a workflow file (unknown key with "did you mean", wrong type or range),
the run-time parsing of templated values, and the allow-list of what ``dag_run.conf`` may set.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from bluelabel.errors import AgentInputError

if typing.TYPE_CHECKING:
    from bluelabel.config import Settings

T = TypeVar("T")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class OptionInfo:
    """What an option field declares besides its type and default."""

    description: str
    minimum: float | None = None
    maximum: float | None = None
    #: a :class:`~bluelabel.config.Settings` attribute: the most this option may be set to
    ceiling: str | None = None
    #: a run's trigger input (``dag_run.conf``, the UI form) may set it
    per_run: bool = False
    #: never logged or echoed
    secret: bool = False


def option(
    default: Any,
    description: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    ceiling: str | None = None,
    per_run: bool = False,
    secret: bool = False,
) -> Any:
    """Declare an option field (use as the field's default)."""
    info = OptionInfo(description, minimum, maximum, ceiling, per_run, secret)
    if isinstance(default, list):
        return dataclasses.field(
            default_factory=lambda: list(default), metadata={"bluelabel": info}
        )
    return dataclasses.field(default=default, metadata={"bluelabel": info})


@dataclass(frozen=True)
class OptionSpec:
    name: str
    kind: str  # string | integer | number | boolean | string_list | choice | any
    optional: bool
    default: Any
    choices: tuple[str, ...]
    info: OptionInfo


def _kind(annotation: Any) -> tuple[str, bool, tuple[str, ...]]:
    """(kind, optional, choices) of a field's type annotation."""
    optional = False
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(args) < len(get_args(annotation))
        annotation = args[0] if len(args) == 1 else Any
        origin = get_origin(annotation)
    if origin is Literal:
        return "choice", optional, tuple(str(a) for a in get_args(annotation))
    if origin in (list, Sequence, tuple):
        return "string_list", optional, ()
    simple = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return simple.get(annotation, "any"), optional, ()


_specs: dict[type[Any], dict[str, OptionSpec]] = {}


def option_specs(cls: type[Any]) -> dict[str, OptionSpec]:
    """The declared options of an options dataclass, by name (computed once per class)."""
    known = _specs.get(cls)
    if known is not None:
        return known
    hints = typing.get_type_hints(cls)
    specs = {}
    for f in dataclasses.fields(cls):
        info = f.metadata.get("bluelabel")
        if not isinstance(info, OptionInfo):
            continue
        kind, optional, choices = _kind(hints[f.name])
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = None
        specs[f.name] = OptionSpec(f.name, kind, optional, default, choices, info)
    _specs[cls] = specs
    return specs


def is_templated(value: Any) -> bool:
    """A Jinja template: its value is known only when the task runs."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _convert(spec: OptionSpec, value: Any, where: str) -> Any:
    name = f"{where}{spec.name}"
    if value is None or (value == "" and spec.kind != "string"):
        if spec.optional:
            return None
        if value is None:
            raise AgentInputError(f"{name} must be set")
    kind = spec.kind
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise AgentInputError(f"{name} must be true or false, not {value!r}")
    if kind in ("integer", "number"):
        if isinstance(value, bool):
            raise AgentInputError(f"{name} must be a number, not {value!r}")
        try:
            number: float = int(str(value).strip()) if kind == "integer" else float(value)
        except (TypeError, ValueError):
            what = "a whole number" if kind == "integer" else "a number"
            raise AgentInputError(f"{name} must be {what}, not {value!r}") from None
        info = spec.info
        if info.minimum is not None and number < info.minimum:
            raise AgentInputError(f"{name} must be >= {info.minimum:g}, not {number:g}")
        if info.maximum is not None and number > info.maximum:
            raise AgentInputError(f"{name} must be <= {info.maximum:g}, not {number:g}")
        return number
    if kind == "choice":
        if str(value) not in spec.choices:
            raise AgentInputError(f"{name} must be one of {', '.join(spec.choices)}, not {value!r}")
        return str(value)
    if kind == "string_list":
        if isinstance(value, str):
            return [value]
        if isinstance(value, Sequence) and all(isinstance(v, (str, int, float)) for v in value):
            return [str(v) for v in value]
        raise AgentInputError(f"{name} must be a list of strings, not {value!r}")
    if kind == "string":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise AgentInputError(f"{name} must be a string, not {type(value).__name__}")
    return value


def unknown_option_message(cls: type[Any], key: str, where: str) -> str:
    names = sorted(option_specs(cls))
    hint = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    fix = f"did you mean '{hint[0]}'?" if hint else f"known options: {', '.join(names)}"
    return f"{where}unknown option '{key}'; {fix}"


def check_ceiling(spec: OptionSpec, value: Any, settings: Settings | None, where: str) -> None:
    """A limit may be lowered by a workflow, never raised past the deployment's setting."""
    if settings is None or spec.info.ceiling is None or value is None:
        return
    ceiling = getattr(settings, spec.info.ceiling)
    if value > ceiling:
        raise AgentInputError(
            f"{where}{spec.name} = {value:g} is above this deployment's limit {ceiling:g} "
            f"([bluelabel] {spec.info.ceiling})"
        )


def parse_options(
    cls: type[T],
    raw: Mapping[str, Any],
    *,
    where: str = "",
    settings: Settings | None = None,
    unknown: Literal["error", "ignore"] = "error",
) -> T:
    """An instance of ``cls`` from ``raw`` (strings from templates are converted); raise
    :class:`AgentInputError` naming the first bad option."""
    specs = option_specs(cls)
    prefix = f"{where}: " if where else ""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        spec = specs.get(str(key))
        if spec is None:
            if unknown == "error":
                raise AgentInputError(unknown_option_message(cls, str(key), prefix))
            continue
        converted = _convert(spec, value, prefix)
        check_ceiling(spec, converted, settings, prefix)
        values[spec.name] = converted
    return cls(**values)


def check_static_options(
    cls: type[Any], raw: Mapping[str, Any], settings: Settings | None
) -> list[tuple[str, str]]:
    """Parse-time check of a workflow step's ``config``: ``(key, message)`` per problem.

    Templated values are left for run time, when their text is known."""
    problems = []
    specs = option_specs(cls)
    for key, value in raw.items():
        spec = specs.get(str(key))
        if spec is None:
            problems.append((str(key), unknown_option_message(cls, str(key), "")))
            continue
        if is_templated(value) or (isinstance(value, list) and any(is_templated(v) for v in value)):
            continue
        try:
            check_ceiling(spec, _convert(spec, value, ""), settings, "")
        except AgentInputError as exc:
            problems.append((str(key), str(exc)))
    return problems


def per_run_options(cls: type[Any]) -> frozenset[str]:
    """Options a run's trigger input may set."""
    return frozenset(name for name, s in option_specs(cls).items() if s.info.per_run)


def options_schema(cls: type[Any]) -> dict[str, Any]:
    """JSON Schema of a step ``config`` for these options (templated strings allowed)."""
    properties: dict[str, Any] = {}
    template = {"type": "string", "pattern": r"\{[{%]"}
    for name, spec in option_specs(cls).items():
        info = spec.info
        base: dict[str, Any]
        if spec.kind == "boolean":
            base = {"type": "boolean"}
        elif spec.kind == "integer":
            base = {"type": "integer"}
        elif spec.kind == "number":
            base = {"type": "number"}
        elif spec.kind == "choice":
            base = {"enum": list(spec.choices)}
        elif spec.kind == "string_list":
            base = {"type": "array", "items": {"type": "string"}}
        elif spec.kind == "string":
            base = {"type": "string"}
        else:
            base = {}
        if info.minimum is not None and spec.kind in ("integer", "number"):
            base["minimum"] = info.minimum
        if info.maximum is not None and spec.kind in ("integer", "number"):
            base["maximum"] = info.maximum
        alternatives = [base] if base else []
        if spec.kind not in ("string", "any"):
            alternatives.append(template)
        if spec.optional:
            alternatives.append({"type": "null"})
        schema: dict[str, Any] = (
            {"anyOf": alternatives} if len(alternatives) > 1 else (alternatives or [{}])[0]
        )
        description = info.description
        if info.ceiling:
            description += f" At most [bluelabel] {info.ceiling}."
        if info.per_run:
            description += " A run's trigger input may set it."
        schema["description"] = description
        if spec.default not in (None, [], ()):
            schema["default"] = spec.default
        properties[name] = schema
    return {"type": "object", "additionalProperties": False, "properties": properties}


def describe_options(cls: type[Any]) -> list[tuple[str, str, str, str]]:
    """``(name, type, default, description)`` rows, for documentation."""
    rows = []
    for name, spec in option_specs(cls).items():
        kind = "one of " + "|".join(spec.choices) if spec.kind == "choice" else spec.kind
        default = "" if spec.default in (None, [], ()) else repr(spec.default)
        rows.append((name, kind, default, spec.info.description))
    return rows
