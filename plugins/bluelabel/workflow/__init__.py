"""The workflow YAML format: typed model, line-keeping loader, validation, JSON Schema.

No Airflow import: ``bluelabel validate`` and editors use this without starting Airflow.
"""

from __future__ import annotations

from bluelabel.workflow.model import INITIAL_INPUT, Step, Workflow, parse_duration, slugify
from bluelabel.workflow.validate import (
    Problem,
    WorkflowError,
    check_workflow,
    load_workflow,
    workflow_schema,
)

__all__ = [
    "INITIAL_INPUT",
    "Problem",
    "Step",
    "Workflow",
    "WorkflowError",
    "check_workflow",
    "load_workflow",
    "parse_duration",
    "slugify",
    "workflow_schema",
]
