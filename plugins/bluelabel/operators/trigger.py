"""The input a run was triggered with (``dag_run.conf`` over the DAG's params), allow-listed.

Whoever may trigger a DAG controls ``conf``; whoever wrote the workflow controls its limits.
So ``conf`` may set only the input (``source``/``url``/``file_path``/``text``, or the original
``AgentInput`` shape's ``task_type``/``source``/``content``/``metadata``), the DAG's declared
params, and the agent's per-run options (format, title, password_conn_id, ...). Anything else -- a
limit such as ``workers`` or ``max_bytes``, an internal key -- fails the run naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bluelabel.agents.options import StepOptions, option_names, per_run_options
from bluelabel.errors import AgentInputError

#: The source of a request made from the trigger input (it names no file or URL of its own).
TRIGGER_SOURCE = "trigger"

#: The short form the trigger form asks for, and the original AgentInput keys.
INPUT_KEYS = frozenset({"source", "url", "file_path", "text", "task_type", "content", "metadata"})
CONTENT_KEYS = frozenset({"file_path", "url", "text", "content_id", "metadata", "content_type"})


def trigger_input(
    params: Mapping[str, Any],
    conf: Mapping[str, Any] | None,
    *,
    options: type[StepOptions] | None,
    declared: frozenset[str] | None = None,
) -> dict[str, Any]:
    """The agent input of a triggered run; :class:`AgentInputError` for keys it may not set.

    ``declared``: the names of the DAG's own params. A task's ``params`` already hold every
    key of ``conf`` (Airflow merges them, ``[core] dag_run_conf_overrides_params``), so they
    cannot say which keys the workflow declared."""
    conf = dict(conf or {})
    names = option_names(options) if options is not None else frozenset()
    per_run = per_run_options(options) if options is not None else frozenset()
    allowed = (frozenset(params) if declared is None else declared) | INPUT_KEYS | per_run
    refused = sorted(str(k) for k in conf if k not in allowed)
    if refused:
        raise AgentInputError(
            f"dag_run.conf sets {', '.join(repr(k) for k in refused)}, which a run may not "
            f"set here (it may set: {', '.join(sorted(allowed))}); limits come from the "
            "workflow file and the [bluelabel] settings"
        )
    merged = {**dict(params), **conf}
    # The input keys are the input: a digest's 'source' filter is not the trigger's 'source'.
    config = {
        k: v for k, v in merged.items() if k in names and k not in INPUT_KEYS and v is not None
    }
    if isinstance(merged.get("content"), Mapping):
        content = dict(merged["content"])
        bad = sorted(str(k) for k in content if k not in CONTENT_KEYS)
        if bad:
            raise AgentInputError(
                f"dag_run.conf content sets {', '.join(map(repr, bad))}; content holds only "
                f"{', '.join(sorted(CONTENT_KEYS))}"
            )
        request: dict[str, Any] = {"content": content, "config": config, "source": TRIGGER_SOURCE}
        for key in ("task_type", "source", "metadata"):
            if merged.get(key) is not None:
                request[key] = merged[key]
        return request
    content = {}
    source = merged.get("source") or merged.get("url") or merged.get("file_path")
    if isinstance(source, str) and source:
        content["url" if "://" in source else "file_path"] = source
    elif isinstance(merged.get("text"), str):
        content["text"] = merged["text"]
    request = {"source": TRIGGER_SOURCE, "content": content, "config": config}
    if merged.get("task_type"):
        request["task_type"] = merged["task_type"]
    return request


def item_input(item: Mapping[str, Any] | str) -> dict[str, Any]:
    """One mapped instance's input: an agent-input mapping, or a path/URL string."""
    if isinstance(item, str):
        key = "url" if "://" in item else "file_path"
        return {"source": item, "content": {key: item}}
    if not isinstance(item, Mapping):
        raise AgentInputError(f"a mapped item must be a mapping or a string, got {item!r}")
    return dict(item)
