"""The one way Bluelabel reads a yes/no written as text: settings, step options, connection
extras."""

from __future__ import annotations

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def parse_bool(value: object, *, empty: bool | None = None) -> bool:
    """``True``/``False`` from a bool or from one of :data:`TRUE_WORDS` / :data:`FALSE_WORDS`
    (any case, spaces around ignored); ``empty`` is what a blank string means (``None``: an
    error). Anything else raises :class:`ValueError`."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        if not text and empty is not None:
            return empty
    raise ValueError(f"{value!r} is not true or false")
