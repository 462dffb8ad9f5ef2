"""HTML files (and HTML email attachments): decoded in their charset, reduced to their main
text as web pages are -- in the sandbox's worker, within the memory bound and the deadline --
stored under the hash of that text."""

from __future__ import annotations

from typing import Any

from bluelabel.agents.files import LocalFile, binary_kind
from bluelabel.agents.formats import read_document
from bluelabel.agents.formats.html import extract_html_text
from bluelabel.agents.ingest.documents import choose_title, opening_of, store_document, text_record
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
    settings = context.settings
    limit = byte_limit(opts, settings.max_document_bytes, "max_document_bytes", source)
    if file.size > limit:
        read_document(file, limit=limit, source=source, setting="max_document_bytes")
    with file.open() as handle:
        binary = binary_kind(handle.read(8192))
    if binary is not None:
        raise IngestError(source, f"not HTML: the content is {binary}")
    with context.store.staging_file() as staged:
        found = extract_html_text(
            file,
            staged,
            source=source,
            kind="html",
            charset=charset,
            memory_mb=settings.ingest_memory_mb,
            timeout=settings.ingest_timeout,
        )
        if not found.chars:
            raise IngestError(source, "no readable text in the HTML document")
        chosen = choose_title(opts, found.title, opening_of(staged), stem or file.path.stem)
        record = text_record(
            found.content_id, "html", source, found.length, opts, dict(extra or {}), *chosen
        )
        return store_document(record, staged, context)
