"""Charsets named by untrusted input (an HTTP header, a ``<meta charset>``, a MIME part): the
one place that turns such a name into a codec Python can decode text with.

A declared name may be unknown (``x-klingon``), not a name at all (a NUL in it), or a codec
that is not a text encoding (``rot13``, ``zlib``, ``base64`` raise LookupError on
``bytes.decode``); ``idna`` and ``punycode`` decode host names, not documents, and fail
with ``errors="replace"``. All of these are treated as no declaration.
"""

from __future__ import annotations

import codecs

#: Text codecs that decode something else than documents.
_NOT_FOR_DOCUMENTS = frozenset({"idna", "punycode"})


def text_codec(name: str | None) -> str | None:
    """The codec a declared charset names, when it decodes documents; else None."""
    if not name:
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # unknown; a NUL or a lone surrogate in the name
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FOR_DOCUMENTS:
        return None
    return info.name


def decode_declared(data: bytes, charset: str | None, fallback: str = "utf-8") -> str:
    """``data`` in its declared charset, else in ``fallback``; invalid bytes become U+FFFD."""
    return data.decode(text_codec(charset) or fallback, errors="replace")
