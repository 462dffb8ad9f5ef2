"""The digest agent: summaries of stored documents rendered as markdown, HTML or JSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar, Protocol

from bluelabel.agents.digest_files import publish
from bluelabel.agents.digest_files import record_owner as record_owner
from bluelabel.agents.ingest.documents import FALLBACK_TITLES
from bluelabel.agents.inputs import AgentContext, AgentInput
from bluelabel.agents.pdf.metadata import without_placeholders
from bluelabel.agents.results import DigestResult

# The option models live in step_options (a workflow check needs them without this agent).
from bluelabel.agents.step_options import DigestOptions as DigestOptions
from bluelabel.agents.step_options import SummaryOptions as SummaryOptions
from bluelabel.agents.summarize import GIST_CHARS, repeats, summarize
from bluelabel.agents.summarize.structure import outline_of
from bluelabel.errors import AgentInputError, EveryInputFailed, NothingToDigest
from bluelabel.render.digest import (
    FORMATS,
    DigestItem,
    parse_sections,
    render_digest,
)
from bluelabel.store import DocumentRecord, KnowledgeStore
from bluelabel.timeparse import TimeParseError, parse_time

SUMMARY_VERSION = 4  # 4: whole sentences only, a note instead of a summary of furniture
#: A summary reads at most this much of a document (the opening holds what it is about).
SUMMARY_INPUT_CHARS = 8_000_000


class Summarizer(Protocol):
    key: str
    notes: list[str]

    @property
    def label(self) -> str: ...

    def summarize(
        self, text: str, *, sentences: int, key_points: int, title: str, outline: list[Any]
    ) -> tuple[dict[str, Any], bool]: ...


class ExtractiveSummarizer:
    """The built-in summariser: deterministic, offline, fast on long documents."""

    key = "extractive"
    label = "extractive"

    def __init__(self) -> None:
        self.notes: list[str] = []

    def summarize(
        self, text: str, *, sentences: int, key_points: int, title: str, outline: list[Any]
    ) -> tuple[dict[str, Any], bool]:
        result = summarize(
            text,
            sentences=sentences,
            key_points=key_points,
            title=title or None,
            outline=outline_of(outline),
        )
        return extractive_fields(result), True


def extractive_fields(result: Any) -> dict[str, Any]:
    """What a digest keeps of a :class:`~bluelabel.agents.summarize.Summary`."""
    return {
        "summary": result.summary,
        "key_points": list(result.key_points),
        "keywords": list(result.keywords),
        "what_inside": list(result.what_inside),
        "gist": result.gist,
        "title": result.title,
        "note": result.note,
        "summary_sentences": list(result.summary_sentences),
    }


def _outline_inside(record: DocumentRecord) -> list[str]:
    """The top level of a long PDF's bookmarks, when the summariser found no structure."""
    top = [str(entry[1]) for entry in record.outline if entry and entry[0] == 0]
    return top[:12] if len(top) >= 3 else []


def _gist(summary: str) -> str:
    first = summary.split(". ")[0].strip().rstrip(".")
    return f"{first[:200]}." if first else ""


def gist_of(title: str, summary: Mapping[str, Any]) -> str:
    """The one line a batch or periodic digest shows beside ``title``: the summary's best
    sentence, else its next one that does not just say the title again, else nothing."""
    gist = str(summary.get("gist") or "") or _gist(str(summary.get("summary") or ""))
    if not repeats(gist, title):
        return gist
    for sentence in summary.get("summary_sentences") or ():
        if isinstance(sentence, str) and not repeats(sentence, title):
            return _gist(sentence) if len(sentence) > GIST_CHARS else sentence
    return ""


def summarizer_for(opts: SummaryOptions) -> Summarizer:
    """The step's summariser; an LLM's connection is resolved now, at the start of the step."""
    if opts.summarizer == "extractive":
        return ExtractiveSummarizer()
    from bluelabel.agents.llm import LlmSummarizer

    if not opts.llm_conn_id:
        raise AgentInputError(
            "summarizer: llm needs llm_conn_id (an Airflow connection of type pydanticai)"
        )
    if opts.chunk_overlap >= opts.chunk_chars:
        raise AgentInputError(
            f"chunk_overlap ({opts.chunk_overlap}) must be smaller than chunk_chars "
            f"({opts.chunk_chars})"
        )
    summarizer = LlmSummarizer(
        conn_id=opts.llm_conn_id,
        model_id=opts.llm_model,
        chunk_chars=opts.chunk_chars,
        chunk_overlap=opts.chunk_overlap,
        timeout=opts.llm_timeout,
        fallback=opts.fallback,
        prompts_path=opts.prompts,
    )
    summarizer.prepare()
    return summarizer


def summarize_record(
    record: DocumentRecord,
    store: KnowledgeStore,
    opts: SummaryOptions,
    summarizer: Summarizer,
) -> dict[str, Any]:
    """The summary of a stored document, computed once per settings and cached in the store."""
    prefix = "" if summarizer.key == "extractive" else f"{summarizer.key}-"
    key = f"v{SUMMARY_VERSION}-{prefix}s{opts.sentences}-k{opts.key_points}"
    cached = store.cached_summary(record.content_id, key)
    if cached is not None:
        return cached
    data, cacheable = summarizer.summarize(
        store.read_text(record.content_id, max_chars=SUMMARY_INPUT_CHARS),
        sentences=opts.sentences,
        key_points=opts.key_points,
        # a fallback title (the file name) would hide the document's first heading
        title="" if record.metadata.get("title_from") in FALLBACK_TITLES else record.title or "",
        outline=list(record.outline),
    )
    if cacheable:
        store.cache_summary(record.content_id, key, data)
    return data


def digest_item(record: DocumentRecord, summary: Mapping[str, Any]) -> DigestItem:
    title = record.title or record.source  # chosen once at ingest, shown so everywhere
    return DigestItem(
        content_id=record.content_id,
        title=title,
        source=record.source,
        date=record.ingested_at,
        content_type=record.content_type,
        length=record.content_length,
        summary=summary.get("summary") or summary.get("note") or "(no text to summarise)",
        key_points=list(summary.get("key_points") or []),
        keywords=list(summary.get("keywords") or []),
        what_inside=list(summary.get("what_inside") or []) or _outline_inside(record),
        gist=gist_of(title, summary),
        page_count=record.page_count,
        metadata=without_placeholders(record.metadata),  # records stored before ingest did
    )


@dataclass
class Summaries:
    items: list[DigestItem]
    #: what was met on the way: the summariser's fall-backs, damaged store entries
    warnings: list[str]
    #: which summariser made them ("extractive", "llm (conn)", or the fall-back)
    summarizer: str


def summarize_records(
    records: Sequence[DocumentRecord], store: KnowledgeStore, opts: SummaryOptions
) -> Summaries:
    """Digest items of ``records``, with the step's summariser."""
    summarizer = summarizer_for(opts)
    items = [digest_item(r, summarize_record(r, store, opts, summarizer)) for r in records]
    return Summaries(items, [*summarizer.notes, *store.problems], summarizer.label)


def _ids_from(results: Iterable[Mapping[str, Any]], *, new_only: bool = False) -> list[str]:
    """Content ids in upstream results; ``new_only``: leave out documents stored before."""
    ids: list[str] = []
    for result in results:
        if isinstance(result.get("content_id"), str) and not (
            new_only and result.get("deduplicated")
        ):
            ids.append(result["content_id"])
        old = set(result.get("deduplicated_ids", ()) or ()) if new_only else set()
        for content_id in result.get("content_ids", ()) or ():
            if str(content_id) not in old:
                ids.append(str(content_id))
    return list(dict.fromkeys(ids))  # de-duplicate, keep order


def _failed_from(results: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """What upstream steps could not read and said so in their result (a mailbox run's
    ``failed`` messages); their failed tries come in ``AgentContext.upstream_failed``."""
    return [
        {str(k): str(v) for k, v in entry.items()}
        for result in results
        for entry in (result.get("failed") or ())
        if isinstance(entry, Mapping) and entry.get("reason")
    ]


class DigestAgent:
    """Digest stored documents. Which ones, in order of precedence: ``content_ids``, the
    upstream steps' results, inline ``content.text``, else a query (``since``, ``until``,
    ``tags``, ``source``, ``content_type``, ``limit``)."""

    name = "digest_agent"
    options: ClassVar[type[DigestOptions]] = DigestOptions

    def run(self, request: AgentInput, context: AgentContext) -> DigestResult:
        opts = request.options(DigestOptions, settings=context.settings)
        sections, warnings = parse_sections(opts.sections)
        store = context.store
        records = self._select(request, opts, context)
        failed = (
            [*_failed_from(context.upstream), *map(dict, context.upstream_failed)]
            if opts.content_ids is None
            else []
        )
        if not records and opts.skip_if_empty and not failed:
            raise NothingToDigest("no new documents to digest")
        summaries = summarize_records(records, store, opts)
        items = summaries.items
        warnings += summaries.warnings
        inline = request.content.get("text")
        if not records and isinstance(inline, str) and inline.strip():
            items.append(self._inline_item(request, inline, opts))
        generated_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        kwargs = {
            "title": opts.title,
            "generated_at": generated_at,
            "sections": sections,
            "failed": failed,
            "run": run_of(context),
        }
        rendered: dict[str, str] = {f: render_digest(items, f, **kwargs) for f in FORMATS}  # type: ignore[arg-type]
        text = rendered[opts.format]
        paths = publish(store, rendered, opts.format, warnings)
        record_owner(context, paths, warnings)
        result = DigestResult(
            digest=text,
            format=opts.format,
            summary_count=len(items),
            content_ids=[i.content_id for i in items],
            titles=[i.title for i in items],
            digest_path=paths.get(opts.format),
            html_path=paths.get("html"),
            summarizer=summaries.summarizer,
            warnings=warnings,
            paths=paths,
            failed=failed,
        )
        if not items and context.upstream_failed and not context.upstream:
            where = f" ({paths[opts.format]})" if opts.format in paths else ""
            raise EveryInputFailed(
                f"every input failed ({len(failed)}); the digest{where} lists each with its reason",
                result,
            )
        return result

    def _select(
        self, request: AgentInput, opts: DigestOptions, context: AgentContext
    ) -> list[DocumentRecord]:
        ids: Sequence[str] | None = opts.content_ids
        if ids is None and (context.upstream or context.from_upstream):
            ids = _ids_from(context.upstream, new_only=opts.exclude_deduplicated)
        if (
            ids is None
            and isinstance(request.content.get("content_id"), str)
            and "text" not in request.content
        ):
            ids = [request.content["content_id"]]
        if ids is not None:
            records = []
            for content_id in list(ids)[: opts.limit]:
                record = context.store.get(str(content_id))
                if record is None:
                    damaged = [p for p in context.store.problems if str(content_id) in p]
                    raise AgentInputError(
                        f"digest: document {content_id} is not in store {context.store.location}"
                        + (f" ({damaged[0]})" if damaged else "")
                    )
                records.append(record)
            return records
        if isinstance(request.content.get("text"), str):
            return []
        return context.store.query(
            limit=opts.limit,
            since=_time(opts.since, "since"),
            until=_time(opts.until, "until"),
            tags=opts.tags,
            source_contains=opts.source,
            content_type=opts.content_type,
        )

    @staticmethod
    def _inline_item(request: AgentInput, text: str, opts: DigestOptions) -> DigestItem:
        meta = request.content.get("metadata", {})
        meta = meta if isinstance(meta, Mapping) else {}
        data = extractive_fields(
            summarize(text, sentences=opts.sentences, key_points=opts.key_points)
        )
        title = str(meta.get("title") or data["title"] or request.source)
        return DigestItem(
            content_id=str(request.content.get("content_id", "inline")),
            title=title,
            source=request.source,
            date=str(meta.get("created_at", "")),
            content_type=str(request.content.get("content_type", "text")),
            length=len(text),
            summary=data["summary"] or data["note"] or "(no text to summarise)",
            key_points=data["key_points"],
            keywords=data["keywords"],
            gist=gist_of(title, data),
            metadata={k: v for k, v in meta.items() if k in ("author", "language", "created_at")},
        )


def run_of(context: AgentContext) -> dict[str, str] | None:
    """The task that makes the digest (kept in its JSON), ``None`` outside Airflow."""
    ref = context.run
    return (
        None
        if ref is None
        else {"dag_id": ref.dag_id, "run_id": ref.run_id, "task_id": ref.task_id}
    )


def _time(value: str | None, name: str) -> datetime | None:
    try:
        return parse_time(value, name)
    except TimeParseError as exc:
        raise AgentInputError(f"digest: {exc}") from None
