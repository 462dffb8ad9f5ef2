"""The text model: what of a stored document is prose, and how it is laid out.

Stored text is what the extractor saw: page furniture (running headers and footers, page
numbers), tables of contents and indexes, bibliographies, code listings, table cells and
footnotes are all in it, one visual line per line, pages separated by form feeds. This
module drops those lines, rebuilds paragraphs from the visual lines and marks headings, so
that scoring only ever sees prose. Each rule is a small function of a line (and, for
furniture, of the lines at the same place on other pages): see ``lines``.

Time is linear in the text and bounded: documents longer than ``ANALYSED_CHARS`` are read in
full only where it is cheap (furniture); the prose model is built from the opening pages plus
pages spread evenly over the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bluelabel.agents.summarize.lines import (
    BULLET,
    LEADING_NUMBER,
    LISTING_NUMBER,
    SPACE,
    TERMINAL,
    TRAILING_NUMBER,
    drop_reason,
    furniture_key,
    heading_of,
    is_page_number,
    is_toc_line,
    joins_tight,
    normal_title,
    runs_on,
)
from bluelabel.agents.summarize.sections import (
    DROPPED_SECTIONS,
    REFERENCE_SECTIONS,
    TOC_SECTIONS,
    section_name,
)

#: Characters of the document the prose model reads (opening pages first, then a spread).
ANALYSED_CHARS = 250_000
#: Lines at the top and at the bottom of a page where running headers and footers live.
FURNITURE_LINES = 3
MAX_LINE_CHARS = 2_000

BlockKind = Literal["heading", "text"]


@dataclass(frozen=True)
class Block:
    """A heading or a paragraph of prose. ``page`` is 0-based; ``level`` 1 is a chapter."""

    kind: BlockKind
    text: str
    page: int
    level: int = 0


@dataclass
class TextModel:
    blocks: list[Block]
    page_count: int
    #: the first lines of the first page (title candidates), furniture removed
    first_lines: list[str]
    #: why lines were dropped: rule -> count
    dropped: Counter[str] = field(default_factory=Counter)
    #: True when only part of a long document was read for prose
    sampled: bool = False


# --- the model -------------------------------------------------------------------------------


def analysed_pages(pages: Sequence[str], budget: int = ANALYSED_CHARS) -> list[int]:
    """Indexes of the pages to read for prose: all of them when the text fits the budget,
    else the opening pages (half the budget) and pages spread evenly over the rest."""
    total = sum(len(p) for p in pages)
    if total <= budget:
        return list(range(len(pages)))
    chosen: list[int] = []
    used = 0
    index = 0
    while index < len(pages) and used < budget // 2:
        chosen.append(index)
        used += len(pages[index])
        index += 1
    rest = list(range(index, len(pages)))
    if rest:
        mean = max(1, sum(len(pages[i]) for i in rest) // len(rest))
        wanted = max(1, (budget - used) // mean)
        step = max(1, len(rest) // wanted)
        chosen.extend(rest[::step][:wanted])
    return chosen


def furniture(pages: Sequence[list[str]], indexes: Sequence[int]) -> tuple[set[str], int | None]:
    """The running headers and footers (line keys repeated at the top or bottom of many
    pages) and the offset of printed page numbers from page indexes, when one prevails."""
    if len(pages) < 3:
        return set(), None
    counts: Counter[str] = Counter()
    offsets: Counter[int] = Counter()
    for index, lines in zip(indexes, pages, strict=True):
        edge = lines[:FURNITURE_LINES] + lines[-FURNITURE_LINES:]
        counts.update({furniture_key(line) for line in edge})
        for line in (lines[0], lines[-1]) if len(lines) > 1 else lines:
            for pattern in (LEADING_NUMBER, TRAILING_NUMBER):
                found = pattern.search(line)
                if found:
                    offsets[int(found.group(1)) - index] += 1
    threshold = max(3, min(8, len(pages) // 5))
    repeated = {key for key, n in counts.items() if n >= threshold and key}
    offset = None
    if offsets:
        best, n = offsets.most_common(1)[0]
        offset = best if n >= max(3, len(pages) // 3) else None
    return repeated, offset


def _page_lines(page: str) -> list[str]:
    lines = []
    for raw in page.split("\n"):
        line = SPACE.sub(" ", raw[:MAX_LINE_CHARS]).strip()
        if line:
            lines.append(line)
    return lines


def _is_running_line(
    line: str, index: int, offset: int | None, repeated: set[str], width: int
) -> bool:
    if is_page_number(line):
        return True
    key = furniture_key(line)
    if key in repeated and not (len(line) >= 0.9 * width and not TERMINAL.search(line)):
        # (a full line that runs on is prose the pages repeat, not a running header)
        # the title page's first line is the title the headers repeat, unless it is numbered
        return index > 0 or "#" in key
    if offset is None:
        return False
    printed = str(index + offset)
    trailing = TRAILING_NUMBER.search(line)
    if trailing and trailing.group(1) == printed:
        return True
    leading = LEADING_NUMBER.match(line)
    rest = line[len(printed) :].strip()
    return bool(leading and leading.group(1) == printed and rest.isupper())


class _Builder:
    """Turns classified lines into blocks (paragraphs and headings)."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.page = 0

    @property
    def open(self) -> bool:
        return bool(self.parts)

    def add(self, line: str, page: int) -> None:
        if not self.parts:
            self.page = page
        elif not joins_tight(self.parts[-1], line):
            self.parts.append(" ")
        self.parts.append(line)

    def flush(self) -> None:
        if self.parts:
            self.blocks.append(Block("text", "".join(self.parts), self.page))
        self.parts = []

    def heading(self, title: str, level: int, page: int) -> None:
        self.flush()
        self.blocks.append(Block("heading", title, page, level))

    def open_sentence(self) -> bool:
        return bool(self.parts) and not TERMINAL.search(self.parts[-1])


def build_text_model(text: str, outline_titles: Iterable[tuple[str, int]] = ()) -> TextModel:
    """The prose, headings and title candidates of ``text`` (pages separated by ``\\f``)."""
    raw_pages = text.split("\f")
    chosen = analysed_pages(raw_pages)
    pages = [_page_lines(raw_pages[i]) for i in chosen]
    repeated, offset = furniture(pages, chosen)
    titles = {normal_title(t): level for t, level in outline_titles if normal_title(t)}
    model = TextModel(
        blocks=[], page_count=len(raw_pages), first_lines=[], sampled=len(chosen) < len(pages)
    )
    document_width = _line_width([line for lines in pages[:50] for line in lines])
    builder = _Builder()
    mode: str | None = None  # a "toc", "references" or "dropped" section being skipped
    for index, all_lines in zip(chosen, pages, strict=True):
        lines = _without_furniture(
            all_lines, index, offset, repeated, model.dropped, document_width
        )
        if index == 0:
            model.first_lines = lines[:8]
        if builder.open and not (builder.open_sentence() and _starts_lower(lines)):
            builder.flush()  # a paragraph continues on the next page only mid-sentence
        width = _line_width(lines) if len(lines) >= 8 else document_width
        previous_number: int | None = None
        for position, line in enumerate(lines):
            listing = LISTING_NUMBER.match(line)
            number = int(listing.group(1)) if listing else None
            in_listing = (
                number is not None
                and previous_number is not None
                and 0 < number - previous_number <= 2
            )
            previous_number = number  # a listing numbers every line: only neighbours count
            following = lines[position + 1] if position + 1 < len(lines) else ""
            heading = None
            if not in_listing and (not following[:1].islower() or section_name(line)):
                heading = heading_of(line, titles)  # (a line running on in lower case is prose)
            if heading is not None:
                in_outline = normal_title(line) in titles
                mode, heading = _section_mode(heading, mode, following, bool(titles), in_outline)
            if heading is not None:
                builder.heading(heading[0], heading[1], index)
                continue
            reason = drop_reason(line, mode, in_listing, position, len(lines))
            if reason:
                model.dropped[reason] += 1
                builder.flush()
                continue
            if mode == "toc":
                mode = None  # prose after a table of contents ends it
            bullet = BULLET.match(line)
            if bullet:
                builder.flush()
                line = line[bullet.end() :]
            if index == 0 and furniture_key(line) in repeated:
                builder.flush()  # the title, repeated by the running headers: a block alone
                builder.add(line, index)
                builder.flush()
                continue
            builder.add(line, index)
            if len(line) < 0.6 * width and not runs_on(line):
                builder.flush()  # only a paragraph's last line (or a title) stops short
    builder.flush()
    model.blocks = builder.blocks
    model.sampled = len(chosen) < len(raw_pages)
    return model


def _without_furniture(
    lines: list[str],
    index: int,
    offset: int | None,
    repeated: set[str],
    dropped: Counter[str],
    width: int,
) -> list[str]:
    kept = []
    for position, line in enumerate(lines):
        edge = position < FURNITURE_LINES or position >= len(lines) - FURNITURE_LINES
        if edge and _is_running_line(line, index, offset, repeated, width):
            dropped["furniture"] += 1
        else:
            kept.append(line)
    return kept


def _section_mode(
    heading: tuple[str, int],
    mode: str | None,
    following: str,
    has_outline: bool,
    in_outline: bool,
) -> tuple[str | None, tuple[str, int] | None]:
    """The skipping mode after ``heading``, and the heading: None when, inside a table of
    contents, it is an entry whose page number wrapped onto the ``following`` line, or when,
    inside a skipped section of a document with an outline, the outline does not list it
    (the numbered clauses of a licence, the letter groups of an index)."""
    role = section_name(heading[0])
    if role in TOC_SECTIONS:
        return "toc", heading
    if role in REFERENCE_SECTIONS:
        return "references", heading
    if role in DROPPED_SECTIONS:
        return "dropped", heading
    if mode == "toc" and is_toc_line(following):
        return mode, None
    if mode in ("references", "dropped") and has_outline and not in_outline:
        return mode, None
    return None, heading


def _line_width(lines: Sequence[str]) -> int:
    """The page's full line length: the 80th percentile of its line lengths."""
    if not lines:
        return 0
    lengths = sorted(len(line) for line in lines)
    return lengths[min(len(lengths) - 1, int(len(lengths) * 0.8))]


def _starts_lower(lines: Sequence[str]) -> bool:
    return bool(lines) and lines[0][:1].islower()
