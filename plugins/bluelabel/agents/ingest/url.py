"""URLs: fetched under the deadline and size limit; a PDF response goes down the PDF path,
HTML becomes its main text, binary is refused as text."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from bluelabel.agents.files import binary_kind, check_regular_file, content_id_of_text, object_file
from bluelabel.agents.html_text import html_to_text
from bluelabel.agents.ingest.dispatch import ingest_local_file
from bluelabel.agents.ingest.documents import choose_title, store_document, text_record
from bluelabel.agents.ingest.options import IngestOptions, byte_limit
from bluelabel.agents.ingest.pdf import ingest_pdf
from bluelabel.agents.inputs import AgentContext
from bluelabel.agents.results import IngestResult, MessageResult
from bluelabel.agents.web import FetchPolicy, decode_body, fetch_url, is_text_type, looks_like_pdf
from bluelabel.errors import IngestError
from bluelabel.locations import check_location
from bluelabel.store import storage_path

#: URL responses that may be HTML pages (reduced to their main text).
HTML_TYPES = ("text/html", "application/xhtml+xml")


def ingest_url(url: str, opts: IngestOptions, context: AgentContext) -> IngestResult:
    settings = context.settings
    policy = FetchPolicy(
        timeout=opts.timeout or settings.url_timeout,
        total_timeout=opts.total_timeout or settings.url_total_timeout,
        max_bytes=byte_limit(opts, settings.max_url_bytes, "max_url_bytes", url),
        max_redirects=settings.max_redirects if opts.max_redirects is None else opts.max_redirects,
        allow_private=context.allow_private_urls,
    )
    with context.store.staging_file() as body:
        with body.open("wb") as sink:
            fetched = fetch_url(url, sink, policy)
        extra: dict[str, Any] = {
            "url": fetched.url,
            "http_status": fetched.status,
            "mime_type": fetched.content_type,
        }
        if fetched.redirects:
            extra["redirects"] = fetched.redirects
        if looks_like_pdf(body, fetched.content_type):
            stem = PurePosixPath(urlsplit(fetched.url).path).stem or url  # not the staging file's
            return ingest_pdf(
                check_regular_file(body, url), url, opts, context, extra=extra, stem=stem
            )
        with body.open("rb") as handle:
            head = handle.read(8192)
        binary = binary_kind(head)
        if binary is not None or not (
            is_text_type(fetched.content_type) or fetched.content_type == "application/octet-stream"
        ):
            raise IngestError(
                url,
                f"not text: the response is {binary or 'not text'} "
                f"(Content-Type {fetched.content_type})",
            )
        raw = body.read_bytes()
    text = decode_body(raw, fetched.charset)
    title = None
    if fetched.content_type in HTML_TYPES or "<html" in text[:2048].lower():
        title, text = html_to_text(text)
    if not text.strip():
        raise IngestError(url, f"no readable text in the response ({fetched.content_type})")
    chosen = choose_title(opts, title, text, None, "first line")
    record = text_record(
        content_id_of_text(text, "url"), "url", url, len(text), opts, extra, *chosen
    )
    return store_document(record, text, context)


def ingest_location(
    location: str, opts: IngestOptions, context: AgentContext
) -> IngestResult | MessageResult:
    """A source URL of any scheme but http(s) (``s3://``, ``file://``, ...): a location, read
    only when the location policy allows it, as a file of its suffix's kind."""
    allowed = check_location(
        location, roots=context.allowed_roots, base_dir=context.base_dir, what="source"
    )
    if isinstance(allowed, Path):
        return ingest_local_file(check_regular_file(allowed, location), location, opts, context)
    name = PurePosixPath(urlsplit(allowed).path).name
    with object_file(storage_path(allowed), max_bytes=context.settings.max_file_bytes) as file:
        return ingest_local_file(file, location, opts, context, name=name)
