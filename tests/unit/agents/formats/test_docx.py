"""Word documents: paragraphs and tables in order, the title, and what is refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.agents.formats.docx import DocumentRefused, check_archive
from bluelabel.errors import IngestError, LimitExceeded
from devtools.samples import docx_bytes
from tests.conftest import run_agent


def ingest(context: AgentContext, path: Path) -> dict[str, object]:
    request = AgentInput(source="test", content={"file_path": str(path)})
    return run_agent("ingestion_agent", request, context)


def test_docx_text_is_what_the_document_holds(context: AgentContext, tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Budget 2026"
    document.add_heading("Budget", level=1)
    document.add_paragraph("The budget covers two halves of the year.")
    paragraph = document.add_paragraph("Costs are ")
    paragraph.add_run("bold").bold = True
    paragraph.add_run(" and plain, with an accent: café.")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["Item", "H1", "H2"], ["Rent", "10", "12"], ["Staff", "40", "41"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    merged = table.cell(2, 1).merge(table.cell(2, 2))
    merged.text = "81 in all"
    document.add_paragraph("After the table.")
    path = tmp_path / "budget.docx"
    document.save(str(path))

    result = ingest(context, path)
    assert result["content_type"] == "docx"
    assert result["title"] == "Budget 2026"
    expected = "\n".join(
        [
            "Budget",
            "The budget covers two halves of the year.",
            "Costs are bold and plain, with an accent: café.",
            "Item\tH1\tH2",
            "Rent\t10\t12",
            "Staff\t81 in all",  # a merged cell once
            "After the table.",
        ]
    )
    assert context.store.read_text(str(result["content_id"])) == expected
    assert ingest(context, path)["deduplicated"] is True


def test_title_falls_back_to_the_first_paragraph(context: AgentContext, tmp_path: Path) -> None:
    path = tmp_path / "memo.docx"
    path.write_bytes(docx_bytes(["", "Memo about the move", "We move on Monday."]))
    result = ingest(context, path)
    assert result["title"] == "Memo about the move"
    assert context.store.read_text(str(result["content_id"])) == (
        "Memo about the move\nWe move on Monday."
    )


def test_not_a_docx(context: AgentContext, tmp_path: Path) -> None:
    fake = tmp_path / "fake.docx"
    fake.write_text("just text")
    with pytest.raises(IngestError, match="not a ZIP archive, or a damaged one"):
        ingest(context, fake)
    other = tmp_path / "other.docx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("hello.txt", "a zip, but no Word document")
    with pytest.raises(IngestError, match=r"without word/document.xml"):
        ingest(context, other)
    empty = tmp_path / "empty.docx"
    empty.write_bytes(docx_bytes([]))
    with pytest.raises(IngestError, match="holds no text"):
        ingest(context, empty)


def test_unpacked_size_is_checked_before_unpacking(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w/>" * 1000)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        check_archive(archive, 4000)
        with pytest.raises(DocumentRefused, match="over the 3,999-byte limit"):
            check_archive(archive, 3999)


def test_unpacked_limit_names_its_setting(tmp_path: Path, store: object) -> None:
    from bluelabel.config import parse_settings

    settings = parse_settings({"max_unpacked_bytes": "20000"}, tmp_path)
    context = AgentContext(store=store, settings=settings)  # type: ignore[arg-type]
    path = tmp_path / "long.docx"
    path.write_bytes(docx_bytes(["A long paragraph of text. " * 100] * 20))
    with pytest.raises(LimitExceeded, match=r"\[bluelabel\] max_unpacked_bytes") as caught:
        ingest(context, path)
    assert caught.value.setting == "max_unpacked_bytes"
