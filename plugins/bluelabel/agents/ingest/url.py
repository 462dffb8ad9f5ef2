"""URLs: fetched under the deadline and size limit; a PDF response goes down the PDF path,
HTML becomes its main text, binary is refused as text."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from bluelabel.agents.files import binary_kind, check_regular_file, object_file
from bluelabel.agents.formats.html import extract_html_text
from bluelabel.agents.ingest.dispatch import ingest_local_file
from bluelabel.agents.ingest.documents import choose_title, opening_of, store_document, text_record
from bluelabel.agents.ingest.options import IngestOptions, byte_limit
from bluelabel.agents.ingest.pdf import ingest_pdf
from bluelabel.agents.inputs import AgentContext
from bluelabel.agents.results import IngestResult, MessageResult
from bluelabel.agents.web import FetchPolicy, fetch_url, is_text_type, looks_like_pdf
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
    with context.store.staging_file() as body, context.store.staging_file() as staged:
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
        found = extract_html_text(
            check_regular_file(body, url),
            staged,
            source=url,
            kind="url",
            charset=fetched.charset,
            memory_mb=settings.ingest_memory_mb,
            timeout=settings.ingest_timeout,
            url=True,
            html=fetched.content_type in HTML_TYPES,
        )
        if not found.chars:
            raise IngestError(url, f"no readable text in the response ({fetched.content_type})")
        chosen = choose_title(opts, found.title, opening_of(staged), None, "first line")
        record = text_record(found.content_id, "url", url, found.length, opts, extra, *chosen)
        return store_document(record, staged, context)


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
