"""An inbox holding more files than one run may map (issue 20, item 8): with 1,100 files and
``max_files: 1100`` the listing used to exceed ``[core] max_map_length`` (1024) and fail the
whole run. Now ``max_files`` is capped by it at parse, trigger and run time; the oldest files
are listed, the rest wait for the next run, and the run says so."""

from __future__ import annotations

import logging
import os
import textwrap
import time
from pathlib import Path

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.config import parse_settings
from bluelabel.errors import AgentInputError
from bluelabel.store import KnowledgeStore
from bluelabel.workflow import WorkflowPolicy, check_workflow
from tests.conftest import run_agent

FILES = 1100


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,100 small text files, each a second older than the next (doc-0000 the oldest)."""
    folder = tmp_path_factory.mktemp("crowded") / "inbox"
    folder.mkdir()
    start = time.time() - 10 * FILES
    for n in range(FILES):
        path = folder / f"doc-{n:04d}.txt"
        path.write_text(f"Document {n} of a crowded inbox.\n")
        os.utime(path, (start + n, start + n))
    return folder


def context(tmp_path: Path, inbox: Path, **settings: int) -> AgentContext:
    return AgentContext(
        store=KnowledgeStore(tmp_path / "store"),
        settings=parse_settings({"inbox": str(inbox)}, tmp_path, **settings),  # type: ignore[arg-type]
        allowed_roots=[inbox],
        log=logging.getLogger("bluelabel.test.max_files"),
    )


def listing(ctx: AgentContext, **config: object) -> dict[str, object]:
    return run_agent("inbox_agent", AgentInput(config={"skip_known": False, **config}), ctx)


def test_more_than_max_map_length_is_refused_naming_airflows_setting(
    tmp_path: Path, crowded: Path
) -> None:
    with pytest.raises(AgentInputError, match=r"above this deployment's limit 1024 \(\[core\]"):
        listing(context(tmp_path, crowded), max_files=FILES)


def test_the_oldest_are_listed_and_the_rest_wait(
    tmp_path: Path, crowded: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "bluelabel.test.max_files"):
        result = listing(context(tmp_path, crowded), max_files=1024)
    items = result["items"]
    assert isinstance(items, list) and len(items) == 1024
    assert [i["content"]["inbox_file"] for i in items[:2]] == ["doc-0000.txt", "doc-0001.txt"]
    assert items[-1]["content"]["inbox_file"] == "doc-1023.txt"
    assert result["waiting"] == FILES - 1024
    [warning] = caplog.messages
    assert "76 more file(s) than one run takes (max_files = 1024)" in warning
    assert "wait for the next run" in warning


def test_a_lower_max_map_length_caps_the_default(tmp_path: Path, crowded: Path) -> None:
    """The default max_files (500) is more than a deployment allowing 10 mapped instances."""
    result = listing(context(tmp_path, crowded, max_map_length=10))
    assert len(result["items"]) == 10 and result["waiting"] == FILES - 10  # type: ignore[arg-type]


def test_the_next_run_takes_the_next_oldest(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(5):
        (inbox / f"n{n}.txt").write_text(f"note {n}\n")
        os.utime(inbox / f"n{n}.txt", (1_000_000 + n, 1_000_000 + n))
    ctx = context(tmp_path, inbox, max_map_length=2)
    first = listing(ctx)
    for item in first["items"]:  # type: ignore[attr-defined]
        run_agent("ingestion_agent", AgentInput.from_dict(item), ctx)
    second = listing(ctx)
    names = [[i["content"]["inbox_file"] for i in r["items"]] for r in (first, second)]  # type: ignore[attr-defined]
    assert names == [["n0.txt", "n1.txt"], ["n2.txt", "n3.txt"]]
    assert second["waiting"] == 1


def test_a_workflow_file_asking_for_more_is_refused_at_parse_time(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            workflow:
              name: Crowded
              version: "1"
            steps:
              - id: scan
                agent: inbox_agent
                config:
                  max_files: 1100
            """
        )
    )
    settings = parse_settings({}, tmp_path)
    _, problems = check_workflow(path, policy=WorkflowPolicy.from_settings(settings, tmp_path))
    [problem] = problems
    assert problem.line == 8
    assert "max_files = 1100 is above this deployment's limit 1024" in problem.message
    assert "[core] max_map_length" in problem.message
