"""HTML documents (files, email bodies and attachments): bytes to text in their charset, then
the main text as for web pages (:func:`~bluelabel.agents.html_text.html_to_text`)."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from bluelabel.agents.formats.charset import text_codec
from bluelabel.agents.html_text import html_pieces_to_text

_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Characters handed to the parser at a time.
_PIECE = 1 << 20


def decode_html(data: bytes, declared: str | None = None) -> str:
    """The text of an HTML document: its byte-order mark, else the charset declared for it
    (an email part's ``charset``), else its ``<meta charset>``, else UTF-8; bytes invalid in
    that charset become U+FFFD. Undeclared text that is not UTF-8 is read as Windows-1252,
    which is what browsers assume."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    meta = _META_CHARSET.search(data[:4096])
    charset = text_codec(declared) or text_codec(meta.group(1).decode("ascii") if meta else None)
    if charset is not None:
        return data.decode(charset, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _pieces(text: str) -> Iterator[str]:
    for start in range(0, len(text), _PIECE):
        yield text[start : start + _PIECE]


def html_document_text(data: bytes, declared: str | None = None) -> tuple[str | None, str]:
    """``(title, main text)`` of an HTML document given as bytes."""
    return html_pieces_to_text(_pieces(decode_html(data, declared)))
