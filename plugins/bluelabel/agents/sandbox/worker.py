"""The worker: a fresh interpreter that parses one untrusted document under hard limits.

The supervisor (:mod:`bluelabel.agents.sandbox.supervisor`) starts it as
``python -I -m bluelabel.agents.sandbox.worker`` and speaks JSON lines with it over
stdin/stdout: one command a line (``{"op": NAME, ...}``), one reply a line. Each command is
handled by the format that owns it (:data:`HANDLERS`: imported on first use, so a worker loads
only the parser it runs); ``{"op": "quit"}`` ends it. A handler may keep what later commands
need (an open PDF) in the session; whatever there has a ``close`` is closed at the end.

Any failure -> ``{"error": KIND, "reason": TEXT}`` (KIND: corrupt, password, security, memory,
limit, input, write, internal), after which the worker exits.

It dies with its parent (``PR_SET_PDEATHSIG``), so a killed task leaves no worker running, and
its heap is capped (``RLIMIT_DATA``): a bomb ends this process, never the task's. Nothing here
imports Airflow.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import resource
import signal
import stat
import sys
from collections.abc import Callable
from typing import Any, TextIO

_PR_SET_PDEATHSIG = 1
#: The longest reason a reply carries.
MAX_REASON_CHARS = 2000
#: Who handles each command: ``module:function(job, session) -> reply``.
HANDLERS: dict[str, str] = {
    "open": "bluelabel.agents.pdf.pages:open_document",
    "block": "bluelabel.agents.pdf.pages:read_block",
    "docx": "bluelabel.agents.formats.docx:docx_job",
    "email": "bluelabel.agents.mail.sandboxed:email_job",
    "html": "bluelabel.agents.formats.html:html_job",
}

Handler = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


class WorkerError(Exception):
    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def check_identity(job: dict[str, Any]) -> None:
    """The file at ``job["path"]`` is still the regular file the supervisor checked."""
    info = os.stat(job["path"])
    if (info.st_dev, info.st_ino) != (job["device"], job["inode"]) or not stat.S_ISREG(
        info.st_mode
    ):
        raise WorkerError("input", "the file changed while it was being opened")


def _handler(op: Any) -> Handler:
    target = HANDLERS.get(op) if isinstance(op, str) else None
    if target is None:
        raise WorkerError("internal", f"unexpected command {op!r}")
    module, _, name = target.partition(":")
    handler: Handler = getattr(importlib.import_module(module), name)
    return handler


def _reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _setup(parent: int, memory: int) -> None:
    # Not Linux: no prctl, but the supervisor's closed pipe still ends the worker.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(3)
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


#: The reply to running out of memory, made before it happens.
_OUT_OF_MEMORY = json.dumps({"error": "memory", "reason": "out of memory"}) + "\n"


def serve(commands: TextIO) -> int:
    session: dict[str, Any] = {}
    failure: dict[str, Any] | None = None
    try:
        for line in commands:
            job = json.loads(line)
            op = job.get("op")
            if op == "quit":
                break
            _reply({"ok": op, **_handler(op)(job, session)})
    except WorkerError as exc:
        failure = {"error": exc.kind, "reason": exc.reason[:MAX_REASON_CHARS]}
    except MemoryError:
        # Replied once out of this block: the traceback holds the frames that hold the
        # memory, and a reply made here could fail for want of it.
        failure = {}
    except OSError as exc:  # writing the text: the store's disk is full or read-only
        failure = {"error": "write", "reason": exc.strerror or str(exc), "errno": exc.errno or 0}
    except RecursionError:
        failure = {"error": "corrupt", "reason": "the document nests objects too deeply"}
    finally:
        for value in reversed(list(session.values())):
            with contextlib.suppress(Exception):  # a broken document must not hide the reply
                value.close()
        session.clear()
    if failure is None:
        return 0
    if failure:
        _reply(failure)
    else:
        sys.stdout.write(_OUT_OF_MEMORY)
        sys.stdout.flush()
    return 1


def main() -> int:
    _setup(int(os.environ["BLUELABEL_WORKER_PARENT"]), int(os.environ["BLUELABEL_WORKER_MEMORY"]))
    return serve(sys.stdin)


if __name__ == "__main__":
    # Run as ``-m``, this file is ``__main__``; the handlers import it by its own name, and
    # their WorkerError must be the one serve() catches: serve from that module.
    from bluelabel.agents.sandbox import worker

    sys.exit(worker.main())
