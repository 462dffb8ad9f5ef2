"""One title per document, chosen once at ingest, and no placeholder shown as data.

The title is the document's own (PDF or Word metadata, an HTML title) unless that is a
placeholder, else its first heading, else its file name (the first line, for inline text);
the record keeps it, and the digest shows the record's title, as the list and search do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.agents.pdf.metadata import is_placeholder, normalise_metadata
from bluelabel.store import DocumentRecord
from tests.conftest import run_agent

LOREM = "dolor lorem sit tempor consectetur sit adipiscing amet sed do elit"
PROSE = (
    "Glaciers store about seventy percent of the fresh water on Earth, and their retreat "
    "raises the sea level measurably every decade. Ice sheets in Greenland and Antarctica "
    "lose mass where warm ocean water reaches the base of their outlet glaciers. Satellite "
    "gravimetry has measured that loss month by month since the year two thousand and two."
)


def ingest(context: AgentContext, kind: str, content: dict[str, str], **config: Any) -> Any:
    request = AgentInput(task_type=kind, source="test", content=content, config=config)  # type: ignore[arg-type]
    return run_agent("ingestion_agent", request, context)


def digest(context: AgentContext, content_ids: list[str]) -> dict[str, Any]:
    request = AgentInput(
        task_id="t",
        source="test",
        config={"format": "json", "content_ids": content_ids},
    )
    return json.loads(run_agent("digest_agent", request, context)["digest"])  # type: ignore[no-any-return]


def stress_pages(count: int) -> list[str]:
    """Pages like the bench's stress test: a numbered header, the title repeated, a page
    counter and a numbered list of lorem ipsum (no sentence anywhere)."""
    return [
        f"Test Page {n}\nStress Test Document for Agent Execution Pipeline\nPage {n} of {count}\n"
        + "\n".join(f"{i}. {LOREM}" for i in range(1, 30))
        for n in range(1, count + 1)
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("author", "(anonymous)"),
        ("author", "anonymous"),
        ("subject", "(unspecified)"),
        ("creator", "unspecified"),
        ("title", "untitled"),
        ("title", "Microsoft Word - report.docx"),
        ("title", "paper.dvi"),
        ("author", "Author"),
        ("keywords", " "),
    ],
)
def test_placeholders_are_recognised(key: str, value: str) -> None:
    assert is_placeholder(key, value)


def test_real_values_are_not_placeholders() -> None:
    assert not is_placeholder("author", "Ada Lovelace")
    assert not is_placeholder("title", "Unspecified behaviour in C")
    assert not is_placeholder("producer", "ReportLab PDF Library - www.reportlab.com")


def test_pdf_metadata_keeps_no_placeholder() -> None:
    metadata = normalise_metadata(
        {
            "Title": "(anonymous)",
            "Author": "(anonymous)",
            "Subject": "(unspecified)",
            "Creator": "(unspecified)",
            "Producer": "ReportLab PDF Library - www.reportlab.com",
        }
    )
    assert metadata == {"producer": "ReportLab PDF Library - www.reportlab.com"}


def test_pdf_with_placeholder_metadata_takes_its_first_heading(
    context: AgentContext, make_pdf: Callable[..., Path]
) -> None:
    path = make_pdf(
        "big-15k.pdf",
        pages=stress_pages(12),
        metadata={"Title": "untitled", "Author": "anonymous", "Subject": "unspecified"},
    )
    result = ingest(context, "pdf", {"file_path": str(path)})
    assert result["title"] == "Stress Test Document for Agent Execution Pipeline"
    assert result["metadata"]["title_from"] == "heading"
    assert "author" not in result["metadata"] and "subject" not in result["metadata"]
    record = context.store.get(result["content_id"])
    assert record is not None and record.title == result["title"]


def test_pdf_metadata_title_wins_and_the_option_over_it(
    context: AgentContext, make_pdf: Callable[..., Path]
) -> None:
    path = make_pdf("a.pdf", pages=stress_pages(3), metadata={"Title": "Load test"})
    assert ingest(context, "pdf", {"file_path": str(path)})["title"] == "Load test"
    other = make_pdf("b.pdf", pages=stress_pages(4), metadata={"Title": "Load test"})
    result = ingest(context, "pdf", {"file_path": str(other)}, title="Mine")
    assert (result["title"], result["metadata"]["title_from"]) == ("Mine", "option")


def test_pdf_of_prose_without_heading_keeps_its_file_name(
    context: AgentContext, make_pdf: Callable[..., Path]
) -> None:
    path = make_pdf("glacier-notes.pdf", pages=[PROSE, PROSE.replace("Glaciers", "Ice caps")])
    result = ingest(context, "pdf", {"file_path": str(path)})
    assert (result["title"], result["metadata"]["title_from"]) == ("glacier-notes", "file name")


def test_markdown_file_takes_its_heading(context: AgentContext, tmp_path: Path) -> None:
    path = tmp_path / "release.md"
    path.write_text("# Release checklist\n\nTag the release only after every test passes.\n")
    result = ingest(context, "text", {"file_path": str(path)})
    assert (result["title"], result["metadata"]["title_from"]) == ("Release checklist", "heading")


def test_text_file_of_prose_keeps_its_file_name(context: AgentContext, tmp_path: Path) -> None:
    path = tmp_path / "glacier-notes.txt"
    path.write_text(PROSE + "\n")
    assert ingest(context, "text", {"file_path": str(path)})["title"] == "glacier-notes"


def test_digest_shows_the_record_title_and_no_placeholder(
    context: AgentContext, make_pdf: Callable[..., Path]
) -> None:
    path = make_pdf("notes.pdf", pages=[PROSE] * 2, metadata={"Title": "Ice", "Author": "Ada"})
    result = ingest(context, "pdf", {"file_path": str(path)})
    record = context.store.get(result["content_id"])
    assert record is not None
    # a record stored before ingest dropped placeholders, and a title it had chosen then
    old = DocumentRecord(
        **{
            **record.to_dict(),
            "content_id": "0" * 32,
            "title": "old-file-name",
            "metadata": {**record.metadata, "subject": "(unspecified)", "creator": "unknown"},
        }
    )
    context.store.put(old, context.store.read_text(record.content_id))
    items = digest(context, [record.content_id, old.content_id])["items"]
    assert [i["title"] for i in items] == ["Ice", "old-file-name"]
    assert items[1]["metadata"]["author"] == "Ada"
    assert "subject" not in items[1]["metadata"] and "creator" not in items[1]["metadata"]


def test_at_a_glance_never_repeats_the_title(context: AgentContext) -> None:
    text = "Piped text about glaciers and ice sheets.\n" + PROSE
    first = ingest(context, "text", {"text": text})
    assert first["title"] == "Piped text about glaciers and ice sheets."
    second = ingest(context, "text", {"text": "Sea ice notes\n\n" + PROSE.replace("Earth", "land")})
    request = AgentInput(
        task_id="t",
        source="test",
        config={"format": "markdown", "content_ids": [first["content_id"], second["content_id"]]},
    )
    markdown = run_agent("digest_agent", request, context)["digest"]
    glance = markdown.split("At a glance", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in glance.splitlines() if line.startswith("- ")]
    assert len(rows) == 2
    for row in rows:
        title, _, gist = row[2:].partition(": ")
        assert gist and not gist.lower().startswith(title.lower().rstrip("."))


def test_text_of_only_furniture_says_so(
    context: AgentContext, make_pdf: Callable[..., Path]
) -> None:
    path = make_pdf("stress.pdf", pages=stress_pages(10))
    result = ingest(context, "pdf", {"file_path": str(path)})
    (item,) = digest(context, [result["content_id"]])["items"]
    assert item["summary"].startswith("The text holds no sentences to summarise")
    assert "Test Page" not in item["summary"] and "Test Page" not in item["gist"]
    assert item["key_points"] == []
