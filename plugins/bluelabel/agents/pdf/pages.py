"""PDF pages in the sandbox's worker (:mod:`bluelabel.agents.sandbox.worker`): PDFium (default,
fast, correct CJK) or pypdf (pure Python; also the repair path for files PDFium rejects).

``{"op": "open", "path", "password", "backend", "device", "inode", "outline"}``
    -> ``{"ok": "open", "page_count", "metadata", "encrypted", "backend", "repaired", "outline"}``
``{"op": "block", "index", "first", "last", "out", "ocr"}``  (pages ``[first, last)`` into
``out``; ``ocr``: an :class:`~bluelabel.agents.pdf.ocr.OcrConfig`, or null)
    -> ``{"ok": "block", "index", "chars", "failed", "empty", "truncated", "ocr",
    "ocr_failed", "ocr_chars", "ocr_unavailable"}``
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, TextIO

from bluelabel.agents.pdf.metadata import normalise_metadata
from bluelabel.agents.pdf.ocr import OcrConfig, PageReader
from bluelabel.agents.sandbox.worker import WorkerError, check_identity

PAGE_SEPARATOR = "\f"
#: More characters than any real page holds; a page past it is cut there, with a warning.
MAX_PAGE_CHARS = 1_000_000
MAX_OUTLINE_DEPTH = 4
# PDFium writes soft hyphens as U+FFFE; one at a line end joins the word across the break.
_SOFT_HYPHEN_BREAK = re.compile("\ufffe\r?\n")


def clean_page_text(text: str) -> str:
    """Normalise PDFium output: soft hyphens, CRLF, stray NULs."""
    text = _SOFT_HYPHEN_BREAK.sub("", text).replace("\ufffe", "")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


# ------------------------------------------------------------------------------ backends
class _PdfiumDocument:
    backend = "pdfium"

    def __init__(self, path: str, password: str | None) -> None:
        import pypdfium2 as pdfium

        self._pdfium = pdfium
        try:
            self.pdf = pdfium.PdfDocument(path, password=password)
        except pdfium.PdfiumError as exc:
            code = getattr(exc, "err_code", None)
            if code == 4:  # FPDF_ERR_PASSWORD
                raise WorkerError("password", "wrong" if password else "missing") from None
            if code == 5:  # FPDF_ERR_SECURITY
                raise WorkerError(
                    "security", "encrypted with an unsupported security handler"
                ) from None
            raise WorkerError("corrupt", "PDFium cannot open it") from None
        self.page_count = len(self.pdf)

    def metadata(self) -> dict[str, Any]:
        return normalise_metadata(self.pdf.get_metadata_dict(skip_empty=True))

    def encrypted(self, password: str | None) -> bool:
        import pypdfium2.raw as pdfium_c

        return bool(password) or pdfium_c.FPDF_GetSecurityHandlerRevision(self.pdf) != -1

    def outline(self) -> list[list[Any]]:
        from bluelabel.agents.pdf.outline import outline_from_pdfium

        return [[e.level, e.title, e.page] for e in outline_from_pdfium(self.pdf)]

    def page_text(self, index: int) -> tuple[str, bool]:
        """(text, truncated); raises on a page PDFium cannot read."""
        page = self.pdf[index]
        try:
            textpage = page.get_textpage()
            try:
                count = textpage.count_chars()
                text = textpage.get_text_range(0, min(count, MAX_PAGE_CHARS))
            finally:
                textpage.close()
        finally:
            page.close()
        return clean_page_text(text), count > MAX_PAGE_CHARS

    def page_errors(self) -> tuple[type[BaseException], ...]:
        return (self._pdfium.PdfiumError,)

    def rendering(self) -> Any:
        return self.pdf

    def close(self) -> None:
        self.pdf.close()


class _PypdfDocument:
    backend = "pypdf"

    def __init__(self, path: str, password: str | None) -> None:
        import pypdf

        self.path, self.password = path, password
        self._pdfium: Any = None
        from pypdf.errors import DependencyError, FileNotDecryptedError

        self._errors = _pypdf_errors()
        try:
            self.reader = pypdf.PdfReader(path, strict=False)
            self.is_encrypted = self.reader.is_encrypted
            if self.is_encrypted:
                try:
                    ok = self.reader.decrypt(password or "")
                except DependencyError:
                    raise WorkerError(
                        "security", "encrypted with AES: needs the 'cryptography' package"
                    ) from None
                if not ok:
                    raise WorkerError("password", "wrong" if password else "missing")
            self.page_count = len(self.reader.pages)
        except FileNotDecryptedError:
            raise WorkerError("password", "missing") from None
        except WorkerError:
            raise
        except self._errors as exc:
            raise WorkerError("corrupt", f"pypdf cannot read it ({type(exc).__name__})") from None
        if self.page_count == 0:
            raise WorkerError("input", "the PDF has no pages")

    def metadata(self) -> dict[str, Any]:
        try:
            info: dict[str, Any] = dict(self.reader.metadata or {})
            return normalise_metadata({str(k).lstrip("/"): v for k, v in info.items()})
        except self._errors:
            return {}

    def encrypted(self, password: str | None) -> bool:
        return bool(self.is_encrypted)

    def outline(self) -> list[list[Any]]:
        from bluelabel.agents.pdf.outline import OutlineEntry, bounded_outline

        def walk(items: Any, level: int) -> Iterator[OutlineEntry]:
            for item in items:
                if isinstance(item, list):
                    if level + 1 < MAX_OUTLINE_DEPTH:
                        yield from walk(item, level + 1)
                    continue
                try:
                    page = self.reader.get_destination_page_number(item)
                except self._errors:
                    page = None
                yield OutlineEntry(level, str(getattr(item, "title", "") or ""), page)

        try:
            entries = bounded_outline(walk(self.reader.outline, 0))
        except self._errors:
            return []
        return [[e.level, e.title, e.page] for e in entries]

    def page_text(self, index: int) -> tuple[str, bool]:
        from pypdf.errors import LimitReachedError

        try:
            text = self.reader.pages[index].extract_text() or ""
        except LimitReachedError as exc:  # pypdf's own guard against bombs: refuse the file
            raise WorkerError("limit", f"pypdf's safety limit: {exc}") from None
        return text[:MAX_PAGE_CHARS], len(text) > MAX_PAGE_CHARS

    def page_errors(self) -> tuple[type[BaseException], ...]:
        return self._errors

    def rendering(self) -> Any:
        """The same file opened by PDFium, which renders pages for OCR."""
        if self._pdfium is None:
            import pypdfium2 as pdfium

            self._pdfium = pdfium.PdfDocument(self.path, password=self.password)
        return self._pdfium

    def close(self) -> None:
        self.reader.stream.close()
        if self._pdfium is not None:
            self._pdfium.close()


def _pypdf_errors() -> tuple[type[BaseException], ...]:
    from pypdf.errors import DependencyError, PyPdfError

    # pypdf's errors do not all derive from PyPdfError (measured here).
    return (
        PyPdfError,
        DependencyError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        UnicodeDecodeError,
        RecursionError,
        AssertionError,
        OSError,
        ZeroDivisionError,
    )


Document = _PdfiumDocument | _PypdfDocument


def _open(job: dict[str, Any]) -> tuple[Document, bool]:
    """(document, repaired): PDFium first (unless pypdf is asked for), then pypdf for files
    PDFium rejects as damaged -- it repairs some of them."""
    path, password = job["path"], job.get("password")
    check_identity(job)
    if job.get("backend") == "pypdf":
        return _PypdfDocument(path, password), False
    try:
        return _PdfiumDocument(path, password), False
    except WorkerError as exc:
        if exc.kind != "corrupt":
            raise
        try:
            return _PypdfDocument(path, password), True
        except WorkerError as second:
            if second.kind == "corrupt":
                raise exc from None
            raise


def _write_block(
    doc: Document, first: int, last: int, out: TextIO, reader: PageReader | None = None
) -> dict[str, Any]:
    chars = 0
    failed: list[int] = []
    empty: list[int] = []
    truncated: list[int] = []
    ocr_pages: list[int] = []
    ocr_failed: list[list[Any]] = []
    ocr_chars = 0
    tried = reader.tried if reader is not None else 0
    for index in range(first, last):
        try:
            text, cut = doc.page_text(index)
        except (MemoryError, WorkerError):
            raise
        except doc.page_errors():
            failed.append(index + 1)
            text, cut = "", False
        if reader is not None and not text.strip() and index + 1 not in failed:
            read, why = reader.read_page(doc.rendering(), index)
            if read is not None and read.strip():
                text = clean_page_text(read).strip()
                ocr_pages.append(index + 1)
                ocr_chars += len(text)
            elif why is not None and reader.unavailable is None:
                ocr_failed.append([index + 1, why])
        if cut:
            truncated.append(index + 1)
        if index:
            out.write(PAGE_SEPARATOR)
        out.write(text)
        page_chars = len(text.strip())
        if not page_chars:
            empty.append(index + 1)
        chars += page_chars
    return {
        "chars": chars,
        "failed": failed,
        "empty": empty,
        "truncated": truncated,
        "ocr": ocr_pages,
        "ocr_failed": ocr_failed,
        "ocr_chars": ocr_chars,
        "ocr_unavailable": reader.unavailable if reader is not None else None,
        "ocr_engine": reader.engine if reader is not None else None,
        "ocr_tried": reader.tried - tried if reader is not None else 0,
    }


def open_document(job: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
    """``open``: the document, kept in the session for the blocks that follow."""
    doc, repaired = _open(job)
    session["document"] = doc
    return {
        "page_count": doc.page_count,
        "metadata": doc.metadata(),
        "encrypted": doc.encrypted(job.get("password")),
        "backend": doc.backend,
        "repaired": repaired,
        "outline": doc.outline() if job.get("outline") else [],
    }


def read_block(job: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
    """``block``: pages ``[first, last)`` of the open document into ``out``."""
    doc: Document | None = session.get("document")
    if doc is None:
        raise WorkerError("internal", "a block was asked for before the document was opened")
    reader: PageReader | None = session.get("reader")
    if job.get("ocr") and reader is None:
        reader = session["reader"] = PageReader(OcrConfig(**job["ocr"]))
    with open(job["out"], "w", encoding="utf-8") as out:
        tally = _write_block(doc, job["first"], job["last"], out, reader)
    return {"index": job["index"], **tally}
