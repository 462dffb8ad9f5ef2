"""Word documents (``.docx``): the text of the body -- paragraphs and tables, in order.

A DOCX file is a ZIP archive, so it can be a zip bomb: its central directory is read first and
the document refused when its parts would unpack to more than ``[bluelabel] max_unpacked_bytes``
(Python's ``zipfile`` never inflates a member past the size its directory declares, so the
check bounds what is unpacked). The parsing itself (python-docx, on lxml, entities not
resolved) runs in the supervised extraction worker, under the same memory bound and deadline
as a PDF (:func:`~bluelabel.agents.sandbox.supervisor.run_job`).
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bluelabel.agents.files import LocalFile
from bluelabel.errors import IngestError, LimitExceeded

#: More members than any real Word document has.
MAX_MEMBERS = 10_000
_BODY = "word/document.xml"
_STEP = 1 << 20
_TITLE_CHARS = 200


class DocumentRefused(Exception):
    """Raised in the worker: ``kind`` is ``limit``, ``corrupt`` or ``input``."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def check_archive(archive: zipfile.ZipFile, max_unpacked: int) -> None:
    """Refuse a DOCX whose parts unpack to more than ``max_unpacked`` bytes, before unpacking."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise DocumentRefused("limit", f"the archive has {len(members):,} parts")
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_unpacked:
        raise DocumentRefused(
            "limit",
            f"its parts unpack to {unpacked:,} bytes, over the {max_unpacked:,}-byte limit "
            "([bluelabel] max_unpacked_bytes); it may be a zip bomb",
        )
    if _BODY not in archive.namelist():
        raise DocumentRefused("corrupt", f"a ZIP archive without {_BODY}: not a Word document")


def _block_texts(document: Any) -> list[str]:
    """Body paragraphs and table rows (cells joined by tabs), in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[str] = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.append(Paragraph(element, document).text)
        elif tag == "tbl":
            for row in Table(element, document).rows:
                cells: list[Any] = []
                for cell in row.cells:  # a merged cell is listed once per grid column it spans
                    if not cells or cells[-1]._tc is not cell._tc:
                        cells.append(cell)
                blocks.append("\t".join(cell.text for cell in cells))
    return blocks


def verify_members(archive: zipfile.ZipFile) -> None:
    """Unpack every part in small steps, so that one whose data holds more than its directory
    entry declares (or fails its CRC) is refused before a parser reads it whole."""
    for member in archive.infolist():
        with archive.open(member) as part:
            while part.read(_STEP):
                pass


def write_docx_text(job: dict[str, Any]) -> dict[str, Any]:
    """Worker side: the text of the DOCX at ``job["path"]`` into ``job["out"]``."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    path = job["path"]
    try:
        with zipfile.ZipFile(path) as archive:
            check_archive(archive, int(job["max_unpacked"]))
            verify_members(archive)
        document = docx.Document(path)
        blocks = _block_texts(document)
        title = (document.core_properties.title or "").strip()
    except zipfile.LargeZipFile:
        raise DocumentRefused("limit", "a ZIP64 archive: larger than any Word document") from None
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError):
        # OSError: a directory whose offsets point before the archive's start (the seek
        # fails with EINVAL); only the text's own write below is the store's disk.
        raise DocumentRefused(
            "corrupt", "not a ZIP archive, or a damaged one: not a readable DOCX document"
        ) from None
    except (
        PackageNotFoundError,
        LxmlError,
        KeyError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        NotImplementedError,
    ) as exc:  # python-docx on a damaged document; the type says enough, never its content
        raise DocumentRefused(
            "corrupt", f"not a readable Word document ({type(exc).__name__})"
        ) from None
    text = "\n".join(blocks).strip("\n")
    with open(job["out"], "w", encoding="utf-8") as out:
        out.write(text)
    first = next((b.strip() for b in blocks if b.strip()), "")
    return {
        "chars": len(text),
        "title": title[:_TITLE_CHARS] or first[:_TITLE_CHARS] or None,
        "title_from": "document" if title else "first line",
    }


def docx_job(job: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
    """The sandbox worker's ``docx`` command: :func:`write_docx_text` of the checked file."""
    from bluelabel.agents.sandbox.worker import WorkerError, check_identity

    check_identity(job)
    try:
        return write_docx_text(job)
    except DocumentRefused as exc:
        raise WorkerError(exc.kind, exc.reason) from None


@dataclass(frozen=True)
class DocxExtraction:
    chars: int
    title: str | None
    title_from: str  # document (its core properties) | first line


def extract_docx_text(
    file: LocalFile, out: Path, *, source: str, max_unpacked: int, memory_mb: int, timeout: float
) -> DocxExtraction:
    """Write the text of a DOCX to ``out`` in a supervised worker; refusals name their limit."""
    from bluelabel.agents.sandbox.supervisor import ExtractionLimits, run_job

    job = {
        "op": "docx",
        "path": str(file.path),
        "device": file.device,
        "inode": file.inode,
        "out": str(out),
        "max_unpacked": max_unpacked,
    }
    reply = run_job(
        job, source=source, limits=ExtractionLimits(memory_mb, timeout), what="Word document"
    )
    if "error" in reply:
        kind, reason = reply["error"], reply.get("reason", "")
        if kind == "limit":
            raise LimitExceeded(source, f"refused: {reason}", setting="max_unpacked_bytes")
        raise IngestError(source, reason or "the DOCX cannot be read")
    return DocxExtraction(
        chars=int(reply["chars"]), title=reply.get("title"), title_from=reply["title_from"]
    )
