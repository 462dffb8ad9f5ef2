"""Rules for one line of extracted text: what kind of debris it is, or whether it is a heading.

Each rule is a small pure function of a line; ``drop_reason`` applies them in order. The
text model (``textmodel``) runs them over every analysed line and keeps the prose.
"""

from __future__ import annotations

import re

from bluelabel.agents.summarize.sections import section_name

SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_BARE_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?(?:[-–—]\s*)?(?:\d{1,5}|[ivxlcdm]{1,7})(?:\s*[-–—])?"
    r"(?:\s*(?:of|/|von|de|sur)\s*\d{1,5})?$",
    re.IGNORECASE,
)
LEADING_NUMBER = re.compile(r"^(\d{1,5})\b")
TRAILING_NUMBER = re.compile(r"\b(\d{1,5})$")
_DOT_LEADERS = re.compile(r"(?:\.\s?){4,}|(?:…\s?){2,}|(?:·\s?){4,}")
_TOC_ENTRY = re.compile(
    r"^(?:\d{1,3}(?:\.\d{1,3})*\.?|[A-Z](?:\.\d{1,3})+|[A-Z]|[IVXLC]{1,6}\.?)\s+"
    r"\S.{0,120}?\s(?:\d{1,4}|[ivxlc]{1,6})$"
)
_INDEX_ENTRY = re.compile(r"^\S.{0,80}?\s\d{1,4}(?:[-–]\d{1,4})?(?:,\s?\d{1,4}(?:[-–]\d{1,4})?)+$")
_REFERENCE_ENTRY = re.compile(r"^\[(?:\d{1,3}|[A-Z][A-Za-z+\-]{0,10}\d{0,4}[a-z]?)\]\s")
_FOOTNOTE = re.compile(r"^(?:[\u2217*\u2020\u2021\u00a7\u00b6]|\d{1,2}(?=[A-Z][a-z]|https?:))")
_CODE_CHAR = re.compile(r"[\\{}\[\]<>=;#$%^&|~@_]")
_MACRO = re.compile(r"\\[A-Za-z@]+")
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")
_MATH_CHAR = re.compile(r"[\u2200-\u22ff\u27c0-\u27ef\u2980-\u2aff\U0001d400-\U0001d7ff±×÷∞^]")
LISTING_NUMBER = re.compile(r"^(\d{1,5})\s")
NUMBERED_CODE = re.compile(r"^\d{1,5}\s+[\\%{}<>@#\[]")
_NUMERIC_TOKEN = re.compile(r"(?:^|(?<=\s))[\d.,:;/()%+\-–−×x]+(?=\s|$)")
BULLET = re.compile(r"^(?:[•◦▪▸▶►‣⁃∙·○●■□–—*-]|\(?[a-z0-9]{1,2}[.)])\s+")
_NUMBERED_HEADING = re.compile(
    r"^(?P<number>\d{1,2}(?:\.\d{1,2}){0,3}|[A-Z](?:\.\d{1,2}){0,3}|[IVX]{1,5})\.?\s+"
    r"(?P<title>[A-Z\\\"“‘'(](?:[^.!?;]|\.(?=\S)){1,80})$"
)
_NAMED_HEADING = re.compile(
    r"^(?P<number>(?i:part|chapter|appendix|teil|kapitel|chapitre|partie)\s+"
    r"(?:\d{1,3}|[IVX]{1,5}|[A-Z])\.?)(?:\s*[:.–—-]?\s*(?P<title>[^.!?]{0,80}))?$"
)
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(\S.*?)\s*#*$")
TERMINAL = re.compile(r"[.!?:;。！？…][\"'”’)\]]*$")
URL_TAIL = re.compile(r"(?:https?://|www\.)\S*[./\-_#?=&~]$")


def furniture_key(line: str) -> str:
    return _DIGITS.sub("#", SPACE.sub(" ", line.lower())).strip()


def is_page_number(line: str) -> bool:
    return bool(_BARE_PAGE_NUMBER.match(line))


def is_toc_line(line: str) -> bool:
    """A table-of-contents or list-of-figures entry: dot leaders, or a numbered title that
    ends with a page number."""
    # cheap tests first: leaders need dots (or ellipses, middle dots); an entry a page number
    leaders = line.count(".") >= 4 or "…" in line or "·" in line
    if leaders and _DOT_LEADERS.search(line):
        return True
    last = line[-1:]
    return (
        (last.isdigit() or last in "ivxlc")
        and len(line) < 160
        and bool(_TOC_ENTRY.match(line))
        and len(line.split()) <= 16
    )


def is_index_line(line: str) -> bool:
    """An index entry: a term and two or more page numbers ("caption, 3, 17")."""
    return len(line) < 160 and bool(_INDEX_ENTRY.match(line))


def is_reference_line(line: str) -> bool:
    """A bibliography entry label at the start of a line: "[4] ", "[Knu84] "."""
    return bool(_REFERENCE_ENTRY.match(line))


def is_footnote(line: str) -> bool:
    """A footnote: starts with a footnote mark or a number glued to its text ("1This ...")."""
    return bool(_FOOTNOTE.match(line))


def is_code(line: str) -> bool:
    """Source code, markup or a macro listing: symbol-heavy, or more macros than words."""
    nonspace = len(line) - line.count(" ")
    if nonspace == 0:
        return False
    symbols = len(_CODE_CHAR.findall(line))
    if symbols >= 3 and symbols >= 0.12 * nonspace:
        return True
    macros = len(_MACRO.findall(line))
    if macros >= 2:
        words = len(_LETTER_WORD.findall(_MACRO.sub(" ", line)))
        return macros * 3 >= words
    return line.startswith(("\\", "%", "<*", "</")) and macros + symbols >= 2


def is_table_debris(line: str) -> bool:
    """Table cells, figure labels and formulas: mostly numbers, one-letter tokens or math."""
    tokens = line.count(" ") + 1
    if tokens >= 3 and len(_NUMERIC_TOKEN.findall(line)) * 2 >= tokens:
        return True
    if tokens >= 4 and len(line) - tokens + 1 <= 2.2 * tokens:
        return True
    nonspace = len(line) - line.count(" ")
    if nonspace == 0:
        return False
    # of the math characters only "^" is ASCII: most lines need no scan
    math = line.count("^") if line.isascii() else len(_MATH_CHAR.findall(line))
    return math >= max(2, 0.3 * nonspace)


def heading_of(line: str, outline_titles: dict[str, int]) -> tuple[str, int] | None:
    """(title, level) when ``line`` is a heading: an outline title, a numbered or named
    heading ("2.1 Options", "Appendix A"), or a known section name alone on its line."""
    if len(line) > 90 or len(line.split()) > 10 or line.endswith((",", ";")):
        return None
    if is_code(line) or NUMBERED_CODE.match(line):
        return None
    level = outline_titles.get(normal_title(line))
    if level is not None:
        return line, level
    markdown = _MARKDOWN_HEADING.match(line)
    if markdown and _LETTER_WORD.search(markdown.group(2)):
        return markdown.group(2).strip(), len(markdown.group(1))
    match = _NUMBERED_HEADING.match(line)
    if match and _LETTER_WORD.search(match.group("title")) and not line[-1].isdigit():
        return line, match.group("number").count(".") + 1
    match = _NAMED_HEADING.match(line)
    if match:
        return line, 1
    if section_name(line) is not None:
        return line, 1
    return None


def normal_title(text: str) -> str:
    """A heading or outline title reduced for matching: no numbering, case or punctuation."""
    text = re.sub(r"^[\dIVXA-Z]{1,5}(?:\.\d{1,3})*\.?\s+(?=\S)", "", text.strip())
    return re.sub(r"[\W_]+", "", text.lower())


def drop_reason(
    line: str, mode: str | None, in_listing: bool, position: int, page_lines: int
) -> str | None:
    if mode == "references":
        return "references"
    if mode == "dropped":
        return "index"
    if is_toc_line(line) or (mode == "toc" and not TERMINAL.search(line)):
        return "toc"
    if is_index_line(line):
        return "index"
    if is_reference_line(line):
        return "references"
    if in_listing or is_code(line) or NUMBERED_CODE.match(line):
        return "code"
    if is_table_debris(line):
        return "table"
    if is_footnote(line) and position >= page_lines // 2:
        return "footnote"
    return None


def runs_on(line: str) -> bool:
    """Whether a line visibly continues on the next: a hyphen or a URL cut at its end."""
    return (line.endswith("-") and line[-2:-1].isalpha()) or bool(URL_TAIL.search(line))


def joins_tight(previous: str, line: str) -> bool:
    """Whether ``line`` continues ``previous`` without a space: a hyphenated word or a
    URL wrapped at the margin."""
    if previous.endswith("-") and len(previous) > 1 and previous[-2].isalpha():
        return line[:1].islower()
    return bool(URL_TAIL.search(previous[-300:])) and not line[:1].isupper()
