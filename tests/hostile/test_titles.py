"""Hostile titles: the title chosen at ingest is read from a bounded opening of the text and
cleaned, whatever the document's metadata or first lines hold."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bluelabel.agents import AgentContext, AgentInput
from tests.conftest import run_agent


def ingest(context: AgentContext, kind: str, path: Path) -> dict[str, Any]:
    request = AgentInput(task_type=kind, source="test", content={"file_path": str(path)})  # type: ignore[arg-type]
    return run_agent("ingestion_agent", request, context)


def shown(title: str) -> bool:
    """No control, format (bidi override, zero-width) or line-breaking character."""
    return not any(unicodedata.category(ch)[0] == "C" or ch in "\n\r\u2028" for ch in title)


def test_a_megabyte_line_without_newline_is_no_title(context: AgentContext, tmp_path: Path) -> None:
    path = tmp_path / "one-line.txt"
    path.write_text("Word " * 1_000_000)  # 5 MB, no line break, no sentence end
    started = time.monotonic()
    result = ingest(context, "text", path)
    assert time.monotonic() - started < 60  # generous: the title reads 64,000 characters
    assert (result["title"], result["metadata"]["title_from"]) == ("one-line", "file name")


def test_a_heading_of_a_hundred_thousand_marks(context: AgentContext, tmp_path: Path) -> None:
    path = tmp_path / "marks.md"
    path.write_text("#" * 100_000 + " Title\n\nThe body says what the notes are about today.\n")
    result = ingest(context, "text", path)
    assert len(result["title"]) <= 200 and shown(result["title"])


def test_metadata_title_with_bidi_overrides_and_a_megabyte_is_cleaned(
    context: AgentContext, make_pdf: Callable[..., Path]
) -> None:
    hostile = "\u202eevil\u200b\u0007 report\n" + "A" * 1_000_000
    path = make_pdf("x.pdf", pages=2, metadata={"Title": hostile, "Author": "\u200b(anonymous)"})
    result = ingest(context, "pdf", path)
    title = result["title"]
    assert title.startswith("evil report") and len(title) <= 200 and shown(title)
    assert "author" not in result["metadata"]


def test_first_lines_of_control_characters_are_no_title(
    context: AgentContext, tmp_path: Path
) -> None:
    path = tmp_path / "controls.txt"
    path.write_text(
        "\u202e\u200b\u0007\n\u2028\u2029\n\x0b\x0c\nThe note itself is a sentence here.\n"
    )
    result = ingest(context, "text", path)
    assert result["title"] == "controls" and shown(result["title"])
