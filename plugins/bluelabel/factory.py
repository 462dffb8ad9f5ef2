"""Workflow model -> Airflow DAG. The only module that knows both the YAML format and Airflow.

``load_workflows(path, globals())`` in a DAG file turns a workflow file (or a folder of them)
into DAGs. Why one loader file per workflow: Airflow 3.3's DAG processor lists only Python
files (``list_py_file_paths`` in ``dag_processing/manager.py``), so a YAML file can only reach
it through a Python file; and an exception in a DAG file becomes an import error for that file
while *every other* file keeps its DAGs. With one loader per workflow, a broken YAML file shows
up in the UI's import errors and in ``airflow dags list-import-errors`` as exactly one entry,
carrying the same ``FILE:LINE: message`` lines as ``bluelabel validate``, and nothing else
vanishes. ``bluelabel loaders DIR`` writes the loader files.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, Param

from bluelabel.agents.options import option_info, setting_key
from bluelabel.agents.registry import agent_options
from bluelabel.config import Settings, get_settings
from bluelabel.config_keys import setting_label
from bluelabel.operators import AgentOperator, DigestOperator, EmailIngestOperator, IngestOperator
from bluelabel.operators.secrets import secret_sources
from bluelabel.workflow import (
    Workflow,
    WorkflowError,
    WorkflowPolicy,
    check_workflow,
)
from bluelabel.workflow.cache import cached_check

log = logging.getLogger(__name__)

DEFAULT_START_DATE = pendulum.datetime(2025, 1, 1, tz="UTC")
_OPERATORS: dict[str, type[AgentOperator]] = {
    "ingestion_agent": IngestOperator,
    "digest_agent": DigestOperator,
    "email_agent": EmailIngestOperator,
}
#: Params that take a file path: their help in the trigger form says where files may be.
_PATH_PARAMS = ("source", "file_path", "inbox", "outbox")
_PARAM_TEMPLATE = re.compile(r"^\{\{\s*params\.(\w+)\s*\}\}$")


class WorkflowLoadWarning(UserWarning):
    """A workflow file in a folder could not be loaded (folder mode only)."""


def _schedule(workflow: Workflow) -> Any:
    """Assets for a list of asset URIs; a cron expression, preset or interval as it is."""
    value = workflow.schedule
    return [Asset(uri) for uri in value] if isinstance(value, list) else value


def _sentence(text: str) -> str:
    """``text`` ending as a sentence does, so that another can follow it."""
    text = text.rstrip()
    return text if not text or text[-1] in ".!?" else f"{text}."


def _where_files_may_be(settings: Settings) -> str:
    roots = ", ".join(str(r) for r in settings.location_roots)
    if not roots:
        return " Files may be read only from the workflow's own folder."
    relative = (
        f" Relative paths resolve against {settings.trigger_root}." if settings.trigger_root else ""
    )
    return f" Files must lie under {roots} ([bluelabel] allowed_roots).{relative}"


def _param_ceilings(workflow: Workflow, settings: Settings) -> dict[str, tuple[float, str]]:
    """The most each param may be, and the setting that says so: a step option set to
    ``{{ params.NAME }}`` that has a ceiling (``max_files``: ``[core] max_map_length``) caps
    param NAME, so the trigger form and the REST API refuse a value the run would fail on."""
    ceilings: dict[str, tuple[float, str]] = {}
    for step in workflow.steps:
        fields = options.model_fields if (options := agent_options(step.agent)) else {}
        for key, value in step.config.items():
            limit = option_info(fields[key]).ceiling if key in fields else None
            match = _PARAM_TEMPLATE.match(value) if isinstance(value, str) else None
            if limit is None or match is None:
                continue
            ceiling = (float(getattr(settings, limit)), setting_label(setting_key(limit)))
            ceilings[match[1]] = min(ceilings.get(match[1], ceiling), ceiling)
    return ceilings


def _secret_params(workflow: Workflow) -> set[str]:
    """Params that name where a secret option is kept (``password_conn_id``, ...)."""
    names: set[str] = set()
    for step in workflow.steps:
        fields = options.model_fields if (options := agent_options(step.agent)) else {}
        for name, field in fields.items():
            if option_info(field).secret:
                names.update(secret_sources(name))
    return names


def _params(workflow: Workflow, settings: Settings) -> dict[str, Param]:
    params = {}
    ceilings = _param_ceilings(workflow, settings)
    secrets = _secret_params(workflow)
    for name, spec in workflow.params.items():
        if isinstance(spec, dict) and ("type" in spec or "default" in spec):
            options = dict(spec)
            default = options.pop("default", None)
            if name in _PATH_PARAMS:
                options["description"] = _sentence(
                    str(options.get("description", ""))
                ) + _where_files_may_be(settings)
            if name in secrets:
                options["description"] = (
                    str(options.get("description", ""))
                    + f" This deployment reads only ids starting with {settings.secret_prefix!r} "
                    "([bluelabel] secret_prefix)."
                )
            if name in ceilings:
                ceiling, setting = ceilings[name]
                most = min(float(options.get("maximum", ceiling)), ceiling)
                options["maximum"] = int(most) if most.is_integer() else most
                if most == ceiling:  # the form's help names the setting behind the maximum
                    options["description"] = (
                        str(options.get("description", ""))
                        + f" At most {options['maximum']} ({setting})."
                    ).strip()
                if isinstance(default, (int, float)) and default > most:
                    # a default the run could not take: the most it may take instead
                    default = options["maximum"]
            params[name] = Param(default, **options)
        else:
            params[name] = Param(spec)
    return params


def _doc_md(workflow: Workflow) -> str:
    intro = workflow.doc_md or workflow.description or workflow.name
    return (
        f"{intro}\n\n**Workflow** `{workflow.name}` version `{workflow.version}`, from "
        f"`{workflow.source_path}`\n\n```yaml\n{workflow.source_text.rstrip()}\n```\n"
    )


def build_dag(workflow: Workflow, settings: Settings | None = None) -> DAG:
    """The Airflow DAG of a validated workflow: one task per step, edges from ``input_from``
    and ``expand`` (a mapped task per ``expand`` step)."""
    settings = settings or get_settings()
    # Only what the workflow sets: Airflow's configured defaults (max_active_runs_per_dag,
    # max_active_tasks_per_dag) apply to the rest, as for a hand-written DAG.
    limits: dict[str, Any] = {
        key: value
        for key, value in (
            ("max_active_runs", workflow.max_active_runs),
            ("max_active_tasks", workflow.max_active_tasks),
        )
        if value is not None
    }
    dag = DAG(
        dag_id=workflow.dag_id,
        dag_display_name=workflow.name,
        description=workflow.description,
        schedule=_schedule(workflow),
        start_date=workflow.start_date or DEFAULT_START_DATE,
        end_date=workflow.end_date,
        catchup=workflow.catchup,
        params=_params(workflow, settings),
        default_args=workflow.default_args,
        dagrun_timeout=workflow.dagrun_timeout,
        tags=set(workflow.tags),
        doc_md=_doc_md(workflow),
        **limits,
    )
    # A step that mapped steps expand over returns that list as its XCom.
    map_outputs = {s.expand_from: s.expand_key for s in workflow.steps if s.expand_from}
    tasks: dict[str, Any] = {}  # AgentOperator, or MappedOperator for expand steps
    for step in workflow.topological_order():
        operator = _OPERATORS.get(step.agent, AgentOperator)
        kwargs: dict[str, Any] = {"agent": step.agent} if operator is AgentOperator else {}
        # Only what the step sets: every keyword costs BaseOperator's default handling time.
        if step.name and step.name != step.id:
            kwargs["task_display_name"] = step.name
        if step.description:
            kwargs["doc_md"] = step.description
        if step.input_data:
            kwargs["input_data"] = step.input_data
        if step.input_from:
            kwargs["input_from"] = step.input_from
        if step.config:
            kwargs["config"] = step.config
        if step.outputs:
            kwargs["outputs"] = step.outputs
        if step.outlets:
            kwargs["outlets"] = [Asset(uri) for uri in step.outlets]
        if step.id in map_outputs:
            kwargs["map_output"] = map_outputs[step.id]
        kwargs.update(
            task_id=step.id,
            use_trigger_input=step.uses_trigger_input,
            root=workflow.root,
            dag=dag,
            **step.task_args,
        )
        task: Any
        if step.expand_from:
            # One task instance per item of the source step's list (dynamic task mapping);
            # each instance is labelled in the UI by the document it handles.
            task = operator.partial(map_index_template="{{ bluelabel_item }}", **kwargs).expand(
                item=tasks[step.expand_from].output
            )
        else:
            task = operator(**kwargs)
        for upstream in step.input_from:
            tasks[upstream] >> task
        tasks[step.id] = task
    return dag


def load_workflow_dag(
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
) -> DAG:
    """The DAG of one workflow file; raise :class:`WorkflowError` listing every problem."""
    settings = get_settings()
    policy = WorkflowPolicy.from_settings(settings, root)
    if use_cache:
        workflow, problems = cached_check(path, policy=policy, cache_dir=settings.workflow_cache)
    else:
        workflow, problems = check_workflow(path, policy=policy)
    if workflow is None:
        raise WorkflowError(problems)
    return build_dag(workflow, settings)


def load_workflows(
    path: str | os.PathLike[str],
    namespace: MutableMapping[str, Any],
    root: str | os.PathLike[str] | None = None,
) -> list[DAG]:
    """Put the DAG of each workflow under ``path`` into ``namespace`` (pass ``globals()``).

    ``path`` is a YAML file or a folder of them (``*.yaml``, ``*.yml``, recursively).
    A file: an invalid workflow raises :class:`WorkflowError`, which Airflow shows as this DAG
    file's import error. A folder: valid workflows load; each invalid one is logged and
    warned about (:class:`WorkflowLoadWarning`) -- prefer one loader file per workflow, so that
    each broken file is its own import error.
    """
    target = Path(path)
    dags: list[DAG] = []
    if target.is_dir():
        files = sorted(p for p in target.rglob("*") if p.suffix in (".yaml", ".yml"))
        for file in files:
            try:
                dags.append(load_workflow_dag(file, root=root))
            except WorkflowError as exc:
                log.error("workflow %s is invalid:\n%s", file, exc)
                warnings.warn(f"{file} is invalid:\n{exc}", WorkflowLoadWarning, stacklevel=2)
    else:
        dags.append(load_workflow_dag(target, root=root))
    for dag in dags:
        namespace[f"bluelabel_dag_{dag.dag_id}"] = dag
    return dags
