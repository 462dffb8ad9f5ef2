"""The workflow format's fan-out and data-aware extensions: expand, trigger_rule, outlets and
asset-URI schedules — valid forms become the right Airflow objects, bad ones name the line."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bluelabel.factory import build_dag
from bluelabel.workflow import Problem, check_workflow, load_workflow

HEADER = """\
workflow:
  name: "Mapped"
  version: "1"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "wf.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path: Path, text: str) -> list[Problem]:
    workflow, found = check_workflow(write(tmp_path, text))
    assert (workflow is None) == bool(found)
    return found


MAPPED = (
    HEADER
    + """\
  schedule: ["s3://bucket/inbox", "bluelabel://knowledge-store"]
steps:
  - id: scan
    agent: inbox_agent
  - id: ingest
    agent: ingestion
    expand: scan
    max_active_tis_per_dagrun: 3
  - id: digest
    agent: digest
    input_from: ingest
    trigger_rule: all_done_min_one_success
    outlets: ["bluelabel://knowledge-store"]
"""
)


def test_expand_becomes_a_mapped_task_over_the_source_list(tmp_path: Path) -> None:
    workflow = load_workflow(write(tmp_path, MAPPED))
    ingest = workflow.step("ingest")
    assert ingest.expand_from == "scan" and ingest.expand_key == "items"
    assert not ingest.uses_trigger_input and ingest.upstream == ("scan",)
    dag = build_dag(workflow)
    scan, mapped, digest = (dag.get_task(t) for t in ("scan", "ingest", "digest"))
    assert type(mapped).__name__ == "MappedOperator"
    assert mapped.upstream_task_ids == {"scan"}
    assert mapped.partial_kwargs["max_active_tis_per_dagrun"] == 3
    assert scan.map_output == "items"  # the source returns its list as the XCom
    assert digest.trigger_rule == "all_done_min_one_success"
    assert [a.uri for a in digest.outlets] == ["bluelabel://knowledge-store/"]
    assert sorted(a.uri for a in dag.timetable.asset_condition.objects) == [  # type: ignore[attr-defined]
        "bluelabel://knowledge-store/",
        "s3://bucket/inbox",
    ]


def test_expand_with_an_explicit_key(tmp_path: Path) -> None:
    text = MAPPED.replace("expand: scan", "expand: {from: scan, key: documents}")
    dag = build_dag(load_workflow(write(tmp_path, text)))
    assert dag.get_task("scan").map_output == "documents"


def test_expand_of_an_unknown_step_names_the_line_and_suggests(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, MAPPED.replace("expand: scan", "expand: scna"))
    assert problem.line == 10 and problem.step == "ingest"
    assert "expand refers to unknown step 'scna'; did you mean 'scan'?" in problem.message


def test_expand_with_input_from_is_rejected(tmp_path: Path) -> None:
    text = MAPPED.replace("    expand: scan\n", "    expand: scan\n    input_from: scan\n")
    [problem] = problems(tmp_path, text)
    assert "has both 'expand' and 'input_from'" in problem.message and problem.line == 10


def test_expand_over_itself_and_cycles_through_expand(tmp_path: Path) -> None:
    found = problems(tmp_path, MAPPED.replace("expand: scan", "expand: ingest"))
    assert any("cannot expand over its own result" in p.message for p in found)
    cyclic = MAPPED.replace(
        "    agent: inbox_agent\n", "    agent: inbox_agent\n    input_from: digest\n"
    )
    found = problems(tmp_path, cyclic)
    assert any("dependency cycle: " in p.message and "->" in p.message for p in found)


def test_two_steps_must_expand_a_source_by_the_same_key(tmp_path: Path) -> None:
    text = MAPPED + "  - id: again\n    agent: ingestion\n    expand: {from: scan, key: other}\n"
    found = problems(tmp_path, text)
    assert any(
        "expands 'scan' by key 'other' but step 'ingest' expands it by 'items'" in p.message
        for p in found
    ), [str(p) for p in found]


def test_bad_trigger_rule_and_expand_shape(tmp_path: Path) -> None:
    text = MAPPED.replace("all_done_min_one_success", "al_done").replace(
        "expand: scan", "expand: {form: scan}"
    )
    found = problems(tmp_path, text)
    lines = sorted(p.line for p in found)
    assert lines == [10, 15], [str(p) for p in found]
    assert any("trigger_rule" in p.message for p in found)
    assert any("'expand'" in p.message for p in found)


def test_asset_uris_are_checked_in_schedule_and_outlets(tmp_path: Path) -> None:
    text = MAPPED.replace('"s3://bucket/inbox"', '"inbox folder"').replace(
        'outlets: ["bluelabel://knowledge-store"]', 'outlets: ["airflow://store"]'
    )
    found = sorted(problems(tmp_path, text), key=lambda p: p.line)
    assert [p.line for p in found] == [4, 16]
    assert "'workflow.schedule' item 'inbox folder' is not an asset URI" in found[0].message
    assert "the 'airflow' scheme is reserved" in found[1].message
