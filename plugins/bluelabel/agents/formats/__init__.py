"""Document formats besides PDF: which kind a file or a MIME part is, and reading one within
its byte limit. ``html``: an HTML document's text in its charset; ``docx``: Word documents
(a ZIP archive, checked before anything is unpacked; read in the supervised worker)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Literal

from bluelabel.agents.files import LocalFile
from bluelabel.errors import LimitExceeded

DocumentKind = Literal["pdf", "text", "html", "docx", "email"]
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ".rst"})
#: What each file suffix holds (a suffix not listed is no document Bluelabel reads).
SUFFIX_KINDS: dict[str, DocumentKind] = {
    ".pdf": "pdf",
    **{suffix: "text" for suffix in sorted(TEXT_SUFFIXES)},
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".eml": "email",
}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: What each MIME type holds (email attachments without a telling file name).
MIME_KINDS: dict[str, DocumentKind] = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "text/plain": "text",
    "text/markdown": "text",
    "text/html": "html",
    "application/xhtml+xml": "html",
    DOCX_TYPE: "docx",
    "message/rfc822": "email",
}


def kind_of(name: str | None, content_type: str | None = None) -> DocumentKind | None:
    """The kind of a document named ``name`` (its suffix first, then its MIME type)."""
    if name:
        kind = SUFFIX_KINDS.get(PurePath(name).suffix.lower())
        if kind is not None:
            return kind
    return MIME_KINDS.get((content_type or "").lower())


def read_document(file: LocalFile, *, limit: int, source: str, setting: str) -> bytes:
    """The bytes of ``file``, refused (naming ``setting``) when there are more than ``limit``."""
    if file.size > limit:
        raise LimitExceeded(
            source,
            f"file is {file.size:,} bytes, over the {limit:,}-byte limit ([bluelabel] {setting})",
            setting=setting,
        )
    with file.open() as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:  # it grew since it was checked
        raise LimitExceeded(
            source,
            f"file is over the {limit:,}-byte limit ([bluelabel] {setting})",
            setting=setting,
        )
    return data


__all__ = [
    "DOCX_TYPE",
    "MIME_KINDS",
    "SUFFIX_KINDS",
    "TEXT_SUFFIXES",
    "DocumentKind",
    "kind_of",
    "read_document",
]
