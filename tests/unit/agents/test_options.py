"""Step options as pydantic models: one declaration gives parsing, messages, ceilings, the
conf allow-list and the JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import jsonschema
import pytest

from bluelabel.agents.digest import DigestOptions
from bluelabel.agents.ingest.options import IngestOptions
from bluelabel.agents.options import (
    StepOptions,
    check_static_options,
    option,
    options_schema,
    parse_options,
    per_run_options,
)
from bluelabel.booleans import parse_bool
from bluelabel.config import parse_settings
from bluelabel.errors import AgentInputError


class Sample(StepOptions):
    count: int = option(3, "How many.", minimum=1, maximum=20)
    ratio: float | None = option(None, "A share.", minimum=0)
    loud: bool = option(False, "Shout.")
    mode: Literal["a", "b"] = option("a", "Which.", per_run=True)
    names: list[str] = option([], "Names.", per_run=True)
    pages: int | None = option(None, "Most pages.", minimum=1, ceiling="max_pages")
    secret: str | None = option(None, "A password.", secret=True)


def test_text_from_templates_is_read_as_typed_values() -> None:
    options = parse_options(
        Sample, {"count": " 7 ", "ratio": "0.5", "loud": "YES", "names": "one", "mode": "b"}
    )
    assert (options.count, options.ratio, options.loud, options.names, options.mode) == (
        7,
        0.5,
        True,
        ["one"],
        "b",
    )
    assert parse_options(Sample, {"ratio": ""}).ratio is None  # an empty form field


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"count": "many"}, "cfg: count must be a whole number, not 'many'"),
        ({"count": 0}, "cfg: count must be >= 1, not 0"),
        ({"count": "21"}, "cfg: count must be <= 20, not 21"),
        ({"count": True}, "cfg: count must be a number, not True"),
        ({"ratio": "nan"}, "cfg: ratio must be a number, not 'nan'"),
        ({"loud": "maybe"}, "cfg: loud must be true or false, not 'maybe'"),
        ({"mode": "c"}, "cfg: mode must be one of a, b, not 'c'"),
        ({"names": {"a": 1}}, "cfg: names must be a list of strings, not {'a': 1}"),
        ({"cuont": 1}, "cfg: unknown option 'cuont'; did you mean 'count'?"),
        ({"count": None}, "cfg: count must be set"),
    ],
)
def test_each_bad_value_is_one_line_naming_the_option(raw: dict[str, object], message: str) -> None:
    with pytest.raises(AgentInputError) as caught:
        parse_options(Sample, raw, where="cfg")
    assert str(caught.value) == message


def test_a_ceiling_names_the_real_setting() -> None:
    settings = parse_settings({"max_pages": "100"}, airflow_home=Path("/"))
    with pytest.raises(
        AgentInputError, match=r"pages = 500 is above .* 100 \(\[bluelabel\] max_pages\)"
    ):
        parse_options(Sample, {"pages": 500}, settings=settings)
    with pytest.raises(AgentInputError, match=r"\[bluelabel\] ingest_workers\)"):
        parse_options(IngestOptions, {"workers": 10_000}, settings=settings)


def test_parse_time_check_leaves_templates_for_run_time() -> None:
    problems = check_static_options(
        Sample, {"count": "{{ params.n }}", "names": ["{{ x }}"], "loud": "perhaps", "x": 1}, None
    )
    assert problems == [
        ("loud", "loud must be true or false, not 'perhaps'"),
        ("x", "unknown option 'x'; known options: count, loud, mode, names, pages, ratio, secret"),
    ]


def test_per_run_options_and_secrets() -> None:
    assert per_run_options(Sample) == {"mode", "names"}
    assert "hunter2" not in repr(parse_options(Sample, {"secret": "hunter2"}))


def test_a_secret_option_cannot_be_set_per_run() -> None:
    # dag_run.conf is stored in clear in the metadata DB and shown in the UI
    with pytest.raises(TypeError, match="cannot be per_run"):
        option(None, "A password.", secret=True, per_run=True)


def test_the_schema_comes_from_the_declaration_and_checks_values() -> None:
    schema = options_schema(Sample)
    count = schema["properties"]["count"]
    assert count["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 20}
    assert count["default"] == 3
    assert "At most [bluelabel] max_pages." in schema["properties"]["pages"]["description"]
    assert "trigger input may set it" in schema["properties"]["mode"]["description"]
    jsonschema.validate({"count": 4, "mode": "b", "loud": "{{ params.loud }}"}, schema)
    for bad in ({"count": 0}, {"mode": "c"}, {"other": 1}, {"names": "x"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
    digest = options_schema(DigestOptions)["properties"]["format"]
    assert digest["anyOf"][0] == {"enum": ["markdown", "html", "json"]}


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", True), ("TRUE", True), (" yes ", True), ("on", True), ("0", False), ("Off", False)],
)
def test_one_boolean_parser(text: str, value: bool) -> None:
    assert parse_bool(text) is value


@pytest.mark.parametrize("text", ["t", "y", "maybe", "2", ""])
def test_the_boolean_parser_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        parse_bool(text)
    assert parse_bool("", empty=False) is False


def test_each_builtin_agents_options_are_the_ones_it_runs_with() -> None:
    """``agent_options`` finds a built-in agent's model without importing the agent (a
    workflow check stays light); it is the very class the agent declares."""
    from bluelabel.agents.registry import BUILTIN_AGENTS, agent_factory, agent_options

    for name in BUILTIN_AGENTS:
        assert agent_options(name) is agent_factory(name).options, name
