"""Every validation rule of SPEC §3 has a failing case here, with the line it must name."""

from __future__ import annotations

import json
import shutil
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest

from bluelabel.workflow import (
    INITIAL_INPUT,
    Problem,
    WorkflowError,
    WorkflowPolicy,
    check_workflow,
    load_workflow,
    workflow_schema,
)

GOOD_STEPS = """\
steps:
  - id: ingest
    agent: ingestion_agent
  - id: digest
    agent: digest_agent
    input_from: ingest
"""
HEADER = """\
workflow:
  name: "Test workflow"
  version: "1.0.0"
"""


def problems_of(
    tmp_path: Path, text: str, name: str = "wf.yaml", **kwargs: object
) -> list[Problem]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    workflow, problems = check_workflow(path, policy=WorkflowPolicy(**kwargs))  # type: ignore[arg-type]
    assert (workflow is None) == bool(problems)
    return problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_a_valid_workflow_becomes_a_model(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "in.json").write_text(
        json.dumps(
            {
                "task_id": "t",
                "task_type": "text",
                "source": "s",
                "content": {"text": "hello"},
                "metadata": {},
                "context": {},
            }
        )
    )
    path = tmp_path / "wf.yaml"
    path.write_text(
        textwrap.dedent("""\
        workflow:
          name: "PDF Ingestion and Digest"
          version: 1.0
          schedule: "@daily"
          start_date: 2025-01-01
          default_args: {retries: 2, retry_delay: 30s, execution_timeout: 10m}
          params:
            source: {type: string, default: "x.pdf", description: "PDF path"}
            format: {type: string, enum: [markdown, html, json], default: markdown}
          tags: [pdf]
        steps:
          - id: ingest
            agent: ingestion
            input_file: inputs/in.json
            outputs: [content_id]
          - id: other
            agent: ingestion_agent
            input_file: INITIAL_INPUT
          - id: digest
            agent: digest_agent
            input_from: [ingest, other]
            config: {format: html, limit: 3}
        metadata: {author: me, tags: [digest, pdf]}
    """)
    )
    workflow = load_workflow(path)
    assert workflow.dag_id == "pdf_ingestion_and_digest"
    # typed once, from the loader to the DAG: dates are aware datetimes, durations timedeltas
    assert workflow.version == "1.0"
    assert workflow.start_date == datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert workflow.default_args == {
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "execution_timeout": timedelta(minutes=10),
    }
    assert workflow.tags == ("pdf", "digest")
    assert workflow.step("ingest").input_data["content"] == {"text": "hello"}  # type: ignore[index]
    assert workflow.step("other").uses_trigger_input
    assert workflow.step("digest").input_from == ("ingest", "other")
    assert [s.id for s in workflow.topological_order()][-1] == "digest"
    assert tmp_path / "inputs" / "in.json" in workflow.inputs
    assert INITIAL_INPUT == "INITIAL_INPUT"


def test_missing_workflow_section(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, GOOD_STEPS))
    assert problem.line == 1 and "missing required section 'workflow'" in problem.message


def test_missing_steps_section(tmp_path: Path) -> None:
    assert "missing required section 'steps'" in only(problems_of(tmp_path, HEADER)).message


@pytest.mark.parametrize("missing", ["name", "version"])
def test_missing_name_or_version(tmp_path: Path, missing: str) -> None:
    header = "\n".join(line for line in HEADER.splitlines() if missing not in line)
    problem = only(problems_of(tmp_path, header + "\n" + GOOD_STEPS))
    assert problem.line == 1 and f"missing required key '{missing}'" in problem.message


@pytest.mark.parametrize(
    "steps, message",
    [
        ("steps: []\n", "'steps' is empty"),
        ("steps: {id: a, agent: digest}\n", "'steps' must be a list, not a mapping"),
        ("steps:\n", "'steps' must be a list, not empty"),
    ],
)
def test_steps_must_be_a_non_empty_list(tmp_path: Path, steps: str, message: str) -> None:
    problem = only(problems_of(tmp_path, HEADER + steps))
    assert problem.line == 4 and message in problem.message


def test_step_without_id_or_agent(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, HEADER + "steps:\n  - agent: digest\n  - id: b\n")
    assert [(p.line, p.step) for p in problems] == [(5, None), (6, "b")]
    assert "step #1 (no id): missing required key 'id'" in problems[0].message
    assert "step 'b': missing required key 'agent'" in problems[1].message


def test_duplicate_step_ids(tmp_path: Path) -> None:
    text = HEADER + "steps:\n  - id: a\n    agent: digest\n  - id: a\n    agent: digest\n"
    problem = only(problems_of(tmp_path, text))
    assert problem.line == 7 and "duplicate step id 'a' (first used on line 5)" in problem.message


def test_unknown_agent_with_did_you_mean(tmp_path: Path) -> None:
    text = HEADER + "steps:\n  - id: a\n    agent: digest_agnet\n"
    problem = only(problems_of(tmp_path, text))
    assert problem.line == 6 and problem.step == "a"
    assert "unknown agent 'digest_agnet'; did you mean 'digest_agent'?" in problem.message


def test_unknown_input_from_step(tmp_path: Path) -> None:
    text = (
        HEADER
        + "steps:\n  - id: ingest\n    agent: ingestion\n"
        + "  - id: d\n    agent: digest\n    input_from: [ingest, injest_x]\n"
    )
    problem = only(problems_of(tmp_path, text))
    assert problem.line == 9 and "input_from refers to unknown step 'injest_x'" in problem.message


def test_dependency_cycle_is_printed(tmp_path: Path) -> None:
    text = HEADER + textwrap.dedent("""\
        steps:
          - id: step_a
            agent: ingestion_agent
            input_from: step_c
          - id: step_b
            agent: digest_agent
            input_from: step_a
          - id: step_c
            agent: digest_agent
            input_from: step_b
    """)
    problem = only(problems_of(tmp_path, text))
    assert problem.line == 7
    assert "dependency cycle: step_a -> step_c -> step_b -> step_a" in problem.message


def test_self_reference_is_a_cycle(tmp_path: Path) -> None:
    text = HEADER + "steps:\n  - id: a\n    agent: digest\n    input_from: a\n"
    assert "dependency cycle: a -> a" in only(problems_of(tmp_path, text)).message


def test_both_input_file_and_input_from(tmp_path: Path) -> None:
    text = (
        HEADER
        + "steps:\n  - id: a\n    agent: ingestion\n"
        + "  - id: b\n    agent: digest\n    input_file: INITIAL_INPUT\n    input_from: a\n"
    )
    problem = only(problems_of(tmp_path, text))
    assert problem.line == 10 and "both 'input_file' and 'input_from'" in problem.message


def test_unknown_keys_with_did_you_mean(tmp_path: Path) -> None:
    text = HEADER + "  schedul: '@daily'\nsteps:\n  - id: a\n    agnet: digest\n"
    problems = problems_of(tmp_path, text)
    messages = {p.line: p.message for p in problems}
    assert "unknown key 'schedul'; did you mean 'schedule'?" in messages[4]
    assert "unknown key 'agnet'; did you mean 'agent'?" in messages[7]
    assert "missing required key 'agent'" in messages[6]


@pytest.mark.parametrize(
    "extra, line, message",
    [
        ("  tags: pdf\n", 4, "'workflow.tags' must be a list, not 'pdf' (str)"),
        ("  catchup: maybe\n", 4, "'workflow.catchup' must be true or false"),
        (
            "  max_active_runs: 0\n",
            4,
            "'workflow.max_active_runs': 0 is less than the minimum of 1",
        ),
        (
            "  default_args: {retries: two}\n",
            4,
            "'workflow.default_args.retries' must be a whole number",
        ),
        (
            "  default_args: {retry_delay: soon}\n",
            4,
            "'workflow.default_args.retry_delay': 'soon' is not valid",
        ),
        ("  schedule: every day\n", 4, "is not a cron expression"),
        ("  schedule: '@fortnightly'\n", 4, "unknown preset '@fortnightly'"),
        ("  start_date: next tuesday\n", 4, "is not an ISO date"),
        ("  name: 42\n", 4, "'workflow.name' must be a string, not 42 (int)"),
    ],
)
def test_wrong_types_and_values_in_settings(
    tmp_path: Path, extra: str, line: int, message: str
) -> None:
    text = HEADER.replace('  name: "Test workflow"\n', "") if "name:" in extra else HEADER
    text = text + extra + GOOD_STEPS
    if "name:" in extra:
        text = text.replace("workflow:\n", "workflow:\n" + extra, 1).replace(
            extra + GOOD_STEPS, GOOD_STEPS
        )
        line = 2
    problems = problems_of(tmp_path, text)
    assert any(p.line == line and message in p.message for p in problems), [
        str(p) for p in problems
    ]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("config", "[1, 2]", "field 'config' must be a mapping, not a list"),
        ("outputs", "content_id", "field 'outputs' must be a list"),
        ("input_from", "[]", "field 'input_from': [] is not valid"),
        ("retries", "-1", "less than the minimum of 0"),
    ],
)
def test_wrong_types_in_steps(tmp_path: Path, field: str, value: str, message: str) -> None:
    text = HEADER + f"steps:\n  - id: a\n    agent: digest\n    {field}: {value}\n"
    problem = only(problems_of(tmp_path, text))
    assert problem.line == 7 and problem.step == "a" and message in problem.message


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    text = HEADER + "steps:\n  - id: a\n    agent: [digest\n"
    problem = only(problems_of(tmp_path, text))
    assert problem.message.startswith("YAML syntax error")
    assert (problem.line, problem.column) == (7, 1)  # the end of the file...
    assert "flow sequence started on line 6, column 12" in problem.message  # ...and the cause


def test_duplicate_yaml_keys(tmp_path: Path) -> None:
    text = HEADER + "steps:\n  - id: a\n    agent: digest\n    agent: ingestion\n"
    problem = only(problems_of(tmp_path, text))
    assert problem.line == 7 and "duplicate key 'agent'" in problem.message


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "not an empty file"),
        ("- a\n- b\n", "not a list"),
        ("just text\n", "not 'just text'"),
    ],
)
def test_file_that_is_not_a_mapping(tmp_path: Path, text: str, message: str) -> None:
    assert message in only(problems_of(tmp_path, text)).message


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, HEADER + GOOD_STEPS, max_bytes=100))
    assert "over the 100-byte limit" in problem.message


def test_input_file_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.json").write_text("{}")
    text = HEADER + "steps:\n  - id: a\n    agent: ingestion\n    input_file: ../secret.json\n"
    problem = only(problems_of(root, text))
    assert problem.line == 7 and "outside the allowed root(s)" in problem.message


def test_file_path_inside_input_file_outside_the_root(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text(
        json.dumps({"task_type": "pdf", "content": {"file_path": "/etc/passwd"}})
    )
    text = HEADER + "steps:\n  - id: a\n    agent: ingestion\n    input_file: in.json\n"
    problem = only(problems_of(tmp_path, text))
    assert (
        "file_path in 'in.json' '/etc/passwd'" in problem.message and "outside" in problem.message
    )


def test_allowed_roots_extend_the_root(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "in.json").write_text(json.dumps({"task_type": "text", "content": {"text": "x"}}))
    root = tmp_path / "root"
    root.mkdir()
    text = (
        HEADER + f"steps:\n  - id: a\n    agent: ingestion\n    input_file: {shared / 'in.json'}\n"
    )
    assert problems_of(root, text)
    assert problems_of(root, text, allowed_roots=(shared.resolve(),)) == []


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "input_file 'in.json' not found"),
        ('{"task_type": "pdf",\n "content": }', "is not valid JSON (line 2, column 13"),
        ('{"task_type": "video"}', "task_type must be one of pdf, url, text"),
        ('{"contnet": {}}', "unknown key(s) 'contnet'"),
        ("[1, 2]", "expected a JSON object"),
        (
            '{"task_type": "pdf", "content": {"file_path": "missing.pdf"}}',
            "file_path 'missing.pdf' in input_file 'in.json' not found",
        ),
    ],
)
def test_bad_input_files(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "in.json").write_text(content)
    text = HEADER + "steps:\n  - id: a\n    agent: ingestion\n    input_file: in.json\n"
    problem = only(problems_of(tmp_path, text))
    assert problem.line == 7 and message in problem.message


@pytest.mark.parametrize("step_id", ["bad id", "ingest/pdf", "x" * 251, "é"])
def test_step_id_must_be_a_valid_task_id(tmp_path: Path, step_id: str) -> None:
    text = HEADER + f"steps:\n  - id: '{step_id}'\n    agent: digest\n"
    problem = only(problems_of(tmp_path, text))
    assert problem.line == 5
    assert "not a valid Airflow id" in problem.message or "longer than 250" in problem.message


def test_every_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    text = textwrap.dedent("""\
        workflow:
          name: "Many problems"
          schedul: "@daily"
        steps:
          - id: a
            agent: nope_agent
          - id: a
            agent: digest
            input_from: ghost
          - agent: digest
    """)
    problems = problems_of(tmp_path, text)
    assert len(problems) == 6, [str(p) for p in problems]
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    assert str(problems[0]).startswith(f"{tmp_path / 'wf.yaml'}:1: ")


def test_workflow_error_lists_all_lines(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(HEADER + "steps:\n  - id: a\n  - id: b\n")
    with pytest.raises(WorkflowError) as info:
        load_workflow(path)
    assert len(info.value.problems) == 2 and str(info.value).count("\n") == 1


def test_shipped_schema_is_a_valid_json_schema() -> None:
    schema = workflow_schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert schema["required"] == ["workflow", "steps"]


# ---------------------------------------------------------------------------- the originals


@pytest.fixture
def original_layout(tmp_path: Path, shared_bench: Path) -> Path:
    """A folder laid out like the original repository: workflows/ beside tests/."""
    (tmp_path / "workflows").mkdir()
    shutil.copytree(shared_bench / "original-inputs", tmp_path / "tests")
    shutil.copy(shared_bench / "original-pdfs" / "sample.pdf", tmp_path / "tests")
    for kind in ("valid", "invalid"):
        for path in (shared_bench / "original-workflows" / kind).glob("*.yaml"):
            shutil.copy(path, tmp_path / "workflows" / path.name)
    return tmp_path


@pytest.mark.parametrize(
    "name",
    [
        "pdf_attachment_processor.yaml",
        "pdf_ingestion_digest.yaml",
        "sample_ingestion_digest.yaml",
        "url_ingestion_digest.yaml",
    ],
)
def test_original_valid_files_validate(original_layout: Path, name: str) -> None:
    policy = WorkflowPolicy(root=original_layout)
    workflow = load_workflow(original_layout / "workflows" / name, policy=policy)
    assert workflow.steps[-1].agent == "digest_agent"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("bad_reference.yaml", [(15, "input_from refers to unknown step 'nonexistent_step'")]),
        (
            "circular_dependency.yaml",
            [(10, "dependency cycle: step_a -> step_c -> step_b -> step_a")],
        ),
        (
            "incomplete_steps.yaml",
            [
                (7, "step 'step1': missing required key 'agent'"),
                (13, "step #2 (no id): missing required key 'id'"),
            ],
        ),
        (
            "invalid_agent.yaml",
            [(14, "unknown agent 'nonexistent_agent'"), (19, "unknown agent 'fantasy_agent'")],
        ),
        ("missing_steps.yaml", [(1, "missing required section 'steps'")]),
    ],
)
def test_original_invalid_files_fail_with_the_right_messages(
    original_layout: Path, name: str, expected: list[tuple[int, str]]
) -> None:
    policy = WorkflowPolicy(root=original_layout)
    _, problems = check_workflow(original_layout / "workflows" / name, policy=policy)
    assert len(problems) == len(expected), [str(p) for p in problems]
    for problem, (line, message) in zip(problems, expected, strict=False):
        assert problem.line == line and message in problem.message


def test_step_options_are_checked_when_the_file_is_parsed(tmp_path: Path) -> None:
    text = HEADER + (
        "steps:\n"
        "  - id: ingest\n"
        "    agent: ingestion\n"
        "  - id: digest\n"
        "    agent: digest\n"
        "    input_from: ingest\n"
        "    config: {fromat: html, limt: 3, sentences: many, key_points: 99}\n"
    )
    messages = [(p.line, p.message) for p in problems_of(tmp_path, text)]
    assert (10, "step 'digest' config: unknown option 'fromat'; did you mean 'format'?") in messages
    assert (10, "step 'digest' config: unknown option 'limt'; did you mean 'limit'?") in messages
    assert (10, "step 'digest' config: sentences must be a whole number, not 'many'") in messages
    assert (10, "step 'digest' config: key_points must be <= 20, not 99") in messages


def test_templated_option_values_wait_for_the_task(tmp_path: Path) -> None:
    text = HEADER + (
        "steps:\n  - id: digest\n    agent: digest\n"
        '    config: {format: "{{ params.format }}", limit: "{{ params.limit }}"}\n'
    )
    assert problems_of(tmp_path, text) == []


def test_a_limit_above_the_deployment_is_refused(tmp_path: Path) -> None:
    from bluelabel.config import parse_settings

    text = HEADER + (
        "steps:\n  - id: ingest\n    agent: ingestion\n    config: {max_pages: 50000}\n"
    )
    settings = parse_settings({"max_pages": "20000"}, tmp_path)
    (problem,) = problems_of(tmp_path, text, settings=settings)
    assert problem.message == (
        "step 'ingest' config: max_pages = 50000 is above this deployment's limit 20000 "
        "([bluelabel] max_pages)"
    )


def test_a_duplicated_id_is_not_reported_as_a_cycle(tmp_path: Path) -> None:
    text = HEADER + (
        "steps:\n  - id: load\n    agent: ingestion\n"
        "  - id: load\n    agent: digest\n    input_from: load\n"
    )
    (problem,) = problems_of(tmp_path, text)
    assert problem.message.startswith("duplicate step id 'load'")


def test_agent_short_names_become_the_one_name(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(HEADER + "steps:\n  - id: a\n    agent: ingestion\n")
    assert load_workflow(path).steps[0].agent == "ingestion_agent"
