"""A checked local file to the ingest of its kind (by the step's task type, else its suffix)."""

from __future__ import annotations

from typing import Any

from bluelabel.agents.files import LocalFile
from bluelabel.agents.ingest.options import IngestOptions
from bluelabel.agents.ingest.pdf import ingest_pdf
from bluelabel.agents.ingest.text import TEXT_SUFFIXES, ingest_text_file
from bluelabel.agents.models import AgentContext
from bluelabel.agents.results import IngestResult


def kind_of(file: LocalFile) -> str:
    return "text" if file.path.suffix.lower() in TEXT_SUFFIXES else "pdf"


def ingest_local_file(
    file: LocalFile,
    source: str,
    opts: IngestOptions,
    context: AgentContext,
    *,
    task_type: str | None = None,
    extra: dict[str, Any] | None = None,
) -> IngestResult:
    kind = task_type or kind_of(file)
    if kind == "pdf":
        return ingest_pdf(file, source, opts, context, extra=extra)
    return ingest_text_file(file, source, opts, context)
