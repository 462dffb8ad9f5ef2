"""Parsing an untrusted message within bounds: ``email.policy.default``, with each header cut
before it is parsed and the whole parse under a deadline.

The standard library parses a header each time it is read (``Content-Type`` a dozen times per
part), and its parsers are not linear on hostile input: thousands of encoded words in one
header take memory that grows with the square of their number (170 KB of ``Subject`` took
1.2 GB), thousands of parameters take time that does (40,000 took 34 s), and comments nested a
few thousand deep exceed the recursion limit. So a header's value is cut at
:data:`MAX_RAW_HEADER_CHARS` before it is parsed, and one nested too deep reads as empty.
What is left is linear but can still be slow (32 MB of one-line parts, or of long headers read
over and over): :func:`parse_deadline` bounds it, checked at every part made and header read.
"""

from __future__ import annotations

import contextlib
import email.errors
import time
from collections.abc import Iterator
from contextvars import ContextVar
from email.headerregistry import BaseHeader, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy
from typing import Any

#: Longer than any real header (a ``To`` of a hundred addresses); the rest is not parsed.
MAX_RAW_HEADER_CHARS = 8192
#: Parsing and walking one message takes a second or two; a hostile one is stopped here.
PARSE_SECONDS = 30.0

_deadline: ContextVar[float | None] = ContextVar("bluelabel_mail_deadline", default=None)


class ParseTooSlow(Exception):
    """The message took longer than :data:`PARSE_SECONDS` to parse (not a ``MessageError``,
    so the parser's own error handling does not swallow it)."""


def _check_deadline() -> None:
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise ParseTooSlow


@contextlib.contextmanager
def parse_deadline(seconds: float) -> Iterator[None]:
    """Within the block, parsing raises :class:`ParseTooSlow` once ``seconds`` have passed."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


class _Part(EmailMessage):
    def __init__(self, policy: Any = None) -> None:
        _check_deadline()
        super().__init__(policy)


class _UnparsedHeader(UnstructuredHeader, BaseHeader):
    """A header value kept as text (what ``HeaderRegistry`` builds for unknown names)."""


_PARSER_FAILURES = (
    AttributeError,
    ValueError,
    TypeError,
    IndexError,
    LookupError,
    email.errors.MessageError,
)


class BoundedPolicy(EmailPolicy):
    """``email.policy.default``, each header value cut before it is parsed."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        _check_deadline()
        if isinstance(value, str) and not hasattr(value, "name"):  # raw, not a parsed header
            value = value[:MAX_RAW_HEADER_CHARS]
        try:
            return super().header_fetch_parse(name, value)
        except RecursionError:  # comments or quoting nested thousands deep
            return super().header_fetch_parse(name, "")
        except _PARSER_FAILURES:
            # The standard library's structured parsers fail on some malformed values (a
            # group where a mailbox is expected raised AttributeError): keep the text,
            # unparsed, as an unstructured header.
            return _UnparsedHeader(name, str(value))


#: The policy untrusted messages are parsed with.
BOUNDED = BoundedPolicy(message_factory=_Part)
