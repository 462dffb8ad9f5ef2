"""A page as data: what every digest and report is made of, before any format.

Digests, the periodic digest and the performance report build a :class:`Page` of blocks;
:mod:`bluelabel.render.markdown` and :mod:`bluelabel.render.html` turn any page into text, so
every output in every format comes from one renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class Paragraph:
    text: str
    muted: bool = False


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    title: str | None = None
    numbered: bool = False


@dataclass(frozen=True)
class Facts:
    """Label/value pairs (source, date, pages, metadata)."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: columns holding numbers (right-aligned)
    numeric: frozenset[int] = frozenset()
    caption: str | None = None
    empty: str = "No data."


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]
    level: int = 2
    anchor: str | None = None


Block = Paragraph | Bullets | Facts | Table | Section


@dataclass(frozen=True)
class Page:
    title: str
    blocks: tuple[Block, ...]
    subtitle: str | None = None
    footer: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- humanising
def human_time(value: str | datetime | None) -> str:
    """``2026-12-01T07:15:03.123456+00:00`` -> ``1 Dec 2026, 07:15 UTC``; text left as is."""
    if value is None or value == "":
        return "unknown"
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if moment.tzinfo is None:
        if isinstance(value, str) and len(value) <= 10:
            return f"{moment.day} {moment:%b %Y}"
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def human_count(value: float | None, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "n/a"
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".strip()


def human_duration(ms: float | None) -> str:
    """A duration in milliseconds as the UI shows it (``ui/src/format.ts`` ``duration``):
    ``839 ms``, ``12.3 s``, ``1 min 16 s``, ``2 h 5 min``."""
    if ms is None:
        return "n/a"
    if round(ms) < 1000:
        return f"{ms:,.0f} ms"
    if round(ms / 100) < 600:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    return f"{minutes // 60} h {minutes % 60} min"


def human_bytes(size: int | None) -> str:
    if size is None:
        return "n/a"
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,} bytes" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000  # type: ignore[assignment]
    return f"{size} bytes"


#: Metadata keys as a person would name them; unknown keys are shown capitalised.
METADATA_LABELS = {
    "author": "Author",
    "subject": "Subject",
    "keywords": "Keywords",
    "creator": "Created with",
    "producer": "Produced by",
    "created": "Created",
    "modified": "Modified",
    "page_count": "Pages",
    "url": "URL",
    "mime_type": "Content type",
    "http_status": "HTTP status",
    "pdf_backend": "Text extracted by",
    "encrypted": "Encrypted",
    "language": "Language",
    "created_at": "Created",
}
_TIME_KEYS = frozenset({"created", "modified", "created_at"})


def human_metadata(metadata: dict[str, Any], keys: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for key in keys:
        value = metadata.get(key)
        if value in (None, "", [], {}):
            continue
        if key in _TIME_KEYS:
            text = human_time(str(value))
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, int):
            text = f"{value:,}"
        else:
            text = str(value)
        pairs.append((METADATA_LABELS.get(key, key.replace("_", " ").capitalize()), text))
    return tuple(pairs)
