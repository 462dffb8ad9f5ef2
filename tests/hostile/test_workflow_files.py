"""Workflow files as an attacker writes them: code in a file name, alias bombs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devtools.hostile import alias_bomb_yaml
from devtools.measure import bluelabel

HOSTILE_NAME = 'x"+str(__import__("os").system("touch PWNED"))+".yaml'
VALID = """\
workflow:
  name: Named
  version: "1"
steps:
  - id: ingest
    agent: ingestion_agent
"""


def test_a_file_name_never_becomes_code(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    (dags / "workflows").mkdir(parents=True)
    (dags / "workflows" / HOSTILE_NAME).write_text(VALID)
    run = bluelabel("loaders", str(dags / "workflows"), "--dags-folder", str(dags))
    assert run.code == 1
    assert "no loader written" in run.lines[0] and "rename it" in run.lines[0]
    assert sorted(p.name for p in dags.glob("*.py")) == []
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


def test_a_written_loader_carries_its_path_as_a_literal(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    (dags / "workflows").mkdir(parents=True)
    (dags / "workflows" / "daily-news.v2.yaml").write_text(VALID)
    assert bluelabel("loaders", str(dags / "workflows"), "--dags-folder", str(dags)).code == 0
    loader = (dags / "daily-news.v2.py").read_text()
    assert (
        "load_workflows(Path(__file__).parent / 'workflows/daily-news.v2.yaml', globals())"
        in loader
    )
    assert "daily-news" not in loader.split('"""')[1]  # nothing from the name in the docstring


@pytest.mark.parametrize("kind", ["aliases", "merge keys"])
def test_alias_bomb_is_one_line_in_bounded_time_and_memory(tmp_path: Path, kind: str) -> None:
    text = alias_bomb_yaml()
    if kind == "merge keys":
        lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}"]
        for level in range(1, 10):
            merges = ", ".join(f"*m{level - 1}" for _ in range(10))
            lines.append(f"m{level}: &m{level} {{<<: [{merges}], k{level}: {{<<: *m{level - 1}}}}}")
        text = "\n".join(lines) + "\n" + VALID
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    assert path.stat().st_size < 4096
    run = bluelabel("validate", "-q", str(path))
    assert run.code == 1
    problems = [line for line in run.stdout.splitlines() if line]
    assert len(problems) == 1, problems
    assert (
        problems[0].startswith(f"{path}:") and "expands to more than 100,000 values" in problems[0]
    )
    assert run.cpu_seconds < 10 and run.peak_mb < 400, (run.cpu_seconds, run.peak_mb)


def test_the_dag_factory_refuses_the_bomb_with_the_same_line(tmp_path: Path) -> None:
    from bluelabel.factory import load_workflows
    from bluelabel.workflow import WorkflowError

    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb_yaml())
    with pytest.raises(WorkflowError, match=r"bomb.yaml:\d+: YAML error: the document expands"):
        load_workflows(path, {})
    assert os.path.getsize(path) < 4096


@pytest.mark.parametrize(
    "raw, why",
    [
        ("INITIAL_INPU" + "\u00ff" * 200 + "T", "cannot be read (File name too long)"),  # fuzzing
        ("in\x00put.json", "is not a usable path"),
    ],
)
def test_an_unusable_input_path_is_a_problem_not_a_crash(
    tmp_path: Path, raw: str, why: str
) -> None:
    from bluelabel.workflow import WorkflowPolicy, check_workflow

    escaped = raw.replace("\x00", "\\0")
    text = VALID + f'    input_file: "{escaped}"\n'
    workflow, problems = check_workflow(tmp_path / "wf.yaml", policy=WorkflowPolicy(), text=text)
    assert workflow is None and len(problems) == 1 and why in problems[0].message
