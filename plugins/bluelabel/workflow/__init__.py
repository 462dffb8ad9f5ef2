"""The workflow YAML format: typed model, line-keeping loader, validation, JSON Schema.

No Airflow import: ``bluelabel validate`` and editors use this without starting Airflow.
``loader``: YAML with lines (and a bound on alias expansion). ``structure``: reporting and the
JSON Schema checks. ``semantics``: agents, options, references, cycles, files, roots.
``build``: the typed model. ``loading``: the entry points. ``cache``: parse caching.
"""

from __future__ import annotations

from bluelabel.workflow.model import INITIAL_INPUT, Step, Workflow, parse_duration, slugify
from bluelabel.workflow.policy import WorkflowPolicy
from bluelabel.workflow.problems import Problem, WorkflowError
from bluelabel.workflow.schema import workflow_schema
from bluelabel.workflow.validate import check_workflow, load_workflow

__all__ = [
    "INITIAL_INPUT",
    "Problem",
    "Step",
    "Workflow",
    "WorkflowError",
    "WorkflowPolicy",
    "check_workflow",
    "load_workflow",
    "parse_duration",
    "slugify",
    "workflow_schema",
]
