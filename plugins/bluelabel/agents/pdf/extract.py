"""PDF text extraction in the sandbox (:mod:`bluelabel.agents.sandbox`): no PDF is parsed in
the calling process.

One worker opens the file (:mod:`bluelabel.agents.pdf.pages`) and reports its page count,
metadata and outline; large documents are then split into blocks of pages that more workers
take as they finish the previous one (a slower core simply takes fewer), each writing its text
to its own part file, so memory does not grow with the page count. All of them share the
ingest's memory bound and deadline; a refusal names the limit that was hit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bluelabel.agents.files import LocalFile
from bluelabel.agents.pdf.extraction import BACKENDS, Backend, ExtractionLimits, PdfExtraction
from bluelabel.agents.pdf.ocr import OcrConfig
from bluelabel.agents.sandbox.supervisor import Supervisor, Worker
from bluelabel.errors import CorruptPdfError, IngestError, LimitExceeded

#: Pages below which one worker does everything (a second one costs more than it saves).
PARALLEL_MIN_PAGES = 64
#: Pages per unit of work handed to a worker when a document is split.
BLOCK_PAGES = 32

ProgressCallback = Callable[[int, int], None]


def _failure(
    supervisor: Supervisor, file: LocalFile, reply: dict[str, Any], password: str | None
) -> Exception:
    """The error a worker's reply stands for, in a PDF's words."""
    kind, reason = reply["error"], reply.get("reason", "")
    if kind == "password":
        why = "the password is wrong" if password else "a password is needed (--password)"
        return IngestError(supervisor.source, f"encrypted PDF: {why}")
    if kind == "security":
        return IngestError(supervisor.source, f"encrypted PDF: {reason}")
    if kind == "limit":
        return IngestError(
            supervisor.source, f"refused: the PDF exceeds {reason}; it may be a decompression bomb"
        )
    if kind == "corrupt":
        return CorruptPdfError(
            supervisor.source, f"corrupt or truncated PDF: {reason}{_truncation_hint(file)}"
        )
    return supervisor.failure(reply)


def _truncation_hint(file: LocalFile) -> str:
    try:
        with file.open() as handle:
            handle.seek(max(0, file.size - 2048))
            tail = handle.read()
    except IngestError:
        return ""
    return "" if b"%%EOF" in tail else " (no %%EOF marker: the file looks truncated)"


def open_job(
    file: LocalFile, password: str | None, backend: Backend, outline: bool
) -> dict[str, Any]:
    return {
        "op": "open",
        "path": str(file.path),
        "password": password,
        "backend": backend,
        "device": file.device,
        "inode": file.inode,
        "outline": outline,
    }


def extract_pdf_text(
    file: LocalFile,
    out: Path,
    *,
    source: str | None = None,
    password: str | None = None,
    backend: Backend = "pdfium",
    workers: int = 1,
    limits: ExtractionLimits | None = None,
    progress: ProgressCallback | None = None,
    opened: Callable[[PdfExtraction], bool] | None = None,
    ocr: OcrConfig | None = None,
) -> PdfExtraction | None:
    """Write the text of ``file`` to ``out`` (pages separated by form feeds).

    ``opened`` is called with what the first worker learnt on opening the file (pages,
    metadata, outline) after the password was checked; when it returns False nothing is
    extracted and the result is None (e.g. the document is stored already). ``ocr``: read
    pages without text (that draw something) with Tesseract.
    Raises :class:`IngestError` naming the file and the reason (a limit names its setting).
    """
    name = source or str(file.path)
    limits = limits or ExtractionLimits()
    supervisor = Supervisor(name, limits, workers, what="PDF")
    parts: list[Path] = []
    try:
        first = supervisor.spawn(1)
        first.send(open_job(file, password, backend, outline=True))
        _, reply = supervisor.next_reply()
        if "error" in reply:
            raise _failure(supervisor, file, reply, password)
        result = PdfExtraction(
            page_count=reply["page_count"],
            metadata=reply["metadata"],
            outline=reply["outline"],
            encrypted=reply["encrypted"],
            backend=reply["backend"],
            repaired=reply["repaired"],
        )
        pages = result.page_count
        if limits.max_pages is not None and pages > limits.max_pages:
            raise LimitExceeded(
                name,
                f"{pages:,} pages, over the {limits.max_pages:,}-page limit "
                "([bluelabel] max_pages)",
                setting="max_pages",
            )
        if opened is not None and not opened(result):
            return None
        _run_blocks(supervisor, file, result, out, parts, password, progress, ocr)
        return result
    finally:
        supervisor.close()
        for part in parts:
            part.unlink(missing_ok=True)


def _run_blocks(
    supervisor: Supervisor,
    file: LocalFile,
    result: PdfExtraction,
    out: Path,
    parts: list[Path],
    password: str | None,
    progress: ProgressCallback | None,
    ocr: OcrConfig | None = None,
) -> None:
    pages = result.page_count
    blocks = [(a, min(a + BLOCK_PAGES, pages)) for a in range(0, pages, BLOCK_PAGES)]
    parts.extend(out.with_name(f"{out.name}.block{i}") for i in range(len(blocks)))
    count = 1 if pages < PARALLEL_MIN_PAGES else min(supervisor.wanted, len(blocks))
    for _ in range(1, count):
        worker = supervisor.spawn(count)
        worker.send(open_job(file, password, result.backend, outline=False))
    pending = list(range(len(blocks)))
    done = 0
    pages_done = 0

    def hand_out(worker: Worker) -> None:
        if pending:
            index = pending.pop(0)
            worker.busy = index
            first, last = blocks[index]
            worker.send(
                {
                    "op": "block",
                    "index": index,
                    "first": first,
                    "last": last,
                    "out": str(parts[index]),
                    "ocr": ocr.to_job() if ocr else None,
                }
            )
        else:
            supervisor.retire(worker)

    hand_out(supervisor.workers[0])
    while done < len(blocks):
        worker, reply = supervisor.next_reply()
        if "error" in reply:
            raise _failure(supervisor, file, reply, password)
        if reply["ok"] == "block":
            done += 1
            first, last = blocks[reply["index"]]
            pages_done += last - first
            result.chars += reply["chars"]
            result.failed_pages += reply["failed"]
            result.empty_pages += reply["empty"]
            result.truncated_pages += reply["truncated"]
            result.ocr_pages += reply["ocr"]
            result.ocr_chars += reply["ocr_chars"]
            result.ocr_failed += reply["ocr_failed"]
            result.ocr_unavailable = result.ocr_unavailable or reply["ocr_unavailable"]
            result.ocr_engine = result.ocr_engine or reply["ocr_engine"]
            result.ocr_tried += reply["ocr_tried"]
            if progress:
                progress(pages_done, pages)
        hand_out(worker)  # "opened" from a helper, or a finished block: give it more
    result.failed_pages.sort()
    result.empty_pages.sort()
    result.truncated_pages.sort()
    result.ocr_pages.sort()
    with out.open("wb") as sink:
        for part in parts:
            with part.open("rb") as source:
                while block := source.read(1 << 20):
                    sink.write(block)


__all__ = [
    "BACKENDS",
    "Backend",
    "ExtractionLimits",
    "PdfExtraction",
    "extract_pdf_text",
]
