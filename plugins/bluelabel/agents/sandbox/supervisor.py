"""Supervised worker processes: a memory bound and a deadline for whatever they parse.

The supervisor

- caps every worker's heap (``RLIMIT_DATA``) and watches the resident memory of the caller's
  growth and its workers together, so one ingest stays within ``[bluelabel] ingest_memory_mb``
  whatever the input (decompression bombs inflate a few kilobytes into gigabytes; a parser's
  objects for 48 MB of tags take gigabytes);
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
from dataclasses import dataclass
from typing import IO, Any

from bluelabel.errors import IngestError, LimitExceeded

#: How often the supervisor samples the workers' memory.
POLL_SECONDS = 0.05
#: Least memory one worker gets, even when the caller alone uses most of the budget (a
#: large task process): the limit then bounds what the ingest adds, not what was there.
MIN_WORKER_MB = 128
#: A worker's resident memory beyond its heap (the interpreter's and the libraries' code).
WORKER_CODE_MB = 32
#: What may inflate from a few kilobytes (the memory refusal says it may be a bomb).
_COMPRESSED = frozenset({"PDF", "Word document", "document"})
#: The worker's module, as ``python -I -m`` runs it.
WORKER_MODULE = "bluelabel.agents.sandbox.worker"


@dataclass(frozen=True)
class ExtractionLimits:
    """``memory_mb``: all processes of the ingest together; ``timeout``: seconds in all;
    ``max_pages``: a PDF's page count (None: no limit)."""

    memory_mb: int = 512
    timeout: float = 600.0
    max_pages: int | None = None


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


class Worker:
    def __init__(self, memory_bytes: int) -> None:
        env = {
            **os.environ,
            "BLUELABEL_WORKER_PARENT": str(os.getpid()),
            "BLUELABEL_WORKER_MEMORY": str(memory_bytes),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-m", WORKER_MODULE],
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
        self.busy: int | None = None  # the unit of work it is on (a PDF's block of pages)

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


class Supervisor:
    """The workers of one ingest of ``source`` (named in every refusal), within ``limits``.
    ``what`` names the document in messages ("the PDF", "the HTML document")."""

    def __init__(
        self, source: str, limits: ExtractionLimits, workers: int = 1, *, what: str = "document"
    ) -> None:
        self.source, self.limits, self.what = source, limits, what
        self.wanted = max(1, workers)
        self.started = time.monotonic()
        self.deadline = self.started + limits.timeout
        self.parent_mb = _rss_mb(os.getpid())  # the caller before the ingest
        self.workers: list[Worker] = []
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

    def spawn(self, count: int = 1) -> Worker:
        worker = Worker(self.worker_budget(count))
        self.workers.append(worker)
        self.selector.register(worker.stdout, selectors.EVENT_READ, worker)
        return worker

    def retire(self, worker: Worker) -> None:
        """Nothing left for ``worker``: it quits, and its end of the pipe is no longer
        watched (its EOF is not a death while the others finish their work)."""
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
            raise self.memory_error()
        if time.monotonic() > self.deadline:
            raise LimitExceeded(
                self.source,
                f"stopped after {self.limits.timeout:g} s, the time limit for one ingest "
                "([bluelabel] ingest_timeout)",
                setting="ingest_timeout",
            )

    def memory_error(self) -> LimitExceeded:
        bomb = "; it may be a decompression bomb" if self.what in _COMPRESSED else ""
        return LimitExceeded(
            self.source,
            f"the {self.what} needs more than {self.limits.memory_mb} MB to extract, the memory "
            f"limit for one ingest ([bluelabel] ingest_memory_mb){bomb}",
            setting="ingest_memory_mb",
        )

    def next_reply(self) -> tuple[Worker, dict[str, Any]]:
        """The next message of any worker, checking the limits while waiting."""
        while True:
            self._check_limits()
            for key, _ in self.selector.select(timeout=POLL_SECONDS):
                worker: Worker = key.data
                line = worker.stdout.readline()
                if line:
                    return worker, json.loads(line)
                raise self._death(worker)

    def _death(self, worker: Worker) -> IngestError:
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
                return self.memory_error()
            return IngestError(
                self.source,
                f"the parser crashed on this file ({name}): it is malformed, or needs "
                f"more memory than the {self.limits.memory_mb} MB limit "
                "([bluelabel] ingest_memory_mb)",
            )
        if peak >= 0.8 * budget:  # failed for want of memory before it could say so
            return self.memory_error()
        return IngestError(
            self.source, f"the extraction worker stopped (exit code {worker.process.returncode})"
        )

    def failure(self, reply: dict[str, Any]) -> Exception:
        """The error a worker's reply stands for (an ``OSError`` for the store's disk)."""
        kind, reason = reply["error"], reply.get("reason", "")
        if kind == "write":
            return OSError(int(reply.get("errno") or 0), reason)
        if kind == "memory":
            return self.memory_error()
        return IngestError(self.source, reason or f"the {self.what} cannot be read")


def run_job(
    job: dict[str, Any], *, source: str, limits: ExtractionLimits, what: str = "document"
) -> dict[str, Any]:
    """One job (e.g. ``{"op": "docx", ...}``) in one supervised worker, under the memory bound
    and deadline of ``limits``: the worker's reply. An ``error`` reply is returned for the
    caller to explain, except running out of memory or disk, which raise."""
    supervisor = Supervisor(source, limits, 1, what=what)
    try:
        supervisor.spawn(1).send(job)
        _, reply = supervisor.next_reply()
        if reply.get("error") in ("memory", "write"):
            raise supervisor.failure(reply)
        return reply
    finally:
        supervisor.close()
