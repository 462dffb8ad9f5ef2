"""PDF text extraction, supervised: worker processes under a memory bound and a deadline.

No PDF is parsed in the calling process. One worker (:mod:`bluelabel.agents.pdf.worker`)
opens the file and reports its page count, metadata and outline; large documents are then
split into blocks of pages that more workers take as they finish the previous one (a slower
core simply takes fewer), each writing its text to its own part file, so memory does not grow
with the page count. The supervisor

- caps every worker's heap (``RLIMIT_DATA``) and watches the workers' resident memory, so one
  ingest stays within ``[bluelabel] ingest_memory_mb`` whatever the file (decompression
  bombs inflate a few kilobytes into gigabytes);
- stops everything at the ingest's deadline (``[bluelabel] ingest_timeout``);
- starts workers that die with it (``PR_SET_PDEATHSIG``): a killed task leaves none behind.

A refusal names the limit that was hit.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from bluelabel.agents.files import LocalFile
from bluelabel.agents.pdf.extraction import BACKENDS, Backend, ExtractionLimits, PdfExtraction
from bluelabel.agents.pdf.ocr import OcrConfig
from bluelabel.errors import CorruptPdfError, IngestError, LimitExceeded

#: Pages below which one worker does everything (a second one costs more than it saves).
PARALLEL_MIN_PAGES = 64
#: Pages per unit of work handed to a worker when a document is split.
BLOCK_PAGES = 32
#: How often the supervisor samples the workers' memory.
POLL_SECONDS = 0.05
#: Least memory one worker gets, even when the caller alone uses most of the budget (a
#: large task process): the limit then bounds what the ingest adds, not what was there.
MIN_WORKER_MB = 128
#: A worker's resident memory beyond its heap (the interpreter's and PDFium's code).
WORKER_CODE_MB = 32

ProgressCallback = Callable[[int, int], None]


def _rss_mb(pid: int) -> float:
    """Resident memory of a live process in MB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class _Worker:
    def __init__(self, memory_bytes: int) -> None:
        env = {
            **os.environ,
            "BLUELABEL_WORKER_PARENT": str(os.getpid()),
            "BLUELABEL_WORKER_MEMORY": str(memory_bytes),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-m", "bluelabel.agents.pdf.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
            text=True,
            bufsize=1,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin: IO[str] = self.process.stdin
        self.stdout: IO[str] = self.process.stdout
        self.peak_mb = 0.0
        self.busy: int | None = None  # the block it is working on

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.stdin.write(json.dumps(message) + "\n")
            self.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it died; its reply (EOF) tells why

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                stream.close()


class _Supervisor:
    def __init__(
        self, file: LocalFile, source: str, limits: ExtractionLimits, workers: int
    ) -> None:
        self.file, self.source, self.limits = file, source, limits
        self.wanted = max(1, workers)
        self.started = time.monotonic()
        self.deadline = self.started + limits.timeout
        self.parent_mb = _rss_mb(os.getpid())  # the caller before the ingest
        self.workers: list[_Worker] = []
        self.selector = selectors.DefaultSelector()
        self.peak_mb = self.parent_mb

    # ----------------------------------------------------------------- processes
    def workers_mb(self, count: int) -> float:
        """What ``count`` workers (and the caller's growth) may use together: the limit less
        what the caller already held, but never less than ``MIN_WORKER_MB`` each."""
        return max(self.limits.memory_mb - self.parent_mb, count * MIN_WORKER_MB)

    def worker_budget(self, count: int) -> int:
        """One worker's heap cap in bytes (its share, less its code)."""
        return int((self.workers_mb(count) / count - WORKER_CODE_MB) * 1024 * 1024)

    def spawn(self, count: int) -> _Worker:
        worker = _Worker(self.worker_budget(count))
        self.workers.append(worker)
        self.selector.register(worker.stdout, selectors.EVENT_READ, worker)
        return worker

    def retire(self, worker: _Worker) -> None:
        """Nothing left for ``worker``: it quits, and its end of the pipe is no longer
        watched (its EOF is not a death while the others finish their blocks)."""
        worker.busy = None
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(worker.stdout)
        worker.send({"op": "quit"})

    def close(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(worker.stdout)
            worker.kill()
        self.selector.close()

    # ----------------------------------------------------------------- replies
    def _check_limits(self) -> None:
        growth = max(0.0, _rss_mb(os.getpid()) - self.parent_mb)
        used = growth + sum(_rss_mb(w.process.pid) for w in self.workers)
        self.peak_mb = max(self.peak_mb, self.parent_mb + used)
        if used > self.workers_mb(max(1, len(self.workers))):
            raise self._memory_error()
        if time.monotonic() > self.deadline:
            raise LimitExceeded(
                self.source,
                f"stopped after {self.limits.timeout:g} s, the time limit for one ingest "
                "([bluelabel] ingest_timeout)",
                setting="ingest_timeout",
            )

    def _memory_error(self) -> LimitExceeded:
        return LimitExceeded(
            self.source,
            f"the document needs more than {self.limits.memory_mb} MB to extract, the memory limit "
            "for one ingest ([bluelabel] ingest_memory_mb); it may be a decompression bomb",
            setting="ingest_memory_mb",
        )

    def next_reply(self) -> tuple[_Worker, dict[str, Any]]:
        """The next message of any worker, checking the limits while waiting."""
        while True:
            self._check_limits()
            for key, _ in self.selector.select(timeout=POLL_SECONDS):
                worker: _Worker = key.data
                line = worker.stdout.readline()
                if line:
                    return worker, json.loads(line)
                raise self._death(worker)

    def _death(self, worker: _Worker) -> IngestError:
        """Why a worker ended without replying."""
        self.selector.unregister(worker.stdout)
        try:
            _, status, usage = os.wait4(worker.process.pid, 0)
        except ChildProcessError:
            status, usage = 0, None
        worker.process.returncode = os.waitstatus_to_exitcode(status) if status else 0
        peak = usage.ru_maxrss / 1024 if usage else 0.0
        budget = self.workers_mb(max(1, len(self.workers))) / max(1, len(self.workers))
        if os.WIFSIGNALED(status):
            name = signal.Signals(os.WTERMSIG(status)).name
            if peak >= 0.5 * budget:
                return self._memory_error()
            return IngestError(
                self.source,
                f"the PDF library crashed on this file ({name}): it is malformed, or needs "
                f"more memory than the {self.limits.memory_mb} MB limit "
                "([bluelabel] ingest_memory_mb)",
            )
        return IngestError(
            self.source, f"the extraction worker stopped (exit code {worker.process.returncode})"
        )

    def failure(self, reply: dict[str, Any], password: str | None) -> Exception:
        """The error a worker's reply stands for (an ``OSError`` for the store's disk)."""
        kind, reason = reply["error"], reply.get("reason", "")
        if kind == "write":
            return OSError(int(reply.get("errno") or 0), reason)
        if kind == "password":
            why = "the password is wrong" if password else "a password is needed (--password)"
            return IngestError(self.source, f"encrypted PDF: {why}")
        if kind == "security":
            return IngestError(self.source, f"encrypted PDF: {reason}")
        if kind == "memory":
            return self._memory_error()
        if kind == "limit":
            return IngestError(
                self.source, f"refused: the PDF exceeds {reason}; it may be a decompression bomb"
            )
        if kind == "corrupt":
            return CorruptPdfError(
                self.source, f"corrupt or truncated PDF: {reason}{_truncation_hint(self.file)}"
            )
        return IngestError(self.source, reason or "the PDF cannot be read")


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
    supervisor = _Supervisor(file, name, limits, workers)
    parts: list[Path] = []
    try:
        first = supervisor.spawn(1)
        first.send(open_job(file, password, backend, outline=True))
        _, reply = supervisor.next_reply()
        if "error" in reply:
            raise supervisor.failure(reply, password)
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
        _run_blocks(supervisor, result, out, parts, password, progress, ocr)
        return result
    finally:
        supervisor.close()
        for part in parts:
            part.unlink(missing_ok=True)


def _run_blocks(
    supervisor: _Supervisor,
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
        worker.send(open_job(supervisor.file, password, result.backend, outline=False))
    pending = list(range(len(blocks)))
    done = 0
    pages_done = 0

    def hand_out(worker: _Worker) -> None:
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
            raise supervisor.failure(reply, password)
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
