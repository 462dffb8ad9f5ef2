"""``bluelabel validate``, ``loaders`` and ``schema``: the workflow files."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from bluelabel.config import Settings, SettingsError, load_settings, parse_settings

WORKFLOW_SUFFIXES = (".yaml", ".yml")
#: Workflow file names a loader may be written for (the name becomes a Python file name).
LOADER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.ya?ml$")


def workflow_files(paths: Sequence[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in WORKFLOW_SUFFIXES)
        else:
            yield path


def _settings_for_validation() -> Settings:
    """The deployment's settings, as the DAG factory sees them; outside any Airflow home the
    defaults (checking a file in an editor or CI needs no deployment)."""
    try:
        return load_settings()
    except SettingsError as exc:
        print(
            f"bluelabel: {exc}; validating with the default [bluelabel] settings", file=sys.stderr
        )
        return parse_settings({}, Path.cwd())


def cmd_validate(args: argparse.Namespace) -> int:
    from bluelabel.workflow import WorkflowPolicy, check_workflow

    files = list(workflow_files(args.paths))
    if not files:
        print(
            f"bluelabel: no workflow files (*.yaml, *.yml) in {' '.join(args.paths)}",
            file=sys.stderr,
        )
        return 1
    policy = WorkflowPolicy.from_settings(_settings_for_validation(), args.root)
    bad = 0
    dag_ids: dict[str, Path] = {}
    for path in files:
        workflow, problems = check_workflow(path, policy=policy)
        if workflow is not None and workflow.dag_id in dag_ids:
            print(
                f"{path}:{_line_of(workflow.source_text, ('dag_id:', 'name:'))}: dag_id "
                f"'{workflow.dag_id}' is also used by {dag_ids[workflow.dag_id]}; Airflow keeps "
                "only one of them: give this workflow its own 'dag_id' (or name)"
            )
            bad += 1
            continue
        if workflow is not None:
            dag_ids[workflow.dag_id] = path
        for problem in problems:
            print(problem)
        if problems:
            bad += 1
        elif not args.quiet:
            assert workflow is not None
            steps = len(workflow.steps)
            print(
                f"ok: {path} ({workflow.dag_id}, {steps} step{'s' if steps != 1 else ''})",
                file=sys.stderr,
            )
    if bad:
        print(f"bluelabel: {bad} of {len(files)} workflow file(s) invalid", file=sys.stderr)
    return 1 if bad else 0


def _line_of(text: str, prefixes: tuple[str, ...]) -> int:
    """The first line whose stripped text starts with one of ``prefixes`` (else 1)."""
    for prefix in prefixes:
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip().startswith(prefix):
                return number
    return 1


# The loader never carries the workflow's name as code: the path is a repr()'d literal, and
# the docstring names nothing that came from a file name.
LOADER_TEMPLATE = '''"""Airflow DAG loader of a Bluelabel workflow (made by `bluelabel loaders`).

One loader per workflow file: if the YAML is invalid, Airflow shows this file's import error
with the same FILE:LINE lines as `bluelabel validate`, and every other DAG still loads.
"""

from pathlib import Path

from bluelabel.factory import load_workflows

load_workflows(Path(__file__).parent / {relative!r}, globals())
'''


def cmd_loaders(args: argparse.Namespace) -> int:
    """Write a loader .py into the DAGs folder for each workflow file that lacks one."""
    dags_folder = Path(args.dags_folder)
    written = 0
    for workflow in workflow_files([args.workflows]):
        if not LOADER_NAME.match(workflow.name):
            print(
                f"bluelabel: {workflow}: no loader written: a workflow file name may hold only "
                "letters, digits, '_', '-' and '.' (it becomes a Python file name); rename it",
                file=sys.stderr,
            )
            return 1
        relative = os.path.relpath(workflow, dags_folder)
        if relative.startswith(".."):
            print(f"bluelabel: {workflow} is not inside {dags_folder}", file=sys.stderr)
            return 1
        loader = dags_folder / f"{workflow.stem}.py"
        if loader.exists():
            if relative not in loader.read_text(encoding="utf-8"):
                print(
                    f"bluelabel: {loader} exists and does not load {relative}; rename one of them",
                    file=sys.stderr,
                )
                return 1
            continue
        loader.write_text(LOADER_TEMPLATE.format(relative=relative), encoding="utf-8")
        print(f"wrote {loader}")
        written += 1
    print(f"bluelabel: {written} loader(s) written", file=sys.stderr)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from bluelabel.workflow import workflow_schema

    print(json.dumps(workflow_schema(), indent=2))
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "validate", help="check workflow files; print FILE:LINE: message per problem"
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="workflow files or folders")
    p.add_argument(
        "--root",
        help="folder relative paths resolve against "
        "(default: [bluelabel] workflow_root, else each file's folder)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("loaders", help="write one Airflow loader .py per workflow file")
    p.add_argument("workflows", help="a workflow file or a folder of them (inside DAGS_FOLDER)")
    p.add_argument("--dags-folder", default="dags", help="where the loaders go (default: dags)")
    p.set_defaults(func=cmd_loaders)

    p = sub.add_parser("schema", help="print the workflow JSON Schema")
    p.set_defaults(func=cmd_schema)
