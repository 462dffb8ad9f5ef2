"""Entry points: validate a workflow file (every problem, with its line) and load it."""

from __future__ import annotations

import os
from pathlib import Path

from bluelabel.workflow.build import build_workflow
from bluelabel.workflow.located_yaml import YamlSyntaxError, load_located
from bluelabel.workflow.model import Workflow
from bluelabel.workflow.policy import WorkflowPolicy
from bluelabel.workflow.problems import Problem, WorkflowError
from bluelabel.workflow.schema import type_name
from bluelabel.workflow.semantics import WorkflowChecker


def check_workflow(
    path: str | os.PathLike[str],
    *,
    policy: WorkflowPolicy | None = None,
    text: str | None = None,
) -> tuple[Workflow | None, list[Problem]]:
    """Validate one workflow file; return the model (when valid) and every problem found."""
    policy = policy or WorkflowPolicy()
    file_path = Path(path).expanduser().absolute()
    checker = WorkflowChecker(file_path, policy)
    max_bytes = policy.max_bytes
    if text is None:
        try:
            size = file_path.stat().st_size
            if size <= max_bytes:
                text = file_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, [Problem(str(file_path), 1, 1, "file not found")]
        except (OSError, UnicodeDecodeError) as exc:
            return None, [Problem(str(file_path), 1, 1, f"cannot read file: {exc}")]
    else:
        size = len(text.encode("utf-8"))
    if text is None or size > max_bytes:
        return None, [
            Problem(
                str(file_path),
                1,
                1,
                f"file is {size} bytes, over the "
                f"{max_bytes}-byte limit for workflow files ([bluelabel] max_workflow_bytes)",
            )
        ]
    try:
        checker.located = load_located(text)
    except YamlSyntaxError as exc:
        return None, [
            Problem(
                str(file_path),
                exc.mark.line,
                exc.mark.column,
                f"{exc} (line {exc.mark.line}, column {exc.mark.column})",
            )
        ]
    data = checker.located.data
    if not isinstance(data, dict):
        found = "an empty file" if data is None else type_name(data)
        return None, [
            Problem(
                str(file_path),
                1,
                1,
                f"a workflow file must be a mapping with "
                f"'workflow' and 'steps' sections, not {found}",
            )
        ]
    checker.check_duplicate_keys()
    checker.check_schema()
    checker.check_workflow_settings()
    checker.check_durations()
    checker.check_steps()
    problems = sorted(set(checker.problems), key=lambda p: (p.line, p.column, p.message))
    if problems:
        return None, problems
    return build_workflow(data, file_path, checker.root, text, tuple(checker.inputs)), []


def load_workflow(
    path: str | os.PathLike[str], *, policy: WorkflowPolicy | None = None
) -> Workflow:
    """The :class:`Workflow` of a file; raise :class:`WorkflowError` listing every problem."""
    workflow, problems = check_workflow(path, policy=policy)
    if workflow is None:
        raise WorkflowError(problems)
    return workflow
