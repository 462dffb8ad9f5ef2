"""The ingestion agent: PDF files, URLs, text files and inline text into the knowledge store.

Every source is untrusted: local paths are resolved and kept inside the allowed roots
(:mod:`~bluelabel.agents.files`), PDFs are extracted by supervised workers under a memory
bound and a deadline (:mod:`~bluelabel.agents.pdf`), text is streamed under its byte limit,
URLs are fetched by :mod:`~bluelabel.agents.web`. Limits come from the step's options, capped
by the ``[bluelabel]`` settings. Each kind of source has its module in
:mod:`bluelabel.agents.ingest`; this agent picks among them.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from bluelabel.agents.files import local_file
from bluelabel.agents.formats import TEXT_SUFFIXES
from bluelabel.agents.formats.sniff import sniff
from bluelabel.agents.ingest.batch import ingest_inbox_item
from bluelabel.agents.ingest.dispatch import file_kind, ingest_local_file
from bluelabel.agents.ingest.options import IngestOptions
from bluelabel.agents.ingest.text import ingest_inline_text
from bluelabel.agents.ingest.url import ingest_location, ingest_url
from bluelabel.agents.inputs import AgentContext, AgentInput, TaskType
from bluelabel.agents.results import InboxFileResult, IngestResult, MessageResult, UrlListResult
from bluelabel.errors import AgentInputError, IngestError
from bluelabel.locations import url_scheme


def _task_type(request: AgentInput) -> TaskType:
    if request.task_type:
        return request.task_type
    content = request.content
    if "url" in content:
        return "url"
    if "text" in content:
        return "text"
    if "file_path" in content:
        return file_kind(Path(str(content["file_path"])))
    raise AgentInputError(
        "ingestion input needs content.file_path, content.url or content.text "
        f"(got keys: {', '.join(sorted(content)) or 'none'})"
    )


def _require_str(request: AgentInput, key: str) -> str:
    value = request.content.get(key)
    if not isinstance(value, str) or not value.strip():
        raise AgentInputError(f"ingestion input: content.{key} must be a non-empty string")
    return value.strip()


class IngestionAgent:
    """Ingest a PDF or text file (``content.file_path``), a URL (``content.url``) or text
    (``content.text``); one file of the batch inbox (``context.inbox_file``). The result is
    small: ids and metadata, never the text."""

    name = "ingestion_agent"
    options: ClassVar[type[IngestOptions]] = IngestOptions

    def run(
        self, request: AgentInput, context: AgentContext
    ) -> IngestResult | InboxFileResult | UrlListResult | MessageResult:
        opts = request.options(IngestOptions, settings=context.settings)
        if "inbox_file" in request.context:
            return ingest_inbox_item(request, opts, context)
        task_type = _task_type(request)
        if task_type == "url":
            url = _require_str(request, "url")
            _accepts(opts, "url", url, "a URL")
            if url_scheme(url) in ("http", "https"):  # the fetcher's own address rules
                return ingest_url(url, opts, context)
            return ingest_location(url, opts, context)  # any other scheme: a location
        if "file_path" in request.content and "text" not in request.content:
            raw = _require_str(request, "file_path")
            file = local_file(raw, base_dir=context.base_dir, roots=context.allowed_roots)
            if opts.accept is not None:  # the content decides, not the name
                kind, what = sniff(file)
                _accepts(opts, kind, str(file.path), what)
                task_type = kind  # type: ignore[assignment]
            return ingest_local_file(file, str(file.path), opts, context, task_type=task_type)
        if task_type == "pdf":
            _require_str(request, "file_path")  # raises: a PDF needs a file
        inline = request.content.get("text")
        if not isinstance(inline, str):
            raise AgentInputError("ingestion input: content.text must be a string")
        _accepts(opts, "text", request.source or "inline text", "text given inline")
        return ingest_inline_text(inline, request.source, opts, context)


_KIND_NAMES = {
    "pdf": "PDF files",
    "text": "text",
    "html": "HTML pages",
    "docx": "Word documents (DOCX)",
    "email": "email messages (.eml)",
    "url": "URLs",
}


def _accepts(opts: IngestOptions, kind: str | None, source: str, what: str) -> None:
    """Refuse, in one line naming the source and what it is, a kind the step does not take."""
    if opts.accept is None or kind in opts.accept:
        return
    wanted = " or ".join(_KIND_NAMES[k] for k in opts.accept) or "nothing"
    raise IngestError(source, f"this is {what}, and this step takes only {wanted}")


__all__ = ["TEXT_SUFFIXES", "IngestOptions", "IngestionAgent"]
