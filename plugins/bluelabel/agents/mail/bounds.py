"""Parsing an untrusted message within bounds: ``email.policy.default``, with each header cut
before it is parsed and the whole parse under a deadline.

The standard library parses a header each time it is read (``Content-Type`` a dozen times per
part), and its parsers are not linear on hostile input: thousands of encoded words in one
header take memory that grows with the square of their number (170 KB of ``Subject`` took
1.2 GB), thousands of parameters take time that does (40,000 took 34 s), and comments nested a
few thousand deep exceed the recursion limit. So a header's value is cut at
:data:`MAX_RAW_HEADER_CHARS` before it is parsed, and one nested too deep reads as empty.
What is left is linear but can still be slow or large (30 MB of one-line parts reached 560 MB
in 30 s; long headers read over and over): :func:`parse_budget` bounds it, its deadline checked
at every part made and header read, and a message of more than :data:`MAX_PARSED_PARTS` parts
refused at the part over it.
"""

from __future__ import annotations

import contextlib
import email.errors
import time
from collections.abc import Iterator
from contextvars import ContextVar
from email.headerregistry import BaseHeader, UnstructuredHeader
from email.message import EmailMessage, Message
from email.parser import BytesFeedParser
from email.policy import EmailPolicy
from typing import Any

#: Longer than any real header (a ``To`` of a hundred addresses); the rest is not parsed.
MAX_RAW_HEADER_CHARS = 8192
#: Parsing and walking one message takes a second or two of CPU; a hostile one is stopped
#: here. CPU time of the parsing thread, not wall time: parsing never waits, so this bounds
#: the work alone, and a busy machine (two workers, a cluster beside) does not refuse real
#: mail that a quiet one reads (the sandbox's ingest_timeout still bounds the wall clock).
PARSE_SECONDS = 30.0
#: Far more MIME parts, containers included, than any real message has (one of 20,000
#: attachments is still read, its first ``email_max_attachments``); 30 MB of one-line parts
#: is refused here in 3.6 s, with 42 MB more than the CLI's own.
MAX_PARSED_PARTS = 50_000


class _Budget:
    def __init__(self, seconds: float, parts: int) -> None:
        self.seconds = seconds
        self.deadline = time.thread_time() + seconds
        self.parts = parts
        self.made = 0


_budget: ContextVar[_Budget | None] = ContextVar("bluelabel_mail_budget", default=None)


class ParseRefused(Exception):
    """The parse went over its budget; the message says which (not a ``MessageError``, so
    the parser's own error handling does not swallow it)."""


class ParseTooSlow(ParseRefused):
    """Longer than the deadline (:data:`PARSE_SECONDS`)."""


class TooManyParts(ParseRefused):
    """More than :data:`MAX_PARSED_PARTS` parts."""


def _check_deadline() -> None:
    budget = _budget.get()
    if budget is not None and time.thread_time() > budget.deadline:
        raise ParseTooSlow(
            f"its parts and headers took more than {budget.seconds:g} s of CPU to read"
        )


@contextlib.contextmanager
def parse_budget(seconds: float, max_parts: int | None = None) -> Iterator[None]:
    """Within the block, parsing raises :class:`ParseTooSlow` once ``seconds`` have passed,
    and :class:`TooManyParts` at the part after ``max_parts`` (:data:`MAX_PARSED_PARTS`)."""
    token = _budget.set(_Budget(seconds, MAX_PARSED_PARTS if max_parts is None else max_parts))
    try:
        yield
    finally:
        _budget.reset(token)


class _Part(EmailMessage):
    def __init__(self, policy: Any = None) -> None:
        budget = _budget.get()
        if budget is not None:
            budget.made += 1
            if budget.made > budget.parts:
                raise TooManyParts(f"more than {budget.parts:,} MIME parts")
        _check_deadline()
        super().__init__(policy)


class _UnparsedHeader(UnstructuredHeader, BaseHeader):
    """A header value kept as text (what ``HeaderRegistry`` builds for unknown names)."""


_PARSER_FAILURES = (
    AttributeError,
    OverflowError,  # a Date of the year 10**40
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


def parse_bytes(raw: bytes) -> Message:
    """``BytesParser(policy=BOUNDED).parsebytes(raw)``, without its whole copies of the
    message (a ``str`` of it, and ``StringIO``'s of four bytes a character: 150 MB for a
    30 MB message): the parser is fed slices of the bytes, as ``parsebytes`` feeds slices
    of its copy."""
    parser = BytesFeedParser(policy=BOUNDED)
    view = memoryview(raw)
    for start in range(0, len(raw), 8192):
        parser.feed(bytes(view[start : start + 8192]))
    return parser.close()
