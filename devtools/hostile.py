"""Hostile inputs built in code: decompression bombs, alias bombs, for tests and fuzz seeds.

Nothing here is committed as a file: every bomb is generated when a test needs it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator


def _deflate(chunks: Iterator[bytes], level: int = 9) -> bytes:
    compressor = zlib.compressobj(level)
    out = [compressor.compress(chunk) for chunk in chunks]
    out.append(compressor.flush())
    return b"".join(out)


def _repeat(block: bytes, total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = block[: total - sent]
        sent += len(piece)
        yield piece


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF whose objects are ``objects`` (1-based), catalog first, with a valid xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _stream(data: bytes, filters: str) -> bytes:
    return (
        f"<< /Length {len(data)} /Filter [{filters}] >>\nstream\n".encode() + data + b"\nendstream"
    )


def decompression_bomb_pdf(inflated: int = 1 << 30, *, pages: int = 1, text: bool = False) -> bytes:
    """A small PDF whose page content inflates to ``inflated`` bytes (deflated twice, so a
    gigabyte fits in kilobytes); ``text``: the content is show-text operators, so a reader
    that survives decompression produces ``inflated`` bytes of text; ``pages`` pages share
    the one stream (a 4-page file then stands for 4 x ``inflated``)."""
    block = b"BT /F1 12 Tf (" + b"A" * 4000 + b") Tj ET\n" if text else b"\x00" * (1 << 20)
    once = _deflate(_repeat(block, inflated), level=9)
    twice = _deflate(iter([once]), level=9)
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        _stream(twice, "/FlateDecode /FlateDecode"),
    ]
    font = 4 + pages
    for _ in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return _pdf(objects)


def alias_bomb_yaml(levels: int = 9, width: int = 10) -> str:
    """A workflow file whose aliases multiply: ``width ** levels`` values in a few KB."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels + 1):
        refs = ", ".join(f"*a{level - 1}" for _ in range(width))
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines += [
        "workflow:",
        "  name: Bomb",
        '  version: "1"',
        f"  description: *a{levels}",
        "steps:",
        "  - id: ingest",
        "    agent: ingestion_agent",
    ]
    return "\n".join(lines) + "\n"
