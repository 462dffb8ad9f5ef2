"""PDF document information (``/Info`` or XMP as the backends expose it) as plain metadata."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

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

#: Titles that PDF generators write when the author gave none.
PLACEHOLDER_TITLES = frozenset(
    {
        "",
        "untitled",
        "(anonymous)",
        "anonymous",
        "(unspecified)",
        "unspecified",
        "title",
        "document",
        "microsoft word",
    }
)


def normalise_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    """Known ``/Info`` keys under plain names, dates as ISO 8601, values length-capped;
    placeholder titles ("Untitled", "(anonymous)") dropped."""
    metadata: dict[str, Any] = {}
    for key, name in _METADATA_KEYS.items():
        value = raw.get(key)
        if value is None:
            continue
        text = " ".join(str(value).split())[:MAX_VALUE_CHARS]
        if not text:
            continue
        if name == "title" and text.lower() in PLACEHOLDER_TITLES:
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
