"""``since``/``until`` values: an ISO date or time, or an age such as ``7d``, ``12h``, ``30m``."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_AGE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class TimeParseError(ValueError):
    """A value that is neither an ISO time nor an age like ``7d``; the message names it."""


def parse_time(value: object, name: str) -> datetime | None:
    """An aware datetime (UTC when no zone is given), ``None`` for no value."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value).strip()
    match = _AGE.match(text)
    if match:
        return datetime.now(timezone.utc) - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TimeParseError(
            f"{name}={value!r} is not an ISO date/time or an age like 7d, 12h, 30m"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
