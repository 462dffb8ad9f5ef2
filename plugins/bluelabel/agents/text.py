"""Text documents streamed into the store's staging area: bounded memory whatever the size.

A text file or stdin is read in blocks, checked for binary content, decoded as UTF-8 (a
leading byte-order mark dropped, line ends normalised to ``\\n``), hashed and written to the
staging file as it goes, and refused as soon as it passes its byte limit.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bluelabel.agents.files import binary_kind
from bluelabel.errors import IngestError, LimitExceeded

_BLOCK = 1 << 20
_HEAD = 8192


@dataclass(frozen=True)
class StagedText:
    content_id: str
    chars: int
    first_line: str | None


def _too_big(source: str, limit: int) -> LimitExceeded:
    return LimitExceeded(
        source,
        f"text is over the {limit:,}-byte limit ([bluelabel] max_text_bytes)",
        setting="max_text_bytes",
    )


class _Counted(io.RawIOBase):
    """A binary stream that refuses to yield more than ``limit`` bytes."""

    def __init__(self, raw: BinaryIO, limit: int, source: str, head: bytes) -> None:
        self._raw, self._limit, self._source = raw, limit, source
        self._pending = head
        self.count = len(head)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._pending:
            data, self._pending = self._pending[: len(buffer)], self._pending[len(buffer) :]
        else:
            data = self._raw.read(min(len(buffer), _BLOCK))
            self.count += len(data)
            if self.count > self._limit:
                raise _too_big(self._source, self._limit)
        buffer[: len(data)] = data
        return len(data)


def stage_text_stream(
    raw: BinaryIO, staged: Path, *, max_bytes: int, source: str, kind: str = "text"
) -> StagedText:
    """Copy UTF-8 text from ``raw`` to ``staged``; its content id, length and first line."""
    head = raw.read(_HEAD)
    if len(head) > max_bytes:
        raise _too_big(source, max_bytes)
    what = binary_kind(head)
    if what is not None:
        raise IngestError(source, f"not text: the content is {what}")
    counted = _Counted(raw, max_bytes, source, head)
    reader = io.TextIOWrapper(
        io.BufferedReader(counted, _BLOCK), encoding="utf-8-sig", errors="strict", newline=None
    )
    digest = hashlib.sha256(kind.encode() + b"\0")
    chars = 0
    first_line: str | None = None
    try:
        with staged.open("w", encoding="utf-8", newline="") as sink:
            while block := reader.read(_BLOCK):
                encoded = block.encode("utf-8")
                digest.update(encoded)
                sink.write(block)
                chars += len(block)
                if first_line is None:
                    first_line = _first_line(block)
    except UnicodeDecodeError as exc:
        raise IngestError(
            source,
            f"not UTF-8 text (invalid byte 0x{exc.object[exc.start]:02x} near byte "
            f"{counted.count - len(exc.object) + exc.start:,}); convert it to UTF-8",
        ) from None
    return StagedText(digest.hexdigest()[:32], chars, first_line)


def check_text_size(text: str, *, max_bytes: int, source: str) -> None:
    """Inline text (a template, the trigger form) obeys the same limit and binary check."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise _too_big(source, max_bytes)
    if "\x00" in text[:_HEAD]:
        raise IngestError(source, "not text: the content is binary data (it contains NUL bytes)")


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:120]
    return None
