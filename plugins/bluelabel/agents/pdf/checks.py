"""What is plainly not a readable PDF is refused before any backend sees it."""

from __future__ import annotations

from bluelabel.agents.files import LocalFile
from bluelabel.agents.formats.sniff import sniff_bytes
from bluelabel.errors import IngestError, LimitExceeded

HEADER_WINDOW = 1024


def check_pdf_file(file: LocalFile, *, source: str, max_bytes: int) -> None:
    """Empty, oversized, or no ``%PDF-`` header: one clear line, never the file's bytes."""
    if file.size == 0:
        raise IngestError(source, "file is empty (0 bytes), not a PDF")
    if file.size > max_bytes:
        raise LimitExceeded(
            source,
            f"file is {file.size:,} bytes, over the {max_bytes:,}-byte limit "
            "([bluelabel] max_pdf_bytes)",
            setting="max_pdf_bytes",
        )
    with file.open() as handle:
        head = handle.read(HEADER_WINDOW)
    if b"%PDF-" not in head:
        _, what = sniff_bytes(head)
        raise IngestError(
            source,
            f"not a PDF (no %PDF- header in its first {HEADER_WINDOW:,} bytes): this is {what}",
        )
