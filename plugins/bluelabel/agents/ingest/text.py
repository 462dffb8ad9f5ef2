"""Text: files streamed under their byte limit, and inline text (the form, a template, stdin)."""

from __future__ import annotations

from typing import Any

from bluelabel.agents.files import LocalFile, content_id_of_text
from bluelabel.agents.ingest.documents import (
    choose_title,
    first_line,
    opening_of,
    store_document,
    text_record,
)
from bluelabel.agents.ingest.options import IngestOptions, byte_limit
from bluelabel.agents.inputs import AgentContext
from bluelabel.agents.results import IngestResult
from bluelabel.agents.text import check_text_size, stage_text_stream
from bluelabel.errors import IngestError


def ingest_text_file(
    file: LocalFile,
    source: str,
    opts: IngestOptions,
    context: AgentContext,
    *,
    extra: dict[str, Any] | None = None,
    stem: str | None = None,
) -> IngestResult:
    """``stem``: the title (default: the file's name)."""
    limit = byte_limit(opts, context.settings.max_text_bytes, "max_text_bytes", source)
    with context.store.staging_file() as staged, file.open() as handle:
        text = stage_text_stream(handle, staged, max_bytes=limit, source=source)
        if text.first_line is None:  # nothing but white space
            raise IngestError(source, "the text is empty")
        title = choose_title(opts, None, opening_of(staged), stem or file.path.stem)
        record = text_record(
            text.content_id, "text", source, text.chars, opts, dict(extra or {}), *title
        )
        return store_document(record, staged, context)


def ingest_inline_text(
    text: str, source: str, opts: IngestOptions, context: AgentContext
) -> IngestResult:
    check_text_size(text, max_bytes=context.settings.max_text_bytes, source=source)
    if not text.strip():
        raise IngestError(source, "the text is empty")
    title = choose_title(opts, None, text, first_line(text), "first line")
    record = text_record(content_id_of_text(text), "text", source, len(text), opts, {}, *title)
    return store_document(record, text, context)
