"""A document's outline (PDF bookmarks) as small, bounded entries.

The outline of a hostile PDF can be huge, deep, cyclic or carry megabyte titles: reading stops
after ``max_entries``, below ``max_depth`` levels, and each title is cut to ``max_title_chars``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

MAX_OUTLINE_ENTRIES = 200
MAX_OUTLINE_DEPTH = 4
MAX_TITLE_CHARS = 120

_SPACE = re.compile(r"\s+")


class _DepthLimitFilter(logging.Filter):
    """pypdfium2 warns each time ``get_toc`` stops at ``max_depth``; here that is the bound
    asked for, not a problem worth a log line per document."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Maximum recursion depth" not in record.getMessage()


logging.getLogger("pypdfium2._helpers.document").addFilter(_DepthLimitFilter())


@dataclass(frozen=True)
class OutlineEntry:
    """One bookmark: its depth (0 = top level), its title, its 0-based page when known."""

    level: int
    title: str
    page: int | None = None


def clean_title(raw: str, max_chars: int = MAX_TITLE_CHARS) -> str:
    """A title fit to show: no control characters, single spaces, at most ``max_chars``."""
    text = "".join(
        " " if unicodedata.category(ch)[0] in "CZ" else ch for ch in raw[: max_chars * 4]
    )
    text = _SPACE.sub(" ", text).strip()
    if len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    return text


def bounded_outline(
    entries: Iterable[OutlineEntry],
    *,
    max_entries: int = MAX_OUTLINE_ENTRIES,
    max_depth: int = MAX_OUTLINE_DEPTH,
) -> list[OutlineEntry]:
    """``entries`` with blank titles and entries deeper than ``max_depth`` dropped, at most
    ``max_entries`` of them, titles cleaned."""
    kept: list[OutlineEntry] = []
    for entry in islice(entries, max_entries * 4):
        if entry.level >= max_depth:
            continue
        title = clean_title(entry.title)
        if title:
            kept.append(OutlineEntry(max(0, entry.level), title, entry.page))
        if len(kept) >= max_entries:
            break
    return kept


def outline_from_pdfium(
    pdf: Any,
    *,
    max_entries: int = MAX_OUTLINE_ENTRIES,
    max_depth: int = MAX_OUTLINE_DEPTH,
) -> list[OutlineEntry]:
    """The outline of an open ``pypdfium2.PdfDocument``, bounded (see module docstring).

    pypdfium2's ``get_toc`` stops at a bookmark it has already visited (a cycle) and below
    ``max_depth``; this also stops after ``max_entries`` bookmarks read, whatever their depth,
    so a wide or self-referencing outline costs bounded time. A bookmark that PDFium cannot
    read ends the outline there (what was read is kept).
    """
    entries = _pdfium_entries(pdf, max_entries * 4, max_depth)
    return bounded_outline(entries, max_entries=max_entries, max_depth=max_depth)


def _pdfium_entries(pdf: Any, limit: int, max_depth: int) -> Iterator[OutlineEntry]:
    import pypdfium2 as pdfium

    try:
        for bookmark in islice(pdf.get_toc(max_depth=max_depth), limit):
            page: int | None = None
            dest = bookmark.get_dest()
            if dest is not None:
                index = dest.get_index()
                page = index if isinstance(index, int) and index >= 0 else None
            yield OutlineEntry(int(bookmark.level), bookmark.get_title() or "", page)
    except pdfium.PdfiumError:
        return
