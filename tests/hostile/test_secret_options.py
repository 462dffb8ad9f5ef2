"""A PDF password is never part of what is stored in clear (issue 20, item 7): not a per-run
option (``dag_run.conf``), not a value in a workflow file (shown on the DAG's page)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bluelabel.agents.options import StepOptions, option
from bluelabel.config import parse_settings
from bluelabel.workflow import WorkflowPolicy, check_workflow


def test_a_secret_option_cannot_be_set_per_run() -> None:
    with pytest.raises(TypeError, match="stored in clear"):

        class Leaky(StepOptions):
            token: str | None = option(None, "A token.", per_run=True, secret=True)


@pytest.mark.parametrize("value", ["s3cret", "{{ var.value.pdf_password }}"])
def test_a_workflow_file_may_not_hold_a_password(tmp_path: Path, value: str) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            workflow:
              name: Locked
              version: "1"
            steps:
              - id: ingest
                agent: ingestion_agent
                config:
                  password: "{value}"
            """
        )
    )
    policy = WorkflowPolicy.from_settings(parse_settings({}, tmp_path), tmp_path)
    _, problems = check_workflow(path, policy=policy)
    [problem] = problems
    assert problem.line == 8 and "password is secret" in problem.message
    assert "password_conn_id" in problem.message and value not in problem.message
