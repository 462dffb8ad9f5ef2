"""One file of the batch inbox: ingested, then filed under ``processed/`` or ``quarantine/``
(with why); a ``.url`` file is a list of URLs, every one ingested."""

from __future__ import annotations

from bluelabel.agents.files import LocalFile
from bluelabel.agents.inbox import open_inbox
from bluelabel.agents.ingest.dispatch import ingest_local_file
from bluelabel.agents.ingest.options import IngestOptions
from bluelabel.agents.ingest.url import ingest_url
from bluelabel.agents.inputs import AgentContext, AgentInput
from bluelabel.agents.results import InboxFileResult, IngestResult, MessageResult, UrlListResult
from bluelabel.errors import BluelabelError, IngestError, NoLongerInInbox

MAX_URLS_PER_FILE = 100


def ingest_inbox_item(
    request: AgentInput, opts: IngestOptions, context: AgentContext
) -> InboxFileResult:
    """One inbox file, then filed under ``processed/`` or ``quarantine/`` (with why)."""
    inbox = open_inbox(str(request.context["inbox"]), context)
    name = str(request.context["inbox_file"])
    source = f"{inbox.location}/{name}"
    try:
        with inbox.local_file(
            name, roots=context.allowed_roots, max_bytes=context.settings.max_file_bytes
        ) as file:
            if file.path.suffix.lower() == ".url":
                result: IngestResult | UrlListResult | MessageResult = ingest_url_file(
                    file, source, opts, context
                )
            else:
                result = ingest_local_file(file, source, opts, context)
    except NoLongerInInbox:
        raise
    except BluelabelError as exc:
        moved = inbox.quarantine(name, str(exc))
        context.log.error("%s quarantined (%s): %s", name, moved, exc)
        raise
    except Exception as exc:  # a bug or an unexpected library error: still file the input
        reason = f"{type(exc).__name__}: {exc}"
        inbox.quarantine(name, reason)
        raise IngestError(source, f"quarantined: {reason}") from exc
    return InboxFileResult(name, inbox.mark_processed(name), result)


def ingest_url_file(
    file: LocalFile, source: str, opts: IngestOptions, context: AgentContext
) -> UrlListResult:
    """Every URL in a ``.url`` file; any failure fails the file, naming each bad line."""
    with file.open() as handle:
        data = handle.read(MAX_URLS_PER_FILE * 4096 + 1)
    if len(data) > MAX_URLS_PER_FILE * 4096:
        raise IngestError(source, "the .url file is too large for a list of URLs")
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise IngestError(source, "the .url file is not UTF-8 text") from None
    urls = [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]
    urls = [(n, url) for n, url in urls if not url.startswith("#")]
    if not urls:
        raise IngestError(source, "the .url file lists no URL (one http(s) URL per line)")
    if len(urls) > MAX_URLS_PER_FILE:
        raise IngestError(source, f"more than {MAX_URLS_PER_FILE} URLs in one .url file")
    results: list[IngestResult] = []
    failures: list[tuple[int, BluelabelError]] = []
    for done, (number, url) in enumerate(urls, 1):
        try:
            results.append(ingest_url(url, opts, context))
        except BluelabelError as exc:
            failures.append((number, exc))
        context.progress("urls", done, len(urls))
    if failures:
        stored = f"; {len(results)} other URL(s) were stored" if results else ""
        why = "; ".join(f"line {number}: {exc}" for number, exc in failures)
        # Worth a retry only if every failure may pass (timeouts, 5xx).
        permanent = any(exc.permanent for _, exc in failures)
        raise IngestError(source, why + stored, permanent=permanent)
    return UrlListResult(
        source=source,
        content_ids=[r.content_id for r in results],
        deduplicated_ids=[r.content_id for r in results if r.deduplicated],
        titles=[r.title for r in results],
        content_length=sum(r.content_length for r in results),
    )
