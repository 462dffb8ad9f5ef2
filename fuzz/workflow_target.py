"""Fuzz target: the workflow loader and validator on arbitrary bytes.

Any input must give a model or a list of problems; any other exception is a finding.
``python fuzz/workflow_target.py CORPUS -max_total_time=600``
"""

from __future__ import annotations

import sys

import atheris

from fuzz._common import REPO, SCRATCH, seed_corpus

with atheris.instrument_imports():
    from bluelabel.workflow import WorkflowPolicy, check_workflow

POLICY = WorkflowPolicy(root=SCRATCH)
PATH = SCRATCH / "fuzzed.yaml"
(SCRATCH / "in.json").write_text('{"task_type": "text", "content": {"text": "x"}}')


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    workflow, problems = check_workflow(PATH, policy=POLICY, text=text)
    assert (workflow is None) == bool(problems)
    for problem in problems:
        assert problem.line >= 1 and problem.message, problem


def seeds() -> dict[str, bytes]:
    from devtools.hostile import alias_bomb_yaml

    found = {p.name: p.read_bytes() for p in (REPO / "dags" / "workflows").glob("*.yaml")}
    found["bomb.yaml"] = alias_bomb_yaml(levels=4).encode()
    found["input_file.yaml"] = (
        b'workflow: {name: x, version: "1"}\nsteps:\n  - id: a\n    agent: ingestion\n'
        b"    input_file: in.json\n    config: {max_pages: 3}\n"
    )
    return found


if __name__ == "__main__":
    corpus = seed_corpus(REPO / "build" / "fuzz" / "workflow", seeds())
    atheris.Setup([*sys.argv, str(corpus)], test_one_input)
    atheris.Fuzz()
