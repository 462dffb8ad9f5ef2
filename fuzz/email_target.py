"""Fuzz target: one email message parsed as the sandbox's worker parses it
(:func:`bluelabel.agents.mail.sandboxed.email_job`), in this process so that coverage guides
the fuzzer through the standard library's parser and Bluelabel's walk over its parts.

Whatever the bytes: the job replies with the message's parts written to files, or refuses
with a :class:`WorkerError` whose reason is one line. Any other exception is a finding: in
the sandbox it would still be that message's failure (one line, the mailbox goes on), but it
means a parser path the bounds do not name.
``python -m fuzz.email_target -max_total_time=600``
"""

from __future__ import annotations

import os
import shutil
import sys

import atheris

from fuzz._common import REPO, SCRATCH, seed_corpus

with atheris.instrument_imports():
    from bluelabel.agents.mail.message import MailLimits
    from bluelabel.agents.mail.sandboxed import BODY_FILE, email_job
    from bluelabel.agents.sandbox.worker import WorkerError

PATH = SCRATCH / "fuzzed.eml"
PARTS = SCRATCH / "parts"
LIMITS = {"max_message_bytes": 1_000_000, "max_attachment_bytes": 200_000, "max_attachments": 5}


def test_one_input(data: bytes) -> None:
    PATH.write_bytes(data)
    shutil.rmtree(PARTS, ignore_errors=True)
    PARTS.mkdir()
    info = os.stat(PATH)
    job = {
        "path": str(PATH),
        "device": info.st_dev,
        "inode": info.st_ino,
        "dir": str(PARTS),
        "limits": LIMITS,
    }
    try:
        reply = email_job(job, {})
    except WorkerError as exc:
        assert exc.reason and "\n" not in exc.reason, exc.reason
        return
    assert (PARTS / BODY_FILE).is_file()
    stored = [a for a in reply["attachments"] if a.get("path")]
    assert len(stored) <= LIMITS["max_attachments"], reply["attachments"]
    for attachment in stored:
        assert os.path.getsize(attachment["path"]) <= LIMITS["max_attachment_bytes"]
    assert all("\n" not in problem for problem in reply["problems"]), reply["problems"]
    MailLimits(**LIMITS)  # the limits the job was given are the ones a MailLimits takes


def seeds() -> dict[str, bytes]:
    from devtools.mail_samples import (
        latin1_message,
        malformed_message,
        nested_message,
        report_message,
    )

    return {
        "report.eml": report_message(pdf_pages=1),
        "latin1.eml": latin1_message(),
        "malformed.eml": malformed_message(),
        "nested.eml": nested_message(20),
        "headers.eml": b"Subject: =?utf-8?q?a?= (c (d)) \r\nTo: a@b, (x) <c@d>\r\n\r\nbody\r\n",
    }


if __name__ == "__main__":
    corpus = seed_corpus(REPO / "build" / "fuzz" / "email", seeds())
    atheris.Setup([*sys.argv, str(corpus)], test_one_input)
    atheris.Fuzz()
