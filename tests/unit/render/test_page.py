"""The humanising helpers of the one renderer."""

from __future__ import annotations

import pytest

from bluelabel.render.page import human_duration


@pytest.mark.parametrize(
    ("ms", "shown"),
    [
        (None, "n/a"),
        (0, "0 ms"),
        (839.4, "839 ms"),
        (999.6, "1.0 s"),  # rounded before the unit is chosen
        (12_345, "12.3 s"),
        (44_469.6, "44.5 s"),
        (59_980, "1 min 0 s"),
        (76_000, "1 min 16 s"),
        (119_700, "2 min 0 s"),
        (3_600_000, "1 h 0 min"),
        (7_530_000, "2 h 5 min"),
    ],
)
def test_human_duration_follows_the_ui(ms: float | None, shown: str) -> None:
    """The same rule as ``duration`` in ui/src/format.ts."""
    assert human_duration(ms) == shown
