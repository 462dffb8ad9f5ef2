"""PDF document information (``/Info`` or XMP as the backends expose it) as plain metadata."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from bluelabel.agents.pdf.outline import clean_title

_METADATA_KEYS = {
    "Title": "title",
    "Author": "author",
    "Subject": "subject",
    "Keywords": "keywords",
    "Creator": "creator",
    "Producer": "producer",
    "CreationDate": "created",
    "ModDate": "modified",
}
#: Longest metadata value kept (a hostile file can carry megabytes in /Title).
MAX_VALUE_CHARS = 2000

#: Values that generators and templates write when the author gave none ("(anonymous)",
#: "unspecified"): they say nothing about the document, so no record keeps them.
PLACEHOLDER_VALUES = frozenset(
    {
        "anonymous",
        "unspecified",
        "not specified",
        "unknown",
        "untitled",
        "no title",
        "none",
        "null",
        "nil",
        "n/a",
        "na",
        "-",
        "?",
        "user",
        "admin",
        "administrator",
        "owner",
        "default",
    }
)
#: Titles that generators write: a generic word, a slide number, an application's name, or
#: the source file's name ("paper.dvi", "Microsoft Word - report.docx").
_PLACEHOLDER_TITLE = re.compile(
    r"^(title|document|slide \d+|presentation|pdf|microsoft (word|powerpoint|excel)\b.*|"
    r".*\.(dvi|tex|pdf|docx?|odt|ps|rtf|txt|html?|md|xlsx?|pptx?))$",
    re.IGNORECASE,
)


def is_placeholder(key: str, value: str) -> bool:
    """Whether ``value`` of metadata ``key`` is a generator's placeholder, not information:
    empty, one of :data:`PLACEHOLDER_VALUES` (in brackets or not), the key's own name
    ("Author: Author") or, for a title, a generic word or a file name."""
    text = clean_title(value, MAX_VALUE_CHARS).strip("()[]<>{} \"'").lower()
    if not text or text in PLACEHOLDER_VALUES or text == key.lower():
        return True
    return key == "title" and bool(_PLACEHOLDER_TITLE.match(text))


def without_placeholders(metadata: dict[str, Any]) -> dict[str, Any]:
    """``metadata`` less its placeholder text values (for records stored before ingest
    dropped them)."""
    return {
        key: value
        for key, value in metadata.items()
        if not (isinstance(value, str) and is_placeholder(key, value))
    }


def normalise_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    """Known ``/Info`` keys under plain names, dates as ISO 8601, values length-capped and
    without control or format (bidi) characters; placeholders ("Untitled", "(anonymous)",
    "unspecified") dropped."""
    metadata: dict[str, Any] = {}
    for key, name in _METADATA_KEYS.items():
        value = raw.get(key)
        if value is None:
            continue
        text = clean_title(str(value), MAX_VALUE_CHARS)  # no control or bidi characters
        if is_placeholder(name, text):
            continue
        metadata[name] = parse_pdf_date(text) if name in ("created", "modified") else text
    return metadata


_PDF_DATE = re.compile(
    r"D?:?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+\-])?(\d{2})?'?(\d{2})?"
)


def parse_pdf_date(value: str) -> str:
    """``D:20250524120201-07'00'`` -> ISO 8601; the raw value when it does not parse."""
    match = _PDF_DATE.match(value)
    if not match:
        return value
    year, month, day, hour, minute, second, sign, tz_h, tz_m = match.groups()
    try:
        stamp = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
        )
    except ValueError:
        return value
    if sign in ("+", "-") and tz_h:
        offset = f"{sign}{tz_h}:{tz_m or '00'}"
        return stamp.isoformat() + offset
    if sign in ("Z", "z"):
        return stamp.replace(tzinfo=timezone.utc).isoformat()
    return stamp.isoformat()
