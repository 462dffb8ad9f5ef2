"""A checked local file to the ingest of its kind (by the step's task type, else its suffix)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bluelabel.agents.files import LocalFile
from bluelabel.agents.formats import SUFFIX_KINDS
from bluelabel.agents.ingest.docx import ingest_docx_file
from bluelabel.agents.ingest.html import ingest_html_file
from bluelabel.agents.ingest.options import IngestOptions
from bluelabel.agents.ingest.pdf import ingest_pdf
from bluelabel.agents.ingest.text import ingest_text_file
from bluelabel.agents.inputs import AgentContext, TaskType
from bluelabel.agents.results import IngestResult, MessageResult

_FILE_KINDS = ("pdf", "text", "html", "docx", "email")


def file_kind(path: Path, task_type: str | None = None) -> TaskType:
    """What a local file is read as: the task type when it names a file kind, else its
    suffix (PDF when the suffix says nothing)."""
    if task_type in _FILE_KINDS:
        return task_type  # type: ignore[return-value]
    return SUFFIX_KINDS.get(path.suffix.lower(), "pdf")


def ingest_local_file(
    file: LocalFile,
    source: str,
    opts: IngestOptions,
    context: AgentContext,
    *,
    task_type: str | None = None,
    extra: dict[str, Any] | None = None,
    name: str | None = None,
) -> IngestResult | MessageResult:
    """``name``: the document's own file name when the file's is not (a staged download)."""
    kind = file_kind(file.path, task_type)
    stem = Path(name).stem if name else None
    if kind == "pdf":
        return ingest_pdf(file, source, opts, context, extra=extra, stem=stem)
    if kind == "html":
        return ingest_html_file(file, source, opts, context, extra=extra, stem=stem)
    if kind == "docx":
        return ingest_docx_file(file, source, opts, context, extra=extra, stem=stem)
    if kind == "email":
        from bluelabel.agents.mail.ingest import ingest_eml_file

        return ingest_eml_file(file, source, opts, context, extra=extra)
    return ingest_text_file(file, source, opts, context, extra=extra, stem=stem)
