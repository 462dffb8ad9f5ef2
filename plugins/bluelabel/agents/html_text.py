"""HTML to readable text: the title and the main text, without scripts, styles or markup."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser

_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas"}
_BOILERPLATE = {"nav", "header", "footer", "aside", "form", "button", "select"}
_MAIN = {"main", "article"}
_BLOCK = {
    "p",
    "div",
    "section",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "hr",
    "figcaption",
    "main",
    "article",
    "body",
}
_VOID = {
    "br",
    "hr",
    "img",
    "input",
    "meta",
    "link",
    "area",
    "base",
    "col",
    "embed",
    "source",
    "track",
    "wbr",
    "param",
}


#: Pieces of text gathered before they are joined into one string: html.parser hands over
#: a piece per tag, and 8 million pieces of "ab " kept apart took 1.6 GB.
_JOIN_EVERY = 4096


class _Pieces:
    """Text gathered a piece at a time, joined every :data:`_JOIN_EVERY` pieces."""

    def __init__(self) -> None:
        self.joined: list[str] = []
        self.pending: list[str] = []

    def append(self, piece: str) -> None:
        self.pending.append(piece)
        if len(self.pending) >= _JOIN_EVERY:
            self.joined.append("".join(self.pending))
            self.pending.clear()

    def chunks(self) -> list[str]:
        return [*self.joined, "".join(self.pending)]


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title_parts: list[str] = []
        self.all_parts = _Pieces()
        self.main_parts = _Pieces()
        self._stack: list[str] = []
        #: One string per tag name: html.parser makes a new one per tag, and a stack of 8
        #: million unclosed "p" took 400 MB of copies of "p".
        self._names: dict[str, str] = {}
        self._open: Counter[str] = Counter()  # the stack's tags, so an end tag is one look-up
        self._skip_depth = 0
        self._boiler_depth = 0
        self._main_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _VOID:
            if tag in _BLOCK:
                self._newline()
            return
        tag = self._names.setdefault(tag, tag)
        self._stack.append(tag)
        self._open[tag] += 1
        if tag in _SKIP:
            self._skip_depth += 1
        elif tag in _BOILERPLATE:
            self._boiler_depth += 1
        elif tag in _MAIN:
            self._main_depth += 1
        if tag in _BLOCK:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if not self._open[tag]:
            return
        while self._stack:  # close unclosed children too (lenient like browsers)
            open_tag = self._stack.pop()
            self._open[open_tag] -= 1
            if open_tag in _SKIP:
                self._skip_depth -= 1
            elif open_tag in _BOILERPLATE:
                self._boiler_depth -= 1
            elif open_tag in _MAIN:
                self._main_depth -= 1
            if open_tag == tag:
                break
        if tag in _BLOCK:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
            return
        if self._skip_depth or self._boiler_depth:
            return
        self.all_parts.append(data)
        if self._main_depth:
            self.main_parts.append(data)

    def _newline(self) -> None:
        self.all_parts.append("\n")
        if self._main_depth:
            self.main_parts.append("\n")


_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _line_batches(chunks: Iterable[str]) -> Iterator[list[str]]:
    """The lines of the concatenated ``chunks``, a chunk's worth at a time (a line running
    across chunks is gathered in a list, never by copying it again for each chunk)."""
    carry: list[str] = []
    for chunk in chunks:
        cut = chunk.rfind("\n")
        if cut < 0:
            carry.append(chunk)
            continue
        carry.append(chunk[:cut])
        yield "".join(carry).split("\n")
        carry = [chunk[cut + 1 :]]
    yield "".join(carry).split("\n")


def _tidy(pieces: _Pieces) -> str:
    """Each line's runs of spaces made one space and the line stripped, runs of blank lines
    made one, the whole stripped: ``"\n".join(lines)`` with ``\n{3,}`` made two, computed a
    batch of lines at a time so that millions of short lines never exist at once."""
    out = _Pieces()
    pending: int | None = None  # newlines since the last text (None: no text yet)
    for batch in _line_batches(pieces.chunks()):
        joined = "\n".join(_SPACES.sub(" ", line).strip() for line in batch)
        body = joined.strip("\n")
        if not body:
            if pending is not None:
                pending += len(joined) + 1
            continue
        lead = len(joined) - len(joined.lstrip("\n"))
        if pending is not None:
            out.append("\n" * min(2, pending + 1 + lead))
        out.append(_BLANK_LINES.sub("\n\n", body))
        pending = len(joined) - len(joined.rstrip("\n"))
    return "".join(out.chunks())


#: Declarations and marked sections other than comments (``<!DOCTYPE``, ``<![CDATA[``): they
#: hold no text, and html.parser's scanner asserts on malformed ones (found by fuzzing).
_DECLARATION = re.compile(r"<!(?!--)[^>]*>?")


#: The longest tag (or comment) waited for across pieces (an inline data: image is ~1 MB).
MAX_PENDING_CHARS = 2 << 20


def _feed(parser: _TextParser, data: str) -> None:
    try:
        parser.feed(data)
    except AssertionError:  # a malformed declaration cut across pieces: drop what is left
        parser.rawdata = ""


def html_to_text(html: str) -> tuple[str | None, str]:
    """Return ``(title, main text)``. Prefers ``<main>``/``<article>`` when they hold text."""
    return html_pieces_to_text((html,))


def html_pieces_to_text(pieces: Iterable[str]) -> tuple[str | None, str]:
    """:func:`html_to_text` of the concatenated ``pieces``, fed one at a time (a large file
    need not be one string besides its text)."""
    parser = _TextParser()
    skipping = False  # past a tag too long to wait for: dropping input up to its '>'
    for piece in pieces:
        piece = _DECLARATION.sub("", piece)
        if skipping:
            end = piece.find(">")
            if end < 0:
                continue
            piece, skipping = piece[end + 1 :], False
        _feed(parser, piece)
        # html.parser keeps an unfinished tag and rescans all of it on every feed: a tag
        # (or comment) still open after MAX_PENDING_CHARS is dropped, not waited for.
        if len(parser.rawdata) > MAX_PENDING_CHARS and parser.rawdata.startswith("<"):
            parser.rawdata, skipping = "", True
    # Left unparsed at the end: a tag or comment never closed (HTML drops it at the end of
    # the file), or a character reference still open (text: kept). html.parser's close()
    # would rescan the rest for each '<' in such a tail: 40,000 "<a " took minutes.
    if parser.rawdata.startswith("<"):
        parser.rawdata = ""
    with contextlib.suppress(AssertionError):
        parser.close()
    title = " ".join("".join(parser.title_parts).split()) or None
    main = _tidy(parser.main_parts)
    text = main if len(main) >= 200 else _tidy(parser.all_parts)
    return title, text
