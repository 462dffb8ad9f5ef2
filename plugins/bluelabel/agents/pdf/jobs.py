"""Other documents read by the supervised PDF worker (a DOCX): one job, the same bounds."""

from __future__ import annotations

from typing import Any

from bluelabel.agents.files import LocalFile
from bluelabel.agents.pdf.extract import ExtractionLimits, _Supervisor


def run_job(
    file: LocalFile, job: dict[str, Any], *, source: str, limits: ExtractionLimits
) -> dict[str, Any]:
    """One job (e.g. ``{"op": "docx", ...}``) in one supervised worker, under the same memory
    bound and deadline as a PDF: the worker's reply. An ``error`` reply is returned for the
    caller to explain, except running out of memory or disk, which raise as for a PDF."""
    supervisor = _Supervisor(file, source, limits, 1)
    try:
        supervisor.spawn(1).send(job)
        _, reply = supervisor.next_reply()
        if reply.get("error") in ("memory", "write"):
            raise supervisor.failure(reply, None)
        return reply
    finally:
        supervisor.close()
