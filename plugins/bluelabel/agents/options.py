"""Typed agent options: one pydantic model per agent, each option declared once.

An option is a field of a :class:`StepOptions` model declared with :func:`option`: its type,
default, description and range are pydantic's own ``Field``; what Bluelabel adds
(:class:`OptionInfo`: the ``[bluelabel]`` setting that caps it, whether a run's trigger input
may set it, whether it is secret) rides along in the field's metadata. From that one
declaration come the step-``config`` part of the workflow JSON Schema, the parse-time checks of
a workflow file (unknown key with "did you mean", wrong type or range, over a ceiling), the
run-time parsing of templated values, and the allow-list of what ``dag_run.conf`` may set.

Values may arrive as text (a rendered template, a form field): numbers are read from text,
yes/no through :func:`bluelabel.booleans.parse_bool`, a single string where a list is expected
is a list of one.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from bluelabel.booleans import parse_bool
from bluelabel.config_keys import setting_label
from bluelabel.errors import AgentInputError

if typing.TYPE_CHECKING:
    from bluelabel.config import Settings

T = TypeVar("T", bound="StepOptions")
Kind = Literal["string", "integer", "number", "boolean", "string_list", "choice", "any"]


@dataclass(frozen=True)
class OptionInfo:
    """What an option declares besides its type, default, description and range."""

    #: a :class:`~bluelabel.config.Settings` attribute: the most this option may be set to
    ceiling: str | None = None
    #: a run's trigger input (``dag_run.conf``, the UI form) may set it
    per_run: bool = False
    #: never shown in the options' repr (logs, error pages)
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
    """Declare an option (use as the field's default in a :class:`StepOptions` model). A
    ``secret`` one is never taken from a run's trigger input or a workflow file (both are
    stored in clear)."""
    if secret and per_run:
        raise TypeError("a secret option cannot be per_run: dag_run.conf is stored in clear")
    field: FieldInfo = Field(
        default, description=description, ge=minimum, le=maximum, repr=not secret
    )
    field.metadata.append(OptionInfo(ceiling, per_run, secret))
    return field


def setting_key(ceiling: str) -> str:
    """The ``[bluelabel]`` key behind a ceiling (``workers`` is ``ingest_workers`` capped at
    the machine's cores)."""
    return "ingest_workers" if ceiling == "workers" else ceiling


def option_info(field: FieldInfo) -> OptionInfo:
    """The Bluelabel part of an option's declaration."""
    return next((m for m in field.metadata if isinstance(m, OptionInfo)), OptionInfo())


def _kind(annotation: Any) -> tuple[Kind, bool, tuple[str, ...]]:
    """(kind, optional, choices) of an option's type."""
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
    simple: dict[Any, Kind] = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return simple.get(annotation, "any"), optional, ()


def _refuse(message: str) -> PydanticCustomError:
    return PydanticCustomError("bluelabel_option", "{message}", {"message": message})


class StepOptions(BaseModel):
    """Base of every agent's options: frozen, unknown keys refused, text read as typed values."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", coerce_numbers_to_str=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _read_text(cls, value: Any, info: ValidationInfo) -> Any:
        """What a template or a form gives (text) as the option's type; pydantic checks the
        rest (range, choices)."""
        name = info.field_name or ""
        kind, optional, _ = _kind(cls.model_fields[name].annotation)
        if value is None:
            if optional:
                return None
            raise _refuse("must be set")
        if value == "" and kind != "string" and optional:
            return None
        if kind == "boolean":
            try:
                return parse_bool(value)
            except ValueError:
                raise _refuse(f"must be true or false, not {value!r}") from None
        if kind in ("integer", "number") and isinstance(value, bool):
            raise _refuse(f"must be a number, not {value!r}")
        if kind in ("integer", "number") and isinstance(value, str):
            return value.strip()
        if kind == "choice":
            return str(value)
        if kind == "string_list":
            if isinstance(value, str):
                return [value]
            if isinstance(value, Sequence) and all(
                isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value
            ):
                return [str(v) for v in value]
            raise _refuse(f"must be a list of strings, not {value!r}")
        return value


# ------------------------------------------------------------------------------ messages
def _number(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return repr(value)


def _message(cls: type[StepOptions], error: ErrorDetails) -> str:
    """One of pydantic's errors in Bluelabel's words: ``<option> <what is wrong>``."""
    name = str(error["loc"][0]) if error["loc"] else "?"
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return unknown_option_message(cls, name)
    if kind == "bluelabel_option":
        return f"{name} {ctx['message']}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"{name} must be a whole number, not {value!r}"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"{name} must be a number, not {value!r}"
    if kind == "greater_than_equal":
        return f"{name} must be >= {ctx['ge']:g}, not {_number(value)}"
    if kind == "less_than_equal":
        return f"{name} must be <= {ctx['le']:g}, not {_number(value)}"
    if kind == "literal_error":
        _, _, choices = _kind(cls.model_fields[name].annotation)
        return f"{name} must be one of {', '.join(choices)}, not {value!r}"
    if kind == "string_type":
        return f"{name} must be a string, not {type(value).__name__}"
    return f"{name}: {error['msg']}"


def unknown_option_message(cls: type[StepOptions], key: str) -> str:
    names = sorted(cls.model_fields)
    hint = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    fix = f"did you mean '{hint[0]}'?" if hint else f"known options: {', '.join(names)}"
    return f"unknown option '{key}'; {fix}"


def _over_ceiling(
    cls: type[StepOptions], name: str, value: Any, settings: Settings | None
) -> str | None:
    """A limit may be lowered by a workflow, never raised past the deployment's setting."""
    ceiling = option_info(cls.model_fields[name]).ceiling
    if settings is None or ceiling is None or value is None:
        return None
    most = getattr(settings, ceiling)
    if value <= most:
        return None
    return (
        f"{name} = {value:g} is above this deployment's limit {most:g} "
        f"({setting_label(setting_key(ceiling))})"
    )


# ------------------------------------------------------------------------------ parsing
def parse_options(
    cls: type[T],
    raw: Mapping[str, Any],
    *,
    where: str = "",
    settings: Settings | None = None,
    unknown: Literal["error", "ignore"] = "error",
) -> T:
    """``cls`` from ``raw`` (text from templates read as typed values); raise
    :class:`AgentInputError` naming the first bad option."""
    prefix = f"{where}: " if where else ""
    values = {str(k): v for k, v in raw.items()}
    if unknown == "ignore":
        values = {k: v for k, v in values.items() if k in cls.model_fields}
    try:
        options = cls.model_validate(values)
    except ValidationError as exc:
        raise AgentInputError(prefix + _message(cls, exc.errors()[0])) from None
    for name in values:
        problem = _over_ceiling(cls, name, getattr(options, name), settings)
        if problem:
            raise AgentInputError(prefix + problem)
    return options


def is_templated(value: Any) -> bool:
    """A Jinja template: its value is known only when the task runs."""
    if isinstance(value, list):
        return any(is_templated(v) for v in value)
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def check_static_options(
    cls: type[StepOptions], raw: Mapping[str, Any], settings: Settings | None
) -> list[tuple[str, str]]:
    """Parse-time check of a workflow step's ``config``: ``(key, message)`` per problem.

    Templated values are left for run time, when their text is known; a secret is refused
    either way (a workflow file is shown in clear, and so is what a template renders)."""
    secrets = [
        (
            str(k),
            f"{k} is secret: a workflow file is shown in clear; name an Airflow connection "
            f"({k}_conn_id) or variable ({k}_variable) instead",
        )
        for k in raw
        if str(k) in cls.model_fields and option_info(cls.model_fields[str(k)]).secret
    ]
    if secrets:
        return secrets
    values = {str(k): v for k, v in raw.items() if not is_templated(v)}
    try:
        options = cls.model_validate(values)
    except ValidationError as exc:
        return [(str(e["loc"][0]), _message(cls, e)) for e in exc.errors() if e["loc"]]
    problems = []
    for name in values:
        problem = _over_ceiling(cls, name, getattr(options, name), settings)
        if problem:
            problems.append((name, problem))
    return problems


def option_names(cls: type[StepOptions]) -> frozenset[str]:
    return frozenset(cls.model_fields)


def per_run_options(cls: type[StepOptions]) -> frozenset[str]:
    """Options a run's trigger input may set."""
    return frozenset(n for n, f in cls.model_fields.items() if option_info(f).per_run)


# ------------------------------------------------------------------------------ JSON Schema
_TEMPLATE = {"type": "string", "pattern": r"\{[{%]"}


def _option_schema(name: str, field: FieldInfo, generated: dict[str, Any]) -> dict[str, Any]:
    """pydantic's schema of one option, as the workflow schema publishes it: the value's
    schema, a template in its place (for non-strings), null where optional."""
    kind, optional, _ = _kind(field.annotation)
    alternatives = [a for a in generated.get("anyOf", [generated]) if a.get("type") != "null"]
    base = {
        k: v
        for k, v in alternatives[0].items()
        if k not in ("title", "default", "description") and kind != "any"
    }
    if kind == "choice":
        base.pop("type", None)  # the enum says it all
    schema_alternatives = [base] if base else []
    if kind not in ("string", "any"):
        schema_alternatives.append(dict(_TEMPLATE))
    if optional:
        schema_alternatives.append({"type": "null"})
    schema: dict[str, Any] = (
        {"anyOf": schema_alternatives}
        if len(schema_alternatives) > 1
        else (schema_alternatives or [{}])[0]
    )
    info = option_info(field)
    description = field.description or ""
    if info.ceiling:
        description += f" At most {setting_label(setting_key(info.ceiling))}."
    if info.per_run:
        description += " A run's trigger input may set it."
    schema["description"] = description
    if field.default not in (None, [], ()):
        schema["default"] = field.default
    return schema


def options_schema(cls: type[StepOptions]) -> dict[str, Any]:
    """JSON Schema of a step ``config`` for these options (templated values allowed)."""
    generated = cls.model_json_schema()["properties"]
    properties = {
        name: _option_schema(name, field, generated[name])
        for name, field in cls.model_fields.items()
    }
    return {"type": "object", "additionalProperties": False, "properties": properties}
