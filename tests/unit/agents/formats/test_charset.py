"""Charsets named by untrusted input: every name either gives a text codec or none, and each
reader that decodes with a declared charset (web responses, HTML files, email parts) reads
the text whatever the name is."""

from __future__ import annotations

import pytest

from bluelabel.agents.formats.charset import decode_declared, text_codec
from bluelabel.agents.formats.html import decode_html
from bluelabel.agents.mail.message import decode_text
from bluelabel.agents.web import decode_body

#: Not a text codec (LookupError on decode), not a name (ValueError), or a codec for host
#: names (UnicodeError with errors="replace"): found by fuzz/document_target.py.
HOSTILE = [
    "rot13",
    "zlib",
    "base64",
    "hex",
    "uu",
    "a\x00b",
    "\udcff",
    "idna",
    "punycode",
    "x-klingon",
    "",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_no_declaration(name: str) -> None:
    assert text_codec(name) is None
    data = "Café menu".encode()
    assert decode_declared(data, name) == "Café menu"
    assert decode_body(data, name) == "Café menu"
    assert decode_text(data, name) == ("Café menu", None)
    assert "Café menu" in decode_html(b"<p>" + data + b"</p>", name)
    if name.isascii():  # as the document's own declaration
        meta = f'<html><head><meta charset="{name}"></head><body><p>Café menu</p></body>'
        assert "Café menu" in decode_html(meta.encode())


def test_real_charsets_are_used() -> None:
    assert text_codec("latin-1") == "iso8859-1" and text_codec("UTF8") == "utf-8"
    assert decode_declared("Café".encode("cp1252"), "windows-1252") == "Café"
    assert decode_text("Café".encode("latin-1"), "iso-8859-1") == ("Café", None)
    # bytes that are neither the declared charset nor UTF-8 are replaced, not refused
    assert decode_text(b"caf\xe9 \xff\xfe", "utf-16")[1] is None
    assert decode_text(b"\xff\xfe\xfd", "x-klingon") == (None, "unknown charset 'x-klingon'")
