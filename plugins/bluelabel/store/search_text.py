"""Words and text on their way into the catalog's full-text index and back: user words as an FTS5
query and as a literal LIKE pattern, a document's opening, snippets as marked segments, times
as sortable text."""

from __future__ import annotations

import re
from datetime import datetime, timezone

#: Markers FTS5 puts around matches in a snippet (control characters: never in the text).
MARK_START, MARK_END = "\x02", "\x03"
_TOKEN = re.compile(r"\w+", re.UNICODE)
#: Until a document's page computes its real summary (``Catalog.set_summary``), the
#: result list shows its opening, up to this many characters, cut at a sentence end.
OPENING_CHARS = 320


def match_expression(words: str, *, prefix: bool = True) -> str | None:
    """User words as an FTS5 query: every word must occur (the last one as a prefix with
    ``prefix``). Only word characters pass, each word quoted, so no input is FTS5 syntax."""
    tokens = _TOKEN.findall(words)
    if not tokens:
        return None
    quoted = [f'"{t}"' for t in tokens]
    if prefix:
        quoted[-1] += "*"
    return " ".join(quoted)


def sortable_utc(value: str) -> str:
    """An ISO time as sortable UTC text (``2025-01-02T03:04:05.000000Z``)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def opening(text: str) -> str:
    """The first sentences of ``text``, whitespace folded, at most :data:`OPENING_CHARS`."""
    head = " ".join(text[: OPENING_CHARS * 4].split())
    if len(head) <= OPENING_CHARS:
        return head
    cut = head[:OPENING_CHARS]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: end + 1] if end > OPENING_CHARS // 3 else cut.rsplit(" ", 1)[0] + " …"


def segments(snippet: str) -> list[tuple[str, bool]]:
    """``a \\x02b\\x03 c`` -> [("a ", False), ("b", True), (" c", False)]."""
    if not snippet:
        return []
    segments: list[tuple[str, bool]] = []
    for part in snippet.split(MARK_START):
        if MARK_END in part:
            hit, rest = part.split(MARK_END, 1)
            segments.append((hit, True))
            if rest:
                segments.append((rest, False))
        elif part:
            segments.append((part, False))
    return segments


def like_escape(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern with ``ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
