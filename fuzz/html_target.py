"""Fuzz target: the HTML reader itself, in this process (the ingest runs it in the sandbox's
worker, where coverage cannot be seen), on arbitrary bytes: files and email parts (bytes in a
declared or sniffed charset) and web pages (text), fed whole and in small pieces.

Whatever the input: a ``(title, text)`` of strings, no exception; the text tidied (no line
with spaces at either end, no three newlines in a row); the batched tidying the same as
tidying the whole text. Any other outcome is a finding.
``python -m fuzz.html_target -max_total_time=600``
"""

from __future__ import annotations

import re
import sys

import atheris

from fuzz._common import REPO, seed_corpus

with atheris.instrument_imports():
    from bluelabel.agents import html_text
    from bluelabel.agents.formats.html import html_document_text
    from bluelabel.agents.html_text import html_pieces_to_text, html_to_text

CHARSETS = [None, "utf-8", "windows-1252", "utf-16", "shift_jis", "x-klingon", "rot13"]


def _tidy_whole(text: str) -> str:
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def test_one_input(data: bytes) -> None:
    if not data:
        return
    charset = CHARSETS[data[0] % len(CHARSETS)]
    body = data[1:]
    title, text = html_document_text(body, charset)
    assert title is None or (isinstance(title, str) and "\n" not in title), title
    assert isinstance(text, str)
    assert "\n\n\n" not in text and text == text.strip(), text[:200]
    page = body.decode("utf-8", errors="replace")
    whole = html_to_text(page)
    step = 1 + data[0] % 7  # the same page fed in small pieces: the same result
    pieces = html_pieces_to_text(page[i : i + step] for i in range(0, len(page), step))
    assert isinstance(whole[1], str) and isinstance(pieces[1], str)
    gathered = html_text._Pieces()
    for i in range(0, len(page), step):
        gathered.append(page[i : i + step])
    assert html_text._tidy(gathered) == _tidy_whole(page)


def seeds() -> dict[str, bytes]:
    page = (REPO / "tests" / "conftest.py").read_text()
    html = page[page.index('HTML_PAGE = b"""') + 16 : page.index('"""', page.index("HTML_PAGE"))]
    return {
        "page.html": b"\x00" + html.encode(),
        "cp1252.html": b"\x02<meta charset='windows-1252'><title>Caf\xe9</title><p>men\xfa</p>",
        "broken.html": b"\x01<!DOCTYPE x<![CDATA[ <p>a<br>b<div><main>c</main><!-- d",
        "deep.html": b"\x00" + b"<div>" * 200 + b"deep text" + b"</div>" * 3,
        "bom.html": b"\x03\xff\xfe<\x00p\x00>\x00h\x00i\x00",
    }


if __name__ == "__main__":
    corpus = seed_corpus(REPO / "build" / "fuzz" / "html", seeds())
    atheris.Setup([*sys.argv, str(corpus)], test_one_input)
    atheris.Fuzz()
