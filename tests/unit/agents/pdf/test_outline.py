"""PDF outlines read through PDFium, bounded however the outline is built."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from bluelabel.agents.pdf.outline import (
    MAX_TITLE_CHARS,
    OutlineEntry,
    bounded_outline,
    clean_title,
    outline_from_pdfium,
)
from devtools.samples import build_pdf


def pdf_with_outline(tmp_path: Path, build: object) -> Path:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(build_pdf(["one", "two", "three"]))))
    build(writer)  # type: ignore[operator]
    path = tmp_path / "outlined.pdf"
    with path.open("wb") as sink:
        writer.write(sink)
    return path


def read(path: Path, **limits: int) -> list[OutlineEntry]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return outline_from_pdfium(pdf, **limits)
    finally:
        pdf.close()


def test_nested_outline_with_pages(tmp_path: Path) -> None:
    def build(writer: PdfWriter) -> None:
        intro = writer.add_outline_item(title="1 Introduction", page_number=0)
        writer.add_outline_item(title="1.1 History", page_number=1, parent=intro)
        writer.add_outline_item(title="2 Usage", page_number=2)

    assert read(pdf_with_outline(tmp_path, build)) == [
        OutlineEntry(0, "1 Introduction", 0),
        OutlineEntry(1, "1.1 History", 1),
        OutlineEntry(0, "2 Usage", 2),
    ]


def test_depth_entries_and_title_length_are_bounded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def build(writer: PdfWriter) -> None:
        parent = None
        for depth in range(8):
            parent = writer.add_outline_item(title=f"Level {depth}", page_number=0, parent=parent)
        for n in range(300):
            writer.add_outline_item(title=f"Entry {n} " + "long title " * 40, page_number=1)

    path = pdf_with_outline(tmp_path, build)
    entries = read(path, max_depth=3)
    assert [e.title for e in entries[:3]] == ["Level 0", "Level 1", "Level 2"]
    assert max(e.level for e in entries) == 2
    assert len(entries) == 200
    assert all(len(e.title) <= MAX_TITLE_CHARS for e in entries)
    assert len(read(path, max_entries=10)) == 10
    assert "Maximum recursion depth" not in caplog.text  # the bound is asked for: no warning


def test_cyclic_outline_ends(tmp_path: Path) -> None:
    def build(writer: PdfWriter) -> None:
        first = writer.add_outline_item(title="First", page_number=0)
        second = writer.add_outline_item(title="Second", page_number=1)
        # the last bookmark's /Next points back at the first: a loop for a naive reader
        second.get_object()[NameObject("/Next")] = first
        first.get_object()[NameObject("/Prev")] = second

    entries = read(pdf_with_outline(tmp_path, build))
    assert [e.title for e in entries][:2] == ["First", "Second"]
    assert len(entries) <= 4


def test_pdf_without_outline(tmp_path: Path) -> None:
    path = tmp_path / "plain.pdf"
    path.write_bytes(build_pdf(["only text"]))
    assert read(path) == []


def test_titles_are_cleaned() -> None:
    assert clean_title("  A\x00title\nwith\tbreaks  ") == "A title with breaks"
    assert clean_title("x" * 500).endswith("…")
    kept = bounded_outline(
        [OutlineEntry(0, "  ", 1), OutlineEntry(9, "deep", 1), OutlineEntry(1, "ok")]
    )
    assert kept == [OutlineEntry(1, "ok", None)]
