"""OCR of PDF pages without a text layer, inside the extraction worker.

A page that yields no text but draws something (a scanned image) is rendered by PDFium in
grey at ``[bluelabel] ocr_dpi`` (and never above :data:`MAX_PIXELS`, so a poster-sized page
cannot take the memory) and read by Tesseract through tesserocr, its C++ API in process, with
a deadline per page (``[bluelabel] ocr_page_timeout``). The worker's heap cap and the
supervisor's memory watch and ingest deadline cover it like any other page. Without tesserocr
or without the language data, nothing is OCR'd and the reason is reported once.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass
from typing import Any

#: Largest bitmap rendered for OCR (grey, one byte a pixel): 40 MB.
MAX_PIXELS = 40_000_000
#: Where Debian, Fedora, Homebrew and source builds put Tesseract's language data.
TESSDATA_PLACES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
_LANGUAGES = re.compile(r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")


@dataclass(frozen=True)
class OcrConfig:
    """What the supervisor hands each block job (``asdict`` of it, as JSON)."""

    languages: str = "eng"
    tessdata: str = ""
    dpi: int = 200
    page_timeout: float = 60.0

    def to_job(self) -> dict[str, Any]:
        return asdict(self)


def find_tessdata(config: OcrConfig) -> tuple[str | None, str | None]:
    """``(folder, None)`` holding every language's ``.traineddata``, else ``(None, why)``."""
    if not _LANGUAGES.match(config.languages):
        return None, f"[bluelabel] ocr_languages = {config.languages!r} is not like eng+deu"
    languages = config.languages.split("+")
    places = [config.tessdata] if config.tessdata else list(TESSDATA_PLACES)
    for place in places:
        if all(os.path.isfile(os.path.join(place, f"{lang}.traineddata")) for lang in languages):
            return place, None
    where = config.tessdata or ", ".join(TESSDATA_PLACES)
    return None, (
        f"no Tesseract language data for {config.languages} in {where} (Debian: apt-get install "
        f"{' '.join('tesseract-ocr-' + lang for lang in languages)}; or set "
        "[bluelabel] ocr_tessdata)"
    )


def ocr_status(config: OcrConfig) -> tuple[str | None, str | None]:
    """``(engine, None)`` when OCR can run (e.g. ``"tesseract 5.5.4"``), else ``(None, why)``."""
    try:
        import tesserocr
    except ImportError:
        return None, "tesserocr is not installed (pip install 'bluelabel-airflow[ocr]')"
    folder, why = find_tessdata(config)
    if folder is None:
        return None, why
    return f"tesseract {tesserocr.PyTessBaseAPI.Version()}", None


class PageReader:
    """Reads pages of one open PDF with Tesseract; the engine starts on the first page."""

    def __init__(self, config: OcrConfig) -> None:
        self.config = config
        self._api: Any = None
        #: why OCR cannot run here (reported once), or None
        self.unavailable: str | None = None
        self.engine: str | None = None
        #: pages OCR was tried on
        self.tried = 0
        self._started = False

    def _engine(self) -> Any:
        if not self._started:
            self._started = True
            engine, why = ocr_status(self.config)
            self.engine = engine
            if engine is None:
                self.unavailable = why
            else:
                import tesserocr

                folder, _ = find_tessdata(self.config)
                try:
                    self._api = tesserocr.PyTessBaseAPI(path=folder, lang=self.config.languages)
                except RuntimeError as exc:
                    self.unavailable = f"Tesseract could not start: {exc}"
        return self._api

    def read(self, page: Any) -> tuple[str | None, str | None]:
        """``(text, None)`` for a pypdfium2 page, or ``(None, why)`` (timed out, unavailable)."""
        api = self._engine()
        if api is None:
            return None, self.unavailable
        self.tried += 1
        width, height = page.get_size()
        scale = self.config.dpi / 72
        if width * height * scale * scale > MAX_PIXELS:
            scale = math.sqrt(MAX_PIXELS / max(1.0, width * height))
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            pixels = bytes(bitmap.buffer)  # Tesseract does not copy: keep it alive meanwhile
            api.SetImageBytes(pixels, bitmap.width, bitmap.height, 1, bitmap.stride)
            if not api.Recognize(timeout=int(self.config.page_timeout * 1000)):
                api.Clear()
                return None, (
                    f"OCR stopped after {self.config.page_timeout:g} s "
                    "([bluelabel] ocr_page_timeout)"
                )
            text = api.GetUTF8Text()
            api.Clear()
        finally:
            bitmap.close()
        return text, None

    def read_page(self, pdf: Any, index: int) -> tuple[str | None, str | None]:
        """Page ``index`` of a pypdfium2 document: ``(text, None)``, ``(None, why not)``, or
        ``(None, None)`` for a blank page."""
        import pypdfium2 as pdfium

        try:
            page = pdf[index]
        except (pdfium.PdfiumError, OSError):
            return None, "PDFium cannot render the page"
        try:
            if not needs_ocr(page):
                return None, None
            return self.read(page)
        except pdfium.PdfiumError:
            return None, "PDFium cannot render the page"
        except RuntimeError as exc:  # tesserocr on an image it cannot take
            return None, f"Tesseract failed: {str(exc)[:200]}"
        finally:
            page.close()

    def close(self) -> None:
        if self._api is not None:
            self._api.End()
            self._api = None


def needs_ocr(page: Any) -> bool:
    """A page without text that draws something (a blank page is left alone)."""
    import pypdfium2.raw as pdfium_c

    return bool(pdfium_c.FPDFPage_CountObjects(page.raw) > 0)
