"""What a file holds, from its first bytes, whatever its name says.

A step that takes only some kinds (``accept: [pdf]``) checks the content, so a ``.txt`` given
as the PDF is refused in one line saying what it is, and a PDF named ``.txt`` is read as one.
"""

from __future__ import annotations

import codecs
import re

from bluelabel.agents.files import LocalFile
from bluelabel.agents.formats import DocumentKind

#: Bytes read to decide (a PDF's header may follow up to 1,024 bytes of junk).
SNIFF_BYTES = 4096
PDF_WINDOW = 1024
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (.doc, .xls)"),
    (b"\x7fELF", "a program (ELF)"),
)
_EMAIL_HEADER = re.compile(
    r"^(?:from|received|return-path|message-id|date|subject|mime-version|to|"
    r"delivered-to|x-[\w-]+):[ \t]",
    re.IGNORECASE,
)


def _text(head: bytes) -> str | None:
    """``head`` as text when it is text (UTF-8, a last character possibly cut), else None."""
    if b"\x00" in head:
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(head, final=False)
    except UnicodeDecodeError:
        try:
            text = head.decode("cp1252")
        except UnicodeDecodeError:
            return None
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f")
    return text if controls <= len(text) // 100 else None


def sniff_bytes(head: bytes) -> tuple[DocumentKind | None, str]:
    """``(kind, what it is)`` of a file that starts with ``head``; kind None: nothing
    Bluelabel reads."""
    if not head:
        return None, "an empty file"
    if b"%PDF-" in head[:PDF_WINDOW]:
        return "pdf", "a PDF"
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in head or b"[Content_Types].xml" in head:
            return "docx", "a Word document (DOCX)"
        return None, "a ZIP archive"
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return None, what
    text = _text(head)
    if text is None:
        return None, "binary data"
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<!doctype html", "<html")) or "<html" in start[:PDF_WINDOW]:
        return "html", "an HTML page"
    if _EMAIL_HEADER.match(start):
        return "email", "an email message"
    return "text", "text"


def sniff(file: LocalFile) -> tuple[DocumentKind | None, str]:
    """:func:`sniff_bytes` of the file's first :data:`SNIFF_BYTES` bytes."""
    with file.open() as handle:
        return sniff_bytes(handle.read(SNIFF_BYTES))


__all__ = ["SNIFF_BYTES", "sniff", "sniff_bytes"]
