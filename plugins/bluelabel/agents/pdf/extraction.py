"""What a PDF extraction is asked to respect, and what it found besides the text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bluelabel.agents.sandbox.supervisor import ExtractionLimits

Backend = Literal["pdfium", "pypdf"]
__all__ = ["BACKENDS", "Backend", "ExtractionLimits", "PdfExtraction"]

BACKENDS: tuple[Backend, ...] = ("pdfium", "pypdf")


@dataclass
class PdfExtraction:
    """What extraction found besides the text itself (which went to the output file)."""

    page_count: int
    chars: int = 0  # OCR'd text included
    failed_pages: list[int] = field(default_factory=list)  # 1-based, the backend raised
    empty_pages: list[int] = field(default_factory=list)  # 1-based: damaged, blank or image
    truncated_pages: list[int] = field(default_factory=list)  # 1-based, cut at the page cap
    metadata: dict[str, Any] = field(default_factory=dict)
    outline: list[list[Any]] = field(default_factory=list)  # [level, title, page]
    encrypted: bool = False
    backend: Backend = "pdfium"
    repaired: bool = False
    #: pages read by OCR (1-based), and the characters they gave
    ocr_pages: list[int] = field(default_factory=list)
    ocr_chars: int = 0
    #: pages OCR was tried on and gave nothing: ``[page, why]`` (e.g. its time limit)
    ocr_failed: list[list[Any]] = field(default_factory=list)
    #: why no page could be OCR'd (no tesserocr, no language data), when OCR was asked for
    ocr_unavailable: str | None = None
    #: e.g. "tesseract 5.5.4", once it ran; pages it was tried on (text or not)
    ocr_engine: str | None = None
    ocr_tried: int = 0

    @property
    def ocr_attempted(self) -> bool:
        return self.ocr_tried > 0

    @property
    def text_layer(self) -> bool:
        """The PDF holds text of its own (OCR'd pages do not count)."""
        return self.chars - self.ocr_chars > 0
