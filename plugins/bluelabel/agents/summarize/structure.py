"""A document's structure: its title, its sections and their roles, and "What's inside".

The title is the document's metadata title when it is a real one, else the first heading
that is not a generic section name, else the first line that reads like a title. Sections
run from one heading to the next; the text before the first heading is the front matter
(title, authors, dates) when headings follow. "What's inside" lists the top-level sections
of long documents, from the PDF outline when there is one, else from the headings found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bluelabel.agents.pdf.metadata import is_placeholder
from bluelabel.agents.pdf.outline import OutlineEntry, clean_title
from bluelabel.agents.summarize.lines import is_code, normal_title
from bluelabel.agents.summarize.sections import Role, section_name
from bluelabel.agents.summarize.textmodel import Block, TextModel, build_text_model

#: Documents from this many pages (or words) up get a "What's inside" list.
LONG_DOCUMENT_PAGES = 6
LONG_DOCUMENT_WORDS = 3_000
MAX_INSIDE = 8
#: Characters of a document's opening read for its title (the title page and a few pages
#: more, for running headers to be recognised).
TITLE_HEAD_CHARS = 64_000
_NOT_INSIDE: frozenset[Role | None] = frozenset({"contents", "references", "index", "abstract"})
_BACK_MATTER: frozenset[Role | None] = frozenset({"references", "index"})

_DATE_LIKE = re.compile(
    r"^(?:\w+\s+)?(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{4})\b|^(?:january|february|march|april|"
    r"may|june|july|august|september|october|november|december)\b",
    re.IGNORECASE,
)
#: A line that ends a sentence of eight words or more: prose, not a title.
_PROSE_LINE = re.compile(r"^(?:\S+\s+){7,}\S+[.!?]$")
_VERSION_LINE = re.compile(r"^(?:v|version|rev|revision|release)\s?\d", re.IGNORECASE)
_CONTACT = re.compile(r"@|https?://|www\.", re.IGNORECASE)
# Footnote marks after a title ("Title*", "Title †", "Title 1"); a digit that is part of the
# last word ("Libtasn1", "Python3") stays.
_MARKS = re.compile(r"(?:[\u2217*\u2020\u2021\u00a7\u00b6,]|\s\d+)+\s*$")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
_NUMBER_PREFIX = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*|[A-Z](?=\s)|[IVX]{1,5}(?=\s))\.?\s+")


@dataclass(frozen=True)
class Section:
    """A heading and the text blocks under it. ``role`` is None for ordinary sections;
    ``front`` marks the text before the first heading of a document that has headings."""

    title: str | None
    role: Role | None
    level: int
    page: int
    blocks: list[Block] = field(default_factory=list)
    front: bool = False


def sections_of(model: TextModel) -> list[Section]:
    """The model's blocks grouped under their headings, in document order."""
    has_headings = any(b.kind == "heading" for b in model.blocks)
    sections = [Section(None, None, 0, 0, [], front=has_headings)]
    introduced = False
    for block in model.blocks:
        if block.kind == "heading":
            role = section_name(block.text)
            if role == "abstract" and (introduced or block.page >= 3):
                role = "conclusion"  # a "Summary" at the end of a paper sums up its findings
            introduced = introduced or role == "introduction"
            sections.append(Section(block.text, role, block.level, block.page))
        else:
            sections[-1].blocks.append(block)
    return [s for s in sections if s.blocks or s.title]


def usable_title(title: str | None) -> str | None:
    """``title`` cleaned, or None when it is missing or a placeholder ("Untitled", a file name)."""
    if not title:
        return None
    text = clean_title(title, 200)
    if len(text) < 3 or not re.search(r"[^\W\d_]{2}", text) or is_placeholder("title", text):
        return None
    return text


def detect_title(metadata_title: str | None, model: TextModel) -> str | None:
    """Metadata title, else the first non-generic heading before any prose, else the first
    line of the first page that reads like a title."""
    title = usable_title(metadata_title)
    if title:
        return title
    for block in model.blocks:
        if block.kind == "text":
            break
        if section_name(block.text) is None:
            return usable_title(_NUMBER_PREFIX.sub("", block.text))
    lines = model.first_lines
    for number, line in enumerate(lines):
        candidate = _MARKS.sub("", _MARKDOWN_HEADING.sub("", line)).strip()
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if _PROSE_LINE.search(candidate) or (
            following[:1].islower() and len(candidate) + len(following) >= 160
        ):
            break  # the text has begun: a title comes before it, never in it
        if not _title_like(candidate):
            continue
        if following[:1].islower():
            candidate = f"{candidate} {_MARKS.sub('', following).strip()}"
        return usable_title(candidate)
    return None


def outline_of(raw: Sequence[Any]) -> list[OutlineEntry]:
    """A stored record's outline (``[level, title, page]`` lists) as entries; malformed
    entries are left out."""
    return [
        OutlineEntry(int(e[0]), str(e[1]), e[2] if isinstance(e[2], int) else None)
        for e in raw
        if isinstance(e, (list, tuple)) and len(e) == 3 and isinstance(e[0], int)
    ]


def heading_title(text: str, outline: Sequence[OutlineEntry] = ()) -> str | None:
    """The title the text of a document gives itself (its first heading, else a first line
    that reads like a title), read from its opening ``TITLE_HEAD_CHARS`` characters only."""
    model = build_text_model(text[:TITLE_HEAD_CHARS], [(e.title, e.level + 1) for e in outline])
    return detect_title(None, model)


def _title_like(line: str) -> bool:
    words = line.split()
    return (
        3 <= len(line) <= 160
        and len(words) <= 20
        and sum(ch.isalpha() for ch in line) >= 3
        and not _DATE_LIKE.match(line)
        and not _VERSION_LINE.match(line)
        and not _CONTACT.search(line)
        and section_name(line) is None
        and not line.endswith((".", ",", ";"))
        and not is_code(line)
    )


def _body_headings(model: TextModel) -> list[tuple[int, str]]:
    """Headings up to the back matter (references, index, licence): without an outline, the
    headings found after it are as likely a licence's clauses as sections."""
    headings: list[tuple[int, str]] = []
    for block in model.blocks:
        if block.kind == "heading":
            role = section_name(block.text)
            if role in _BACK_MATTER and headings:
                break
            if role not in _NOT_INSIDE:  # and not the front matter: copyright page, contents
                headings.append((block.level, block.text))
    return headings


def what_inside(
    outline: Sequence[OutlineEntry], model: TextModel, words: int, title: str | None
) -> list[str]:
    """The top-level sections of a long document (empty for a short one)."""
    if model.page_count < LONG_DOCUMENT_PAGES and words < LONG_DOCUMENT_WORDS:
        return []
    entries = [(e.level, e.title) for e in outline] or _body_headings(model)
    skip = normal_title(title or "")
    usable = [
        (level, _NUMBER_PREFIX.sub("", text).strip())
        for level, text in entries
        if section_name(text) not in _NOT_INSIDE
        and normal_title(text) != skip
        and not (text.startswith("\\") or is_code(text))
    ]
    if not usable:
        return []
    levels = sorted({level for level, _ in usable})
    chosen = levels[0]
    for level in levels:  # the shallowest level that says something (one root is no list)
        chosen = level
        if sum(1 for lv, _ in usable if lv == level) >= 3:
            break
    seen: set[str] = set()
    inside: list[str] = []
    for level, text in usable:
        key = normal_title(text)
        if level == chosen and text and key not in seen:
            seen.add(key)
            inside.append(text)
    return inside[:MAX_INSIDE] if len(inside) >= 2 else []
