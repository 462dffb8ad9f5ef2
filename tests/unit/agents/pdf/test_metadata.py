"""PDFium's text cleaned up, PDF dates as ISO 8601."""

from __future__ import annotations

from bluelabel.agents.pdf.metadata import parse_pdf_date
from bluelabel.agents.pdf.pages import clean_page_text


def test_text_cleanup_and_dates() -> None:
    assert clean_page_text("docu\ufffe\r\nment\r\nline\ufffe") == "document\nline"
    assert parse_pdf_date("D:20250524120201-07'00'") == "2025-05-24T12:02:01-07:00"
    assert parse_pdf_date("D:20250524120201Z") == "2025-05-24T12:02:01+00:00"
    assert parse_pdf_date("garbage") == "garbage"
