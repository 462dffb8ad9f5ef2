"""The docs site's reference pages, generated from the code's own declarations at build time
(``devtools/docs_hooks.py`` hands them to MkDocs), so none is written twice by hand:

- settings: every ``[bluelabel]`` key of :data:`bluelabel.config_keys.SETTINGS`;
- step options: each agent's ``config`` in the published workflow JSON Schema
  (:func:`bluelabel.workflow.workflow_schema`, what ``bluelabel schema`` prints);
- the workflow JSON Schema itself (also published as ``workflow.schema.json``);
- the CLI: every command and argument of :func:`bluelabel.cli.build_parser`;
- the plugin API: every route of the plugin app's OpenAPI document (also published as
  ``openapi.json``).

A page may have a hand-written preamble, ``docs/reference/<page>.intro.md`` (prose the
declarations do not carry); MkDocs does not publish those files on their own.
"""

from __future__ import annotations

import argparse
import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REFERENCE = "reference"
DOCS = Path(__file__).resolve().parents[1] / "docs"
#: The JSON Schema alternative that lets an option be a Jinja template instead.
TEMPLATE_PATTERN = r"\{[{%]"


def cell(text: object) -> str:
    """``text`` safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def prose(text: object) -> str:
    """Declared text as Markdown text: ``<lang>`` is a word here, not an HTML tag."""
    return html.escape(str(text), quote=False)


def code(text: object) -> str:
    value = str(text)
    return f"`` {value} ``" if "`" in value else f"`{value}`"


def _intro(name: str) -> str:
    path = DOCS / REFERENCE / f"{name}.intro.md"
    return path.read_text(encoding="utf-8").strip() + "\n\n" if path.is_file() else ""


# ------------------------------------------------------------------------------ settings
def settings_page() -> str:
    from bluelabel.config_keys import HOME_PLACEHOLDER, SECTION, SETTINGS

    lines = [
        "# Settings",
        "",
        _intro("settings").rstrip(),
        "",
        f"Every key of the `[{SECTION}]` section ({len(SETTINGS)} keys), as declared in "
        "`bluelabel/config_keys.py`. Set one in `airflow.cfg`, or as the environment "
        f"variable `AIRFLOW__{SECTION.upper()}__<KEY>`"
        + (
            " (a sensitive key also as `..._CMD` / `..._SECRET`)"
            if any(spec.sensitive for spec in SETTINGS)
            else ""
        )
        + f". `{HOME_PLACEHOLDER}` in a default is the Airflow home.",
        "",
    ]
    for spec in SETTINGS:
        lines += [f"## `{spec.key}`", "", prose(spec.description), ""]
        facts = [
            ("type", spec.type),
            ("default", code(spec.default) if spec.default else "(empty)"),
            ("environment variable", code(f"AIRFLOW__{SECTION.upper()}__{spec.key.upper()}")),
        ]
        if spec.choices:
            facts.append(("one of", ", ".join(code(c) for c in spec.choices)))
        if spec.minimum is not None:
            facts.append(("minimum", f"{spec.minimum:g}"))
        if spec.maximum is not None:
            facts.append(("maximum", f"{spec.maximum:g}"))
        if spec.example:
            facts.append(("example", code(spec.example)))
        lines += ["| | |", "|---|---|", *(f"| {k} | {cell(v)} |" for k, v in facts), ""]
    return "\n".join(lines)


# -------------------------------------------------------------------------- step options
def describe_type(schema: dict[str, Any]) -> str:
    """A JSON Schema fragment in words: ``integer (1 to 20)``, ``one of a, b``, ..."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[1]
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        words = [describe_type(a) for a in alternatives if a.get("pattern") != TEMPLATE_PATTERN]
        templated = any(a.get("pattern") == TEMPLATE_PATTERN for a in alternatives)
        return " or ".join(dict.fromkeys(words)) + (", or a template" if templated else "")
    if "enum" in schema:
        return "one of " + ", ".join(code(json.dumps(v)) for v in schema["enum"])
    if "const" in schema:
        return code(json.dumps(schema["const"]))
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array" and "items" in schema:
        kind = f"list of {describe_type(schema['items'])}"
    bounds = []
    if "minimum" in schema:
        bounds.append(f">= {schema['minimum']:g}")
    if "maximum" in schema:
        bounds.append(f"<= {schema['maximum']:g}")
    if "minLength" in schema:
        bounds.append(f"at least {schema['minLength']} characters")
    return f"{kind} ({', '.join(bounds)})" if bounds else str(kind)


def agent_options(schema: dict[str, Any]) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """(agent names, ``config`` properties) of each agent, from the published schema."""
    for rule in schema["$defs"]["step"].get("allOf", []):
        names = rule["if"]["properties"]["agent"]["enum"]
        yield names, rule["then"]["properties"]["config"]["properties"]


def step_options_page(schema: dict[str, Any]) -> str:
    lines = [
        "# Step options",
        "",
        _intro("step-options").rstrip(),
        "",
        "What each agent accepts under a step's `config:` in a workflow file, as the "
        "published [workflow JSON Schema](workflow-schema.md) declares it (`bluelabel "
        "schema` prints the same). Any other key is an error naming it. Where the type says "
        '"or a template", the value may be a Jinja template (`{{ params.format }}`), '
        "checked when the task renders it.",
        "",
    ]
    for names, options in agent_options(schema):
        agent, aliases = names[0], names[1:]
        lines += [f"## `{agent}`", ""]
        if aliases:
            lines += [f"Also named {', '.join(code(a) for a in aliases)}.", ""]
        lines += ["| option | type | default | what |", "|---|---|---|---|"]
        for name, option in options.items():
            default = code(json.dumps(option["default"])) if "default" in option else ""
            lines.append(
                f"| `{name}` | {cell(describe_type(option))} | {cell(default)} | "
                f"{cell(prose(option.get('description', '')))} |"
            )
        lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------------ workflow schema
def _properties_table(node: dict[str, Any]) -> list[str]:
    required = set(node.get("required", []))
    lines = ["| key | type | required | what |", "|---|---|---|---|"]
    for name, prop in node.get("properties", {}).items():
        kind = f"see `{prop['$ref'].rsplit('/', 1)[1]}`" if "$ref" in prop else describe_type(prop)
        lines.append(
            f"| `{name}` | {cell(kind)} | {'yes' if name in required else ''} | "
            f"{cell(prose(prop.get('description', '')))} |"
        )
    return [*lines, ""]


def workflow_schema_page(schema: dict[str, Any]) -> str:
    lines = [
        "# Workflow file schema",
        "",
        _intro("workflow-schema").rstrip(),
        "",
        f"{schema.get('description', '')} The JSON Schema ({schema['$schema']}) is published "
        "beside this page as [workflow.schema.json](workflow.schema.json) and printed by "
        "`bluelabel schema`; editors that read JSON Schema can check workflow files "
        "with it. Each agent's `config` is in [Step options](step-options.md).",
        "",
        "## Top level",
        "",
        *_properties_table(schema),
        "## `workflow`",
        "",
        *_properties_table(schema["properties"]["workflow"]),
        "## A step",
        "",
        *_properties_table(schema["$defs"]["step"]),
    ]
    for name, definition in schema["$defs"].items():
        if name == "step":
            continue
        lines += [f"## `{name}`", "", prose(definition.get("description", "")), ""]
        if "properties" in definition:
            lines += _properties_table(definition)
        else:
            lines += [f"Type: {cell(describe_type(definition))}.", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------- CLI
def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, helps.get(name, "")
                yield from _commands(sub, (*path, name))


def _arguments(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        metavar = " ".join(action.metavar) if isinstance(action.metavar, tuple) else action.metavar
        names = ", ".join(action.option_strings) or (metavar or action.dest)
        if action.option_strings and action.nargs != 0:
            names += f" {metavar or action.dest.upper()}"
        default = action.default
        shown = "" if default in (None, False, argparse.SUPPRESS) else code(default)
        choices = f" One of: {', '.join(map(str, action.choices))}." if action.choices else ""
        rows.append(f"| `{cell(names)}` | {cell(prose((action.help or '') + choices))} | {shown} |")
    if not rows:
        return []
    return ["| argument | what | default |", "|---|---|---|", *rows, ""]


def cli_page(parser: argparse.ArgumentParser) -> str:
    parser.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=90)
    lines = [
        "# Command line",
        "",
        _intro("cli").rstrip(),
        "",
        f"`{parser.prog}`: {prose(parser.description or '')}",
        "",
        "```text",
        parser.format_usage().strip(),
        "```",
        "",
        *_arguments(parser),
    ]
    for path, sub, help_text in _commands(parser, (parser.prog,)):
        sub.formatter_class = parser.formatter_class
        lines += [
            f"{'#' * min(len(path), 4)} `{' '.join(path)}`",
            "",
            prose(help_text),
            "",
            "```text",
            sub.format_usage().strip(),
            "```",
            "",
        ]
        if sub.description:
            lines += [prose(sub.description), ""]
        lines += _arguments(sub)
    return "\n".join(lines)


# ---------------------------------------------------------------------------- plugin API
def plugin_openapi() -> dict[str, Any]:
    """The plugin app's OpenAPI document (FastAPI builds it from the routes' declarations)."""
    from bluelabel.web.app import app

    document: dict[str, Any] = app.openapi()
    return document


def plugin_api_page(openapi: dict[str, Any], prefix: str) -> str:
    lines = [
        "# Plugin API",
        "",
        _intro("plugin-api").rstrip(),
        "",
        f"The routes below (paths under `{prefix}` on the Airflow API server) are generated "
        "from the plugin app's OpenAPI document, published beside this page as "
        "[openapi.json](openapi.json).",
        "",
    ]
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            lines += [
                f"## `{method.upper()} {prefix}{path}`",
                "",
                f"**{operation.get('summary', '')}**",
                "",
                prose((operation.get("description") or "").strip()),
                "",
            ]
            parameters = operation.get("parameters", [])
            if parameters:
                lines += ["| parameter | in | type | required | what |", "|---|---|---|---|---|"]
                for p in parameters:
                    lines.append(
                        f"| `{p['name']}` | {p['in']} | {cell(describe_type(p.get('schema', {})))}"
                        f" | {'yes' if p.get('required') else ''} | "
                        f"{cell(prose(p.get('description', '')))} |"
                    )
                lines.append("")
            responses = operation.get("responses", {})
            lines += [f"Returns: {_returns(responses.get('200', {}))}.", ""]
            answers = (f"{k} {prose(v.get('description', ''))}" for k, v in responses.items())
            lines += ["Responses: " + ", ".join(answers), ""]
    schemas = openapi.get("components", {}).get("schemas", {})
    if schemas:
        lines += ["## Response models", ""]
    for name, model in schemas.items():
        heading = f"### `{name}` {{#{_schema_anchor(name)}}}"
        lines += [heading, "", prose(model.get("description", "")), "", *_properties_table(model)]
    return "\n".join(lines)


def _schema_anchor(name: str) -> str:
    return f"schema-{name.lower()}"


def _returns(response: dict[str, Any]) -> str:
    """What a route's 200 answer is: a response model (linked), a list of one, or a type."""
    content = response.get("content") or {}
    schema = (content.get("application/json") or {}).get("schema") or {}
    item = schema.get("items", {}) if schema.get("type") == "array" else schema
    if "$ref" in item:
        name = describe_type(item)
        link = f"[`{name}`](#{_schema_anchor(name)})"
        return f"a list of {link}" if item is not schema else link
    kinds = [k for k in content if k != "application/json"] or ["application/json"]
    return ", ".join(code(k) for k in kinds)


# ----------------------------------------------------------------------------- the set
def pages() -> dict[str, str]:
    """``{path under docs/: content}`` of every generated file."""
    from bluelabel.cli import build_parser
    from bluelabel.ui_paths import PREFIX
    from bluelabel.workflow import workflow_schema

    schema = workflow_schema()
    openapi = plugin_openapi()
    return {
        f"{REFERENCE}/settings.md": settings_page(),
        f"{REFERENCE}/step-options.md": step_options_page(schema),
        f"{REFERENCE}/workflow-schema.md": workflow_schema_page(schema),
        f"{REFERENCE}/cli.md": cli_page(build_parser()),
        f"{REFERENCE}/plugin-api.md": plugin_api_page(openapi, PREFIX),
        f"{REFERENCE}/workflow.schema.json": json.dumps(schema, indent=2) + "\n",
        f"{REFERENCE}/openapi.json": json.dumps(openapi, indent=2) + "\n",
    }
