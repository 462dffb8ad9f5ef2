"""Small PDFs built in code, for the demo, the tests and the benchmarks (no binary fixtures).

Text is laid out with the standard Helvetica font, so every PDF reader extracts it.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

_PAGE_WIDTH, _PAGE_HEIGHT = 612, 792
_LINES_PER_PAGE = 50


def _escape(line: str) -> bytes:
    data = line.encode("cp1252", errors="replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _text_stream(text: str) -> bytes:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(textwrap.wrap(paragraph, 95) or [""])
    ops = [b"BT /F1 10 Tf 12 TL 50 750 Td"]
    ops += [b"(" + _escape(line) + b") Tj T*" for line in lines[:_LINES_PER_PAGE]]
    ops.append(b"ET")
    return b"\n".join(ops)


_IMAGE_STREAM = (
    b"q 200 0 0 200 100 500 cm BI /W 4 /H 4 /CS /G /BPC 8 ID "
    b"\x00\xff\x00\xff\xff\x00\xff\x00\x00\xff\x00\xff\xff\x00\xff\x00 EI Q"
)


def build_pdf(
    pages: Sequence[str],
    *,
    metadata: Mapping[str, str] | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
    image_only: bool = False,
) -> bytes:
    """A PDF with one page per string (or image-only pages), optional metadata/encryption.

    ``metadata`` keys are PDF info names without the slash (``Title``, ``Author``, ...).
    ``owner_password`` alone gives a PDF that opens without a password (empty user password).
    """
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    for text in pages:
        page = writer.add_blank_page(_PAGE_WIDTH, _PAGE_HEIGHT)
        stream = DecodedStreamObject()
        stream.set_data(_IMAGE_STREAM if image_only else _text_stream(text))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
    if metadata:
        writer.add_metadata({f"/{k}": v for k, v in metadata.items()})
    if user_password is not None or owner_password is not None:
        writer.encrypt(
            user_password=user_password or "", owner_password=owner_password, algorithm="AES-128"
        )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


SAMPLE_PARAGRAPHS = [
    "Apache Airflow schedules and monitors workflows written as directed acyclic graphs. "
    "Each task runs when its upstream tasks have succeeded, and the scheduler records every "
    "run in the metadata database.",
    "Bluelabel ingests documents into a knowledge store. Portable documents, web pages and "
    "plain text are reduced to their text and metadata, and each document is stored once, "
    "under an identifier derived from its content.",
    "A digest summarises the stored documents. The extractive summariser picks the sentences "
    "that carry the most frequent content words, so the summary is deterministic and needs "
    "no network access.",
    "Operators wrap the agents so that any Airflow DAG can reuse them. Results travel between "
    "tasks as small JSON documents holding identifiers and metadata, never the full text.",
]


def sample_pages(count: int) -> list[str]:
    """``count`` pages of varied, readable English text."""
    pages = []
    for number in range(count):
        body = " ".join(SAMPLE_PARAGRAPHS[(number + i) % len(SAMPLE_PARAGRAPHS)] for i in range(3))
        pages.append(f"Page {number + 1}. {body}")
    return pages


def fill_inbox(
    folder: Path, documents: int, *, corrupt: int = 0, pdf_share: float = 0.5, batch: str = ""
) -> tuple[list[str], list[str]]:
    """Drop ``documents`` distinct readable documents (PDFs and ``.txt``/``.md`` files, about
    ``pdf_share`` PDFs) and ``corrupt`` broken PDFs into ``folder``.

    Returns (good names, corrupt names). Every document's content is unique, so none is a
    duplicate of another; calls with different ``batch`` labels make different documents.
    """
    folder.mkdir(parents=True, exist_ok=True)
    good: list[str] = []
    pdfs = round(documents * pdf_share)
    for number in range(documents):
        pages = sample_pages(1 + number % 4)
        pages[0] = f"Document {number} of the batch {batch}. {pages[0]}"
        if number < pdfs:
            name = f"doc-{number:04d}.pdf"
            data = build_pdf(pages, metadata={"Title": f"Batch document {number}"})
            (folder / name).write_bytes(data)
        else:
            name = f"note-{number:04d}.{'md' if number % 2 else 'txt'}"
            (folder / name).write_text(f"Batch note {number}\n\n" + "\n\n".join(pages))
        good.append(name)
    broken: list[str] = []
    for number in range(corrupt):
        name = f"broken-{number:03d}.pdf"
        whole = build_pdf(sample_pages(2), metadata={"Title": f"Broken {number}"})
        # alternately: a truncated PDF, and something that is not a PDF at all
        data = whole[: len(whole) // 3] if number % 2 == 0 else b"this is not a PDF\n" * 20
        (folder / name).write_bytes(data)
        broken.append(name)
    return good, broken


def build_scanned_pdf(pages: Sequence[str], *, dpi: int = 150) -> bytes:
    """The PDF of ``pages`` as a scanner would make it: each page rendered to a grey image
    at ``dpi`` and put back as the page's only content (no text layer)."""
    import zlib

    import pypdfium2 as pdfium

    source = pdfium.PdfDocument(build_pdf(pages))
    kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(len(source)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(source)} >>".encode(),
    ]
    for index in range(len(source)):
        page = source[index]
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        width, height, stride = bitmap.width, bitmap.height, bitmap.stride
        raw = bytes(bitmap.buffer)
        rows = b"".join(raw[y * stride : y * stride + width] for y in range(height))
        image = zlib.compress(rows, 6)
        number = 3 + 3 * index
        draw = f"q {_PAGE_WIDTH} 0 0 {_PAGE_HEIGHT} 0 0 cm /Scan Do Q".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_PAGE_WIDTH} {_PAGE_HEIGHT}] "
            f"/Contents {number + 1} 0 R /Resources << /XObject << /Scan {number + 2} 0 R >> >> "
            ">>".encode()
        )
        objects.append(f"<< /Length {len(draw)} >>\nstream\n".encode() + draw + b"\nendstream")
        objects.append(
            f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
            f"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode "
            f"/Length {len(image)} >>\nstream\n".encode()
            + image
            + b"\nendstream"
        )
        bitmap.close()
        page.close()
    source.close()
    return pdf_from_objects(objects)


def words_recovered(original: str, read: str) -> float:
    """Share of ``original``'s words (letters, case-folded) found in ``read``, each as often
    as it occurs (a multiset recall): how OCR is scored, in the tests and the benchmark."""
    found = Counter(re.findall(r"[A-Za-z]+", read.lower()))
    wanted = re.findall(r"[A-Za-z]+", original.lower())
    hits = 0
    for word in wanted:
        if found[word] > 0:
            found[word] -= 1
            hits += 1
    return hits / max(1, len(wanted))


def pdf_from_objects(objects: list[bytes]) -> bytes:
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


def docx_bytes(paragraphs: list[str], *, title: str | None = None) -> bytes:
    """A Word document with ``paragraphs`` (python-docx writes it)."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
