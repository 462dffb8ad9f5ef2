"""HTML files (and HTML email parts): decoded in their charset, reduced to their main text as
web pages are, stored under the hash of that text."""

from __future__ import annotations

from typing import Any

from bluelabel.agents.files import LocalFile, binary_kind, content_id_of_text
from bluelabel.agents.formats import read_document
from bluelabel.agents.formats.html import html_document_text
from bluelabel.agents.ingest.documents import choose_title, store_document, text_record
from bluelabel.agents.ingest.options import IngestOptions, byte_limit
from bluelabel.agents.inputs import AgentContext
from bluelabel.agents.results import IngestResult
from bluelabel.errors import IngestError


def ingest_html_file(
    file: LocalFile,
    source: str,
    opts: IngestOptions,
    context: AgentContext,
    *,
    extra: dict[str, Any] | None = None,
    charset: str | None = None,
    stem: str | None = None,
) -> IngestResult:
    """``charset``: the one an email part declares; ``stem``: the title when it has none."""
    limit = byte_limit(opts, context.settings.max_document_bytes, "max_document_bytes", source)
    data = read_document(file, limit=limit, source=source, setting="max_document_bytes")
    binary = binary_kind(data[:8192])
    if binary is not None:
        raise IngestError(source, f"not HTML: the content is {binary}")
    title, text = html_document_text(data, charset)
    if not text.strip():
        raise IngestError(source, "no readable text in the HTML document")
    chosen = choose_title(opts, title, text, stem or file.path.stem)
    record = text_record(
        content_id_of_text(text, "html"),
        "html",
        source,
        len(text),
        opts,
        dict(extra or {}),
        *chosen,
    )
    return store_document(record, text, context)
