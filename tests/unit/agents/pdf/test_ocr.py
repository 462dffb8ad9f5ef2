"""OCR of pages without a text layer: scanned PDFs made in code (text pages rendered to images
and back), mixed PDFs, the per-page time limit, and OCR that cannot run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.agents.pdf.ocr import OcrConfig, PageReader, ocr_status
from bluelabel.config import parse_settings
from bluelabel.store import KnowledgeStore
from devtools.samples import build_pdf, build_scanned_pdf, sample_pages, words_recovered
from tests.conftest import run_agent


def ingest(context: AgentContext, path: Path) -> dict[str, Any]:
    return run_agent("ingestion", AgentInput(content={"file_path": str(path)}), context)


def test_scanned_pdf_is_read_by_ocr(context: AgentContext, tmp_path: Path) -> None:
    pages = sample_pages(4)
    path = tmp_path / "scan.pdf"
    path.write_bytes(build_scanned_pdf(pages))
    result = ingest(context, path)
    assert result["text_layer"] is False
    assert result["metadata"]["ocr_pages"] == [1, 2, 3, 4]
    assert result["metadata"]["ocr"]["languages"] == "eng"
    assert result["metadata"]["ocr"]["engine"].startswith("tesseract ")
    text = context.store.read_text(result["content_id"])
    assert text.count("\f") == 3  # one page each, as for a text PDF
    assert words_recovered("\n".join(pages), text) >= 0.95
    assert "4 of 4 pages read by OCR" in result["warnings"][0]


def test_mixed_pdf_ocrs_only_the_pages_without_text(context: AgentContext, tmp_path: Path) -> None:
    import pypdf

    pages = sample_pages(3)
    text_pdf = pypdf.PdfReader(_write(tmp_path / "t.pdf", build_pdf(pages)))
    scanned = pypdf.PdfReader(_write(tmp_path / "s.pdf", build_scanned_pdf(pages)))
    mixed = pypdf.PdfWriter()
    mixed.add_page(text_pdf.pages[0])
    mixed.add_page(scanned.pages[1])
    mixed.add_page(text_pdf.pages[2])
    path = tmp_path / "mixed.pdf"
    with path.open("wb") as out:
        mixed.write(out)
    result = ingest(context, path)
    assert result["text_layer"] is True
    assert result["metadata"]["ocr_pages"] == [2]
    first, second, third = context.store.read_text(result["content_id"]).split("\f")
    assert first.startswith("Page 1.") and third.startswith("Page 3.")
    assert words_recovered(pages[1], second) >= 0.95


def test_blank_pages_are_not_ocrd(context: AgentContext, tmp_path: Path) -> None:
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(612, 792)
    path = tmp_path / "blank.pdf"
    with path.open("wb") as out:
        writer.write(out)
    result = ingest(context, path)
    assert "ocr_pages" not in result["metadata"]
    assert result["warnings"] == [
        "no text layer (scanned or image-only PDF): nothing to summarise; OCR it first"
    ]


def test_without_language_data_ingestion_says_ocr_is_unavailable(
    tmp_path: Path, store: KnowledgeStore
) -> None:
    empty = tmp_path / "no-tessdata"
    empty.mkdir()
    settings = parse_settings({"ocr_tessdata": str(empty)}, tmp_path)
    context = AgentContext(store=store, settings=settings)
    path = tmp_path / "scan.pdf"
    path.write_bytes(build_scanned_pdf(sample_pages(1)))
    result = ingest(context, path)
    assert result["text_layer"] is False and result["content_length"] == 0
    (warning,) = result["warnings"]
    assert "nothing to summarise; OCR is unavailable: no Tesseract language data for eng" in warning
    assert "tesseract-ocr-eng" in warning


def test_ocr_languages_empty_turns_ocr_off(tmp_path: Path, store: KnowledgeStore) -> None:
    context = AgentContext(store=store, settings=parse_settings({"ocr_languages": ""}, tmp_path))
    path = tmp_path / "scan.pdf"
    path.write_bytes(build_scanned_pdf(sample_pages(1)))
    result = ingest(context, path)
    assert result["warnings"][0].endswith("nothing to summarise; OCR it first")


def test_without_tesserocr_ocr_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tesserocr", None)  # import fails as when not installed
    engine, why = ocr_status(OcrConfig())
    assert engine is None and why is not None and "pip install 'bluelabel-airflow[ocr]'" in why


def test_language_names_are_checked() -> None:
    engine, why = ocr_status(OcrConfig(languages="../../etc/passwd"))
    assert engine is None and why is not None and "is not like eng+deu" in why


def test_a_page_over_its_time_limit_is_reported(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(build_scanned_pdf(sample_pages(1)))
    reader = PageReader(OcrConfig(page_timeout=0.001))
    try:
        text, why = reader.read_page(pdf, 0)
    finally:
        reader.close()
        pdf.close()
    assert text is None and why == "OCR stopped after 0.001 s ([bluelabel] ocr_page_timeout)"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
