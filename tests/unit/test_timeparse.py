"""The one parser of time windows: any text is a UTC time that later arithmetic cannot
overflow, or a TimeParseError naming the value; never another exception."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluelabel.timeparse import EARLIEST, LATEST, TimeParseError, is_age, parse_time


@pytest.mark.parametrize(
    "value",
    [
        "99999999999d",
        "800000d",
        "9" * 5000 + "d",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "a\x00b",
        "7 fortnights",
    ],
)
def test_absurd_values_are_one_line_errors_naming_the_value(value: str) -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_time(value, "since")
    message = str(caught.value)
    assert message.startswith("since=") and "\n" not in message and len(message) < 200


def test_ages_and_iso_times_become_utc() -> None:
    week = parse_time("1w", "since")
    assert week is not None and week.tzinfo == timezone.utc
    assert abs(datetime.now(timezone.utc) - timedelta(weeks=1) - week) < timedelta(minutes=1)
    assert parse_time("2025-01-01T10:00+02:00", "since") == datetime(
        2025, 1, 1, 8, tzinfo=timezone.utc
    )
    assert parse_time("2025-01-01", "until") == datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert parse_time("", "since") is None and parse_time(None, "since") is None
    assert is_age(" 7d ") and not is_age("2025-01-01") and not is_age(None)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.from_regex(r"\A\d{1,14}\s?[mhdw]\Z"),
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
        st.datetimes().map(lambda d: d.isoformat()),
    )
)
def test_any_text_is_a_bounded_utc_time_or_a_time_parse_error(text: str) -> None:
    try:
        parsed = parse_time(text, "since")
    except TimeParseError as exc:
        assert "since=" in str(exc)
        return
    if parsed is not None:
        assert parsed.tzinfo == timezone.utc and EARLIEST <= parsed <= LATEST
        parsed - timedelta(days=1), parsed + timedelta(days=1)  # never overflows
        parsed.timestamp()
