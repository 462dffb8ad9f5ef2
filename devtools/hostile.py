"""Hostile inputs built in code: decompression bombs, alias bombs, for tests and fuzz seeds.

Nothing here is committed as a file: every bomb is generated when a test needs it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from devtools.samples import docx_bytes, pdf_from_objects


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


def _deflate_repeated(block: bytes, total: int, level: int = 9) -> bytes:
    """The zlib stream of ``block`` repeated to ``total`` bytes, built from a few blocks'
    compression instead of all of them (a gigabyte takes seconds to deflate, so a test session
    spent a minute making its bombs). A full flush after each block resets the compressor, so
    every whole block after the first compresses to the same bytes; the trailer's Adler-32 is
    computed over the whole data."""
    unit = block * max(1, (1 << 20) // len(block))  # fewer, larger units
    count, rest = divmod(total, len(unit))
    if count < 4:
        return _deflate(_repeat(block, total), level)
    compressor = zlib.compressobj(level)
    first = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    body = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert body == again, "a full flush did not reset the compressor"
    end = compressor.compress(unit[:rest]) + compressor.flush()  # the tail and the trailer
    checksum = 1  # the Adler-32 of nothing
    for _ in range(count):
        checksum = zlib.adler32(unit, checksum)
    checksum = zlib.adler32(unit[:rest], checksum)
    return first + body * (count - 1) + end[:-4] + checksum.to_bytes(4, "big")


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
    once = _deflate_repeated(block, inflated, level=9)
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
    return pdf_from_objects(objects)


def image_bomb_pdf(width: int, height: int, *, colour: str = "DeviceGray") -> bytes:
    """A one-page PDF without text drawing one image of ``width`` x ``height`` 8-bit pixels,
    its data grey and deflated twice (a gigabyte of pixels in kilobytes); a declared size
    beyond the data makes the image's stream end early. The page goes to OCR."""
    channels = {"DeviceGray": 1, "DeviceRGB": 3, "DeviceCMYK": 4}[colour]
    pixels = min(width * height * channels, 1 << 30)
    twice = _deflate(iter([_deflate_repeated(b"\x80" * (1 << 20), pixels)]))
    content = b"q 612 0 0 792 0 0 cm /Im1 Do Q"
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
            f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
            f"/ColorSpace /{colour} /BitsPerComponent 8 /Length {len(twice)} "
            f"/Filter [/FlateDecode /FlateDecode] >>\nstream\n".encode()
            + twice
            + b"\nendstream",
            f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /XObject << /Im1 3 0 R >> >> >>",
        ]
    )


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


def docx_zip_bomb(inflated: int = 1 << 30, *, declared: int | None = None) -> bytes:
    """A DOCX whose ``word/document.xml`` inflates to ``inflated`` bytes of paragraphs.

    ``declared``: the size its ZIP directory claims for that part (a lying archive); default
    the truth. Every other part is a real Word document's."""
    import io
    import struct
    import zipfile

    paragraph = b"<w:p><w:r><w:t>" + b"A" * 4000 + b"</w:t></w:r></w:p>"
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w='
        b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    tail = b"</w:body></w:document>"
    # A 1 MiB block of whole paragraphs, deflated once: after a full flush the compressor
    # starts afresh, so each further copy of the block deflates to the same bytes.
    block = paragraph * ((1 << 20) // len(paragraph))
    copies = max(1, (inflated - len(head) - len(tail)) // len(block))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate, as ZIP stores it
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    once = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    deflated = start + once * copies + compressor.compress(tail) + compressor.flush()
    block_crc = [zlib.crc32(head)]
    for _ in range(copies):
        block_crc[0] = zlib.crc32(block, block_crc[0])
    crc = zlib.crc32(tail, block_crc[0])
    inflated = len(head) + copies * len(block) + len(tail)
    size = inflated if declared is None else declared

    out = io.BytesIO()
    entries: list[
        tuple[bytes, int, int, int, int, int]
    ] = []  # name, method, crc, csize, size, offset
    with zipfile.ZipFile(io.BytesIO(docx_bytes(["x"]))) as real:
        members = [(i.filename, real.read(i.filename)) for i in real.infolist()]
    for name, data in members:
        offset = out.tell()
        if name == "word/document.xml":
            record = (name.encode(), 8, crc & 0xFFFFFFFF, len(deflated), size, offset)
            payload = deflated
        else:
            record = (name.encode(), 0, zlib.crc32(data), len(data), len(data), offset)
            payload = data
        entries.append(record)
        encoded, method, crc32, csize, usize, _ = record
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0,
                method,
                0,
                0,
                crc32,
                csize,
                usize,
                len(encoded),
                0,
            )
            + encoded
            + payload
        )
    directory = out.tell()
    for encoded, method, crc32, csize, usize, offset in entries:
        out.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                method,
                0,
                0,
                crc32,
                csize,
                usize,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    end = out.tell()
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), end - directory, directory, 0
        )
    )
    return out.getvalue()


def docx_with_document(xml: bytes) -> bytes:
    """A real Word document whose ``word/document.xml`` is ``xml`` (e.g. with a DTD that
    declares external or exponentially nested entities)."""
    import io
    import zipfile

    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx_bytes(["x"]))) as real,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as made,
    ):
        for info in real.infolist():
            body = xml if info.filename == "word/document.xml" else real.read(info.filename)
            made.writestr(info.filename, body)
    return out.getvalue()
