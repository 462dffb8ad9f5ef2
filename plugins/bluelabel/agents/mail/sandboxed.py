"""One message parsed in the sandbox (:mod:`bluelabel.agents.sandbox`), never in the task.

The standard library's parser is not bounded on hostile input (3 million headers, or 28 MB of
folded header lines, took 789 MB; a message/rfc822 nested 1,000 deep made its generator raise
``AttributeError``), so a message is parsed in a supervised worker under
``[bluelabel] ingest_memory_mb`` and ``ingest_timeout``: whatever goes wrong there -- a limit,
a parser's exception of any type -- is this message's failure, one line, and the caller goes on.

The worker writes the body text and each attachment to be ingested to files of their own in a
folder the caller gives, and replies with the rest (headers, problems, the attachment list);
the caller never holds a message's attachments in memory.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from bluelabel.agents.files import LocalFile
from bluelabel.agents.mail.message import Attachment, MailLimits, ParsedMessage
from bluelabel.agents.sandbox.supervisor import ExtractionLimits, run_job
from bluelabel.errors import IngestError, LimitExceeded

BODY_FILE = "body.txt"


def email_job(job: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
    """Worker side (``{"op": "email", "path", "device", "inode", "dir", "limits"}``): parse
    the message, write its body and attachments into ``dir``, reply with the rest."""
    from bluelabel.agents.mail.message import parse_message
    from bluelabel.agents.sandbox.worker import WorkerError, check_identity

    check_identity(job)
    limits = MailLimits(**job["limits"])
    with open(job["path"], "rb") as handle:
        raw = handle.read(limits.max_message_bytes + 1)
    try:
        parsed = parse_message(raw, limits, source=job["path"])
    except LimitExceeded as exc:
        raise WorkerError(f"limit:{exc.setting}", exc.reason) from None
    except IngestError as exc:
        raise WorkerError("input", exc.reason) from None
    except (MemoryError, RecursionError, OSError):
        raise
    except Exception as exc:  # the standard library's parser, on input it does not expect
        raise WorkerError("input", f"malformed email: the parser failed ({_what(exc)})") from None
    del raw
    folder = Path(job["dir"])
    (folder / BODY_FILE).write_text(parsed.body, encoding="utf-8", errors="surrogatepass")
    attachments = []
    for index, attachment in enumerate(parsed.attachments):
        entry = dataclasses.asdict(attachment)
        data = entry.pop("data")
        if data is not None:
            entry["path"] = str(folder / f"part-{index}")
            Path(entry["path"]).write_bytes(data)
        attachments.append(entry)
        attachment.data = None
    fields = dataclasses.asdict(parsed)
    fields.pop("body")
    fields["attachments"] = attachments
    return fields


def _what(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:120]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def parse_in_sandbox(
    file: LocalFile,
    folder: Path,
    limits: MailLimits,
    *,
    source: str,
    memory_mb: int,
    timeout: float,
) -> ParsedMessage:
    """The message in ``file``, parsed by a supervised worker that writes its body and
    attachments into ``folder`` (each attachment's ``path``); a refusal is one line."""
    job = {
        "op": "email",
        "path": str(file.path),
        "device": file.device,
        "inode": file.inode,
        "dir": str(folder),
        "limits": dataclasses.asdict(limits),
    }
    reply = run_job(
        job, source=source, limits=ExtractionLimits(memory_mb, timeout), what="email message"
    )
    if "error" in reply:
        kind, reason = str(reply["error"]), reply.get("reason") or "the message cannot be read"
        if kind.startswith("limit:"):
            raise LimitExceeded(source, reason, setting=kind.partition(":")[2])
        if kind == "corrupt":  # RecursionError in the worker
            raise IngestError(source, f"malformed email: {reason}")
        raise IngestError(source, reason)
    body = (folder / BODY_FILE).read_text(encoding="utf-8", errors="surrogatepass")
    attachments = [Attachment(**entry) for entry in reply.pop("attachments")]
    for key in ("ok",):
        reply.pop(key, None)
    parsed = ParsedMessage(**reply, body=body, attachments=attachments)
    os.unlink(folder / BODY_FILE)
    return parsed
