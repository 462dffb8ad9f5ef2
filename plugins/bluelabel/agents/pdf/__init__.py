"""PDF text extraction: page by page from the file, in supervised worker processes.

``checks``: what is refused before a backend sees the file. ``extract``: the supervisor
(memory bound, deadline, page blocks shared out between workers). ``worker``: the process
that runs PDFium (default, fast, correct CJK) or pypdf (pure Python; also the repair path for
files PDFium rejects). ``metadata``: document information as plain metadata.
"""

from __future__ import annotations

from bluelabel.agents.pdf.checks import check_pdf_file
from bluelabel.agents.pdf.extract import extract_pdf_text
from bluelabel.agents.pdf.extraction import BACKENDS, Backend, ExtractionLimits, PdfExtraction
from bluelabel.agents.pdf.ocr import OcrConfig

__all__ = [
    "BACKENDS",
    "Backend",
    "ExtractionLimits",
    "OcrConfig",
    "PdfExtraction",
    "check_pdf_file",
    "extract_pdf_text",
]
