"""The parse cache answers only while the YAML and every file it references are unchanged."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bluelabel.workflow import Workflow, WorkflowPolicy, cache
from bluelabel.workflow.problems import Problem

WORKFLOW = """\
workflow:
  name: Cached
  version: "1"
  description: "{description}"
steps:
  - id: ingest
    agent: ingestion_agent
    input_file: input.json
"""


def cached_check(
    path: Path, cache_dir: Path | None = None
) -> tuple[Workflow | None, list[Problem]]:
    folder = path.parent / "cache" if cache_dir is None else cache_dir
    return cache.cached_check(path, policy=WorkflowPolicy(), cache_dir=folder)


@pytest.fixture
def workflow_dir(tmp_path: Path) -> Path:
    (tmp_path / "wf.yaml").write_text(WORKFLOW.format(description="first"))
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4 placeholder")
    write_input(tmp_path, "doc.pdf")
    return tmp_path


def write_input(folder: Path, file_path: str, **extra: object) -> None:
    (folder / "input.json").write_text(
        json.dumps({"task_type": "pdf", "content": {"file_path": file_path}, **extra})
    )


def no_validation(*args: object, **kwargs: object) -> None:
    raise AssertionError("validated although nothing changed")


def test_second_parse_is_served_from_the_cache(workflow_dir: Path, monkeypatch) -> None:
    first, problems = cached_check(workflow_dir / "wf.yaml")
    assert first is not None and problems == []
    assert len(list((workflow_dir / "cache").glob("*.json"))) == 1
    monkeypatch.setattr(cache, "check_workflow", no_validation)
    second, _ = cached_check(workflow_dir / "wf.yaml")
    assert second == first


def test_editing_the_yaml_invalidates(workflow_dir: Path) -> None:
    cached_check(workflow_dir / "wf.yaml")
    (workflow_dir / "wf.yaml").write_text(WORKFLOW.format(description="second"))
    workflow, _ = cached_check(workflow_dir / "wf.yaml")
    assert workflow is not None and workflow.description == "second"


def test_editing_an_input_file_invalidates(workflow_dir: Path) -> None:
    cached_check(workflow_dir / "wf.yaml")
    write_input(workflow_dir, "doc.pdf", metadata={"edited": True})
    workflow, _ = cached_check(workflow_dir / "wf.yaml")
    assert workflow is not None
    assert workflow.step("ingest").input_data["metadata"] == {"edited": True}  # type: ignore[index]


def test_an_input_file_made_invalid_is_reported_not_served_stale(workflow_dir: Path) -> None:
    cached_check(workflow_dir / "wf.yaml")
    (workflow_dir / "input.json").write_text("{ broken")
    workflow, problems = cached_check(workflow_dir / "wf.yaml")
    assert workflow is None and "is not valid JSON" in problems[0].message


def test_removing_the_referenced_document_invalidates(workflow_dir: Path) -> None:
    cached_check(workflow_dir / "wf.yaml")
    (workflow_dir / "doc.pdf").unlink()
    workflow, problems = cached_check(workflow_dir / "wf.yaml")
    assert workflow is None and "file_path 'doc.pdf'" in problems[0].message


def test_invalid_workflows_are_not_cached(workflow_dir: Path) -> None:
    (workflow_dir / "wf.yaml").write_text("workflow: {name: x}\n")
    assert cached_check(workflow_dir / "wf.yaml")[1]
    assert not (workflow_dir / "cache").exists() or not list((workflow_dir / "cache").glob("*"))


def test_cache_can_be_switched_off(workflow_dir: Path) -> None:
    assert (
        cache.cached_check(workflow_dir / "wf.yaml", policy=WorkflowPolicy(), cache_dir=None)[0]
        is not None
    )
    assert not (workflow_dir / "cache").exists()


def test_a_cached_workflow_keeps_its_typed_values(tmp_path: Path) -> None:
    """Dates, intervals and durations come back from the cache as the types the DAG takes."""
    path = tmp_path / "typed.yaml"
    path.write_text(
        "workflow:\n  name: Typed\n  version: '1'\n  schedule: 1h30m\n"
        "  start_date: 2025-03-01T06:00:00+02:00\n  dagrun_timeout: 2h\n"
        "  default_args: {retry_delay: 45s}\n"
        "steps:\n  - id: ingest\n    agent: ingestion\n    execution_timeout: 5m\n"
    )
    policy = WorkflowPolicy()
    first, problems = cache.cached_check(path, policy=policy, cache_dir=tmp_path / "cache")
    again, _ = cache.cached_check(path, policy=policy, cache_dir=tmp_path / "cache")
    assert problems == [] and first == again and first is not again
    assert again is not None
    assert again.schedule == timedelta(hours=1, minutes=30)
    assert again.start_date == datetime(2025, 3, 1, 4, 0, tzinfo=timezone.utc)
    assert again.dagrun_timeout == timedelta(hours=2)
    assert again.default_args["retry_delay"] == timedelta(seconds=45)
    assert again.step("ingest").task_args["execution_timeout"] == timedelta(minutes=5)
