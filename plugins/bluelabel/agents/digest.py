"""The digest agent: summaries of stored documents rendered as markdown, HTML or JSON."""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from bluelabel.agents.models import AgentContext, AgentInput, whole_number
from bluelabel.agents.summarize import summarize
from bluelabel.errors import AgentInputError, NothingToDigest
from bluelabel.store import DocumentRecord, KnowledgeStore
from bluelabel.timeparse import TimeParseError, parse_time

Format = Literal["markdown", "html", "json"]
FORMATS: tuple[Format, ...] = ("markdown", "html", "json")
FORMAT_SUFFIX = {"markdown": "md", "html": "html", "json": "json"}

#: Section names a step's ``config.sections`` may list, with the original's names as aliases.
SECTIONS = {
    "summary": "summary",
    "executive_summary": "summary",
    "key_points": "key_points",
    "key_findings": "key_points",
    "keywords": "keywords",
    "metadata": "metadata",
}
DEFAULT_SECTIONS = ("summary", "key_points", "metadata")
SUMMARY_VERSION = 2  # 2: summaries from the text model (prose only, abstract first)


@dataclass
class DigestItem:
    content_id: str
    title: str
    source: str
    date: str
    content_type: str
    length: int
    summary: str
    key_points: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    page_count: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


class ExtractiveSummarizer:
    """The built-in summariser: deterministic, offline, fast on long documents."""

    key = "extractive"
    label = "extractive"

    def __init__(self) -> None:
        self.notes: list[str] = []

    def prepare(self) -> None:
        return None

    def summarize(
        self, text: str, *, sentences: int, key_points: int, title: str = ""
    ) -> tuple[dict[str, Any], bool]:
        result = summarize(text, sentences=sentences, key_points=key_points)
        data = {
            "summary": result.summary,
            "key_points": result.key_points,
            "keywords": result.keywords,
        }
        return data, True


def summarizer_for(request: AgentInput, context: AgentContext) -> Any:
    """The step's summariser: ``summarizer: extractive`` (default) or ``llm`` with
    ``llm_conn_id`` (and optional ``llm_model``, ``chunk_chars``, ``chunk_overlap``,
    ``llm_timeout``, ``fallback``, ``prompts``). The LLM's connection is resolved here, at
    the start of the step."""
    kind = request.option("summarizer", "extractive")
    if kind == "extractive":
        return ExtractiveSummarizer()
    if kind != "llm":
        raise AgentInputError(f"summarizer must be 'extractive' or 'llm', got {kind!r}")
    from bluelabel.agents.llm import (
        DEFAULT_CHUNK_CHARS,
        DEFAULT_CHUNK_OVERLAP,
        DEFAULT_TIMEOUT_S,
        LlmSummarizer,
    )

    conn_id = request.option("llm_conn_id")
    if not isinstance(conn_id, str) or not conn_id:
        raise AgentInputError(
            "summarizer: llm needs llm_conn_id (an Airflow connection of type pydanticai)"
        )
    summarizer = LlmSummarizer(
        conn_id=conn_id,
        model_id=request.option("llm_model"),
        chunk_chars=_positive_int(
            request.option("chunk_chars", DEFAULT_CHUNK_CHARS), "chunk_chars"
        ),
        chunk_overlap=_positive_int(
            request.option("chunk_overlap", DEFAULT_CHUNK_OVERLAP), "chunk_overlap", allow_zero=True
        ),
        timeout=float(request.option("llm_timeout", DEFAULT_TIMEOUT_S)),
        fallback=request.flag("fallback", True),
        prompts_path=request.option("prompts"),
    )
    summarizer.prepare()
    return summarizer


def summarize_record(
    record: DocumentRecord,
    store: KnowledgeStore,
    *,
    sentences: int,
    key_points: int,
    summarizer: Any = None,
) -> dict[str, Any]:
    """The summary of a stored document, computed once per settings and cached in the store."""
    summarizer = summarizer or ExtractiveSummarizer()
    prefix = "" if summarizer.key == "extractive" else f"{summarizer.key}-"
    key = f"v{SUMMARY_VERSION}-{prefix}s{sentences}-k{key_points}"
    cached = store.cached_summary(record.content_id, key)
    if cached is not None:
        return cached
    data: dict[str, Any]
    data, cacheable = summarizer.summarize(
        store.read_text(record.content_id),
        sentences=sentences,
        key_points=key_points,
        title=record.title or "",
    )
    if cacheable:
        store.cache_summary(record.content_id, key, data)
    return data


def digest_item(record: DocumentRecord, summary: Mapping[str, Any]) -> DigestItem:
    metadata = {
        k: v
        for k, v in record.metadata.items()
        if k in ("author", "subject", "created", "producer", "url", "page_count")
    }
    return DigestItem(
        content_id=record.content_id,
        title=record.title or record.source,
        source=record.source,
        date=record.ingested_at,
        content_type=record.content_type,
        length=record.content_length,
        summary=summary["summary"] or "(no text to summarise)",
        key_points=list(summary["key_points"]),
        keywords=list(summary["keywords"]),
        page_count=record.page_count,
        metadata=metadata,
    )


# --------------------------------------------------------------------------- rendering
def render(
    items: Sequence[DigestItem],
    fmt: Format,
    *,
    title: str,
    generated_at: str,
    sections: Sequence[str] = DEFAULT_SECTIONS,
) -> str:
    if fmt == "json":
        return json.dumps(
            {
                "title": title,
                "generated_at": generated_at,
                "count": len(items),
                "items": [asdict(i) for i in items],
            },
            indent=2,
            ensure_ascii=False,
        )
    if fmt == "html":
        return _render_html(items, title, generated_at, sections)
    return _render_markdown(items, title, generated_at, sections)


def _render_markdown(
    items: Sequence[DigestItem], title: str, generated_at: str, sections: Sequence[str]
) -> str:
    lines = [f"# {title}", "", f"_{len(items)} document(s), generated {generated_at}_", ""]
    lines += markdown_items(items, sections)
    return "\n".join(lines).rstrip() + "\n"


def markdown_items(
    items: Sequence[DigestItem], sections: Sequence[str], *, level: int = 2
) -> list[str]:
    """The markdown lines of the items, each under a heading of ``level``."""
    lines: list[str] = []
    for number, item in enumerate(items, 1):
        lines += [
            f"{'#' * level} {number}. {item.title}",
            "",
            f"- **Source:** {item.source}",
            f"- **Date:** {item.date}",
            f"- **Length:** {item.length:,} characters"
            + (f", {item.page_count} pages" if item.page_count else ""),
            "",
        ]
        if "summary" in sections:
            lines += [item.summary, ""]
        if "key_points" in sections and item.key_points:
            lines += ["**Key points**", ""] + [f"- {p}" for p in item.key_points] + [""]
        if "keywords" in sections and item.keywords:
            lines += [f"**Keywords:** {', '.join(item.keywords)}", ""]
        if "metadata" in sections and item.metadata:
            lines += ["| Field | Value |", "|---|---|"]
            lines += [f"| {k} | {_cell(v)} |" for k, v in item.metadata.items()]
            lines += [""]
    return lines


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _render_html(
    items: Sequence[DigestItem], title: str, generated_at: str, sections: Sequence[str]
) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p><em>{len(items)} document(s), generated {e(generated_at)}</em></p>",
        *html_items(items, sections),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def html_items(items: Sequence[DigestItem], sections: Sequence[str]) -> list[str]:
    """The HTML of the items, one ``<article>`` each; every value escaped."""
    e = html.escape
    parts: list[str] = []
    for item in items:
        parts.append(f'<article id="{e(item.content_id)}"><h2>{e(item.title)}</h2>')
        parts.append(
            f"<p>Source: {e(item.source)}<br>Date: {e(item.date)}<br>"
            f"Length: {item.length:,} characters</p>"
        )
        if "summary" in sections:
            parts.append(f"<p>{e(item.summary)}</p>")
        if "key_points" in sections and item.key_points:
            parts.append("<ul>" + "".join(f"<li>{e(p)}</li>" for p in item.key_points) + "</ul>")
        if "keywords" in sections and item.keywords:
            parts.append(f"<p>Keywords: {e(', '.join(item.keywords))}</p>")
        if "metadata" in sections and item.metadata:
            rows = "".join(
                f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>"
                for k, v in item.metadata.items()
            )
            parts.append(f"<table>{rows}</table>")
        parts.append("</article>")
    return parts


# --------------------------------------------------------------------------- agent
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


class DigestAgent:
    """Digest stored documents. Which ones, in order of precedence:

    ``content_ids`` (config/content), the upstream steps' results, inline ``content.text``,
    else a query: ``since``, ``until``, ``tags``, ``source``, ``content_type``, ``limit``.
    Options: ``format`` (markdown|html|json), ``limit`` (default 10), ``sentences``,
    ``key_points``, ``sections``, ``title``, ``exclude_deduplicated`` (leave out upstream
    documents that were already stored), ``skip_if_empty`` (raise :class:`NothingToDigest`,
    which the operator turns into a skipped task, when there is nothing to digest).
    """

    name = "digest_agent"

    def run(self, request: AgentInput, context: AgentContext) -> dict[str, Any]:
        fmt = request.option("format", "markdown")
        if fmt not in FORMATS:
            raise AgentInputError(
                f"digest: format must be one of {', '.join(FORMATS)}, got {fmt!r}"
            )
        limit = _positive_int(request.option("limit", 10), "limit")
        sentences = _positive_int(request.option("sentences", 3), "sentences")
        n_points = _positive_int(request.option("key_points", 5), "key_points", allow_zero=True)
        sections, warnings = parse_sections(request.option("sections", DEFAULT_SECTIONS))
        store = context.store

        records = self._select(request, context, limit)
        if not records and request.flag("skip_if_empty"):
            raise NothingToDigest("no new documents to digest")
        summarizer = summarizer_for(request, context)
        items = [
            digest_item(
                r,
                summarize_record(
                    r, store, sentences=sentences, key_points=n_points, summarizer=summarizer
                ),
            )
            for r in records
        ]
        warnings.extend(summarizer.notes)
        inline = request.content.get("text")
        if not records and isinstance(inline, str) and inline.strip():
            items.append(self._inline_item(request, inline, sentences, n_points))

        generated_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        title = str(request.option("title", "Bluelabel digest"))
        digest = render(items, fmt, title=title, generated_at=generated_at, sections=sections)
        name = hashlib.sha256(digest.encode()).hexdigest()[:12]
        stamp = generated_at.replace(":", "").replace("-", "")[:15]
        path = store.write_digest(f"{stamp}-{name}.{FORMAT_SUFFIX[fmt]}", digest)
        return {
            "digest": digest,
            "summary_count": len(items),
            "format": fmt,
            "content_ids": [i.content_id for i in items],
            "titles": [i.title for i in items],
            "digest_path": path,
            "summarizer": summarizer.label,
            "warnings": warnings,
        }

    def _select(
        self, request: AgentInput, context: AgentContext, limit: int
    ) -> list[DocumentRecord]:
        ids = request.option("content_ids")
        if ids is None and (context.upstream or context.from_upstream):
            new_only = request.flag("exclude_deduplicated")
            ids = _ids_from(context.upstream, new_only=new_only)
        if (
            ids is None
            and isinstance(request.content.get("content_id"), str)
            and "text" not in request.content
        ):
            ids = [request.content["content_id"]]
        if ids is not None:
            if isinstance(ids, str) or not isinstance(ids, Sequence):
                raise AgentInputError("digest: content_ids must be a list of ids")
            records = []
            for content_id in list(ids)[:limit]:
                record = context.store.get(str(content_id))
                if record is None:
                    raise AgentInputError(
                        f"digest: document {content_id} is not in store {context.store.location}"
                    )
                records.append(record)
            return records
        if isinstance(request.content.get("text"), str):
            return []
        tags = request.option("tags", [])
        return context.store.query(
            limit=limit,
            since=_time_option(request, "since"),
            until=_time_option(request, "until"),
            tags=[tags] if isinstance(tags, str) else list(tags),
            source_contains=request.option("source"),
            content_type=request.option("content_type"),
        )

    @staticmethod
    def _inline_item(request: AgentInput, text: str, sentences: int, n_points: int) -> DigestItem:
        meta = request.content.get("metadata", {})
        meta = meta if isinstance(meta, Mapping) else {}
        result = summarize(text, sentences=sentences, key_points=n_points)
        return DigestItem(
            content_id=str(request.content.get("content_id", "inline")),
            title=str(meta.get("title") or request.source),
            source=request.source,
            date=str(meta.get("created_at", "")),
            content_type=str(request.content.get("content_type", "text")),
            length=len(text),
            summary=result.summary,
            key_points=result.key_points,
            keywords=result.keywords,
            metadata={k: v for k, v in meta.items() if k in ("author", "language", "created_at")},
        )


def _time_option(request: AgentInput, name: str) -> datetime | None:
    try:
        return parse_time(request.option(name), name)
    except TimeParseError as exc:
        raise AgentInputError(f"digest: {exc}") from None


def _positive_int(value: Any, name: str, *, allow_zero: bool = False) -> int:
    return whole_number(value, name, agent="digest", allow_zero=allow_zero)


def parse_sections(value: Any) -> tuple[list[str], list[str]]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise AgentInputError("digest: sections must be a list of section names")
    chosen: list[str] = []
    warnings: list[str] = []
    for name in value:
        canonical = SECTIONS.get(str(name))
        if canonical is None:
            warnings.append(
                f"section {name!r} is not produced by the extractive summariser; skipped"
            )
        elif canonical not in chosen:
            chosen.append(canonical)
    return chosen, warnings
