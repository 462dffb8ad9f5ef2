"""``since``/``until`` values: an ISO date or time, or an age such as ``7d``, ``12h``, ``30m``.

The one parser of time windows (the API's query parameters, the CLI's ``--since``/``--until``,
step options). Whatever the text, the result is an aware UTC datetime that later arithmetic
(a day either side, ``.timestamp()``, a database bound) cannot overflow, or a
:class:`TimeParseError` whose one-line message names the value.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_AGE = re.compile(r"^(\d{1,12})\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
#: Times are kept a day inside what ``datetime`` can hold, so a day either side still fits.
EARLIEST = datetime.min.replace(tzinfo=timezone.utc) + timedelta(days=1)
LATEST = datetime.max.replace(tzinfo=timezone.utc) - timedelta(days=1)
_HINT = "an ISO date/time or an age like 7d, 12h, 30m"


class TimeParseError(ValueError):
    """A value that is neither an ISO time nor an age like ``7d``; the message names it."""


def is_age(value: object) -> bool:
    """Whether ``value`` is an age (``7d``): its time moves with the clock."""
    return isinstance(value, str) and _AGE.match(value.strip()) is not None


def parse_time(value: object, name: str) -> datetime | None:
    """An aware UTC datetime (UTC assumed when no zone is given), ``None`` for no value."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _bounded(value if value.tzinfo else value.replace(tzinfo=timezone.utc), value, name)
    text = str(value).strip()
    match = _AGE.match(text)
    if match:
        try:
            age = timedelta(**{_UNITS[match[2]]: int(match[1])})
            return _bounded(datetime.now(timezone.utc) - age, value, name)
        except OverflowError:
            raise TimeParseError(f"{name}={_shown(value)} reaches before the year 1") from None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TimeParseError(f"{name}={_shown(value)} is not {_HINT}") from None
    return _bounded(parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc), value, name)


def _bounded(moment: datetime, value: object, name: str) -> datetime:
    try:
        utc: datetime | None = moment.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before the year 1 in UTC
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise TimeParseError(
            f"{name}={_shown(value)} is outside the times this can handle "
            f"({EARLIEST.date().isoformat()} to {LATEST.date().isoformat()} UTC)"
        )
    return utc


def _shown(value: object) -> str:
    """The value as the message shows it: quoted, and cut when long."""
    text = str(value)
    return repr(text if len(text) <= 60 else text[:60] + "...")
