"""Digest items as page blocks: the one place that decides what a digest entry shows."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bluelabel.render.html import render_html
from bluelabel.render.markdown import render_markdown
from bluelabel.render.page import (
    Block,
    Bullets,
    Facts,
    Page,
    Paragraph,
    Section,
    human_metadata,
    human_time,
)

Format = Literal["markdown", "html", "json"]
FORMATS: tuple[Format, ...] = ("markdown", "html", "json")
FORMAT_SUFFIX = {"markdown": "md", "html": "html", "json": "json"}
#: Section names a step's ``sections`` may list, with the original's names as aliases.
SECTIONS = {
    "summary": "summary",
    "executive_summary": "summary",
    "key_points": "key_points",
    "key_findings": "key_points",
    "whats_inside": "whats_inside",
    "keywords": "keywords",
    "metadata": "metadata",
}
DEFAULT_SECTIONS = ("summary", "key_points", "whats_inside", "metadata")
#: Metadata shown for a document, in this order.
SHOWN_METADATA = ("author", "subject", "created", "modified", "producer", "creator", "url")


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
    what_inside: list[str] = field(default_factory=list)
    gist: str = ""
    page_count: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def parse_sections(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Canonical section names, and a warning per name no summariser produces."""
    chosen: list[str] = []
    warnings: list[str] = []
    for name in names:
        canonical = SECTIONS.get(str(name))
        if canonical is None:
            warnings.append(f"section {name!r} is not produced by the summariser; skipped")
        elif canonical not in chosen:
            chosen.append(canonical)
    return chosen, warnings


def _facts(item: DigestItem) -> Facts:
    size = f"{item.length:,} characters"
    if item.page_count:
        size = f"{item.page_count:,} page{'s' if item.page_count != 1 else ''}, {size}"
    return Facts((("Source", item.source), ("Ingested", human_time(item.date)), ("Length", size)))


def item_blocks(item: DigestItem, sections: Sequence[str]) -> list[Block]:
    blocks: list[Block] = [_facts(item)]
    if "summary" in sections:
        blocks.append(Paragraph(item.summary or "(no text to summarise)"))
    if "key_points" in sections and item.key_points:
        blocks.append(Bullets(tuple(item.key_points), title="Key points"))
    if "whats_inside" in sections and item.what_inside:
        blocks.append(Bullets(tuple(item.what_inside), title="What's inside"))
    if "keywords" in sections and item.keywords:
        blocks.append(Paragraph(f"Keywords: {', '.join(item.keywords)}", muted=True))
    if "metadata" in sections:
        pairs = human_metadata(item.metadata, SHOWN_METADATA)
        if pairs:
            blocks.append(Facts(pairs))
    return blocks


def item_sections(
    items: Sequence[DigestItem], sections: Sequence[str], *, level: int = 2
) -> list[Block]:
    return [
        Section(f"{n}. {item.title}", tuple(item_blocks(item, sections)), level, item.content_id)
        for n, item in enumerate(items, 1)
    ]


def gist_table_rows(items: Sequence[DigestItem]) -> list[str]:
    """One line per document: its title and gist (batch and periodic digests). The gist
    never merely repeats the title (the digest agent chose it so): a gist equal to the
    title is left out, and a title that ends a sentence loses its full stop before the colon."""
    rows = []
    for item in items:
        gist = item.gist if item.gist.strip().lower() != item.title.strip().lower() else ""
        rows.append(f"{item.title.rstrip('.')}: {gist}" if gist else item.title)
    return rows


def failure_line(entry: Mapping[str, Any]) -> str:
    """One thing a run could not read: its source (a file, a URL) and why, on one line."""
    reason = " ".join(str(entry.get("reason", "")).split())
    source = " ".join(str(entry.get("source") or "").split())
    return f"{source}: {reason}" if source else reason


def failed_section(failed: Sequence[Mapping[str, Any]]) -> Section:
    """What upstream steps could not read (files that failed or were quarantined, a mailbox's
    poison messages), one line each."""
    return Section("Could not be read", (Bullets(tuple(map(failure_line, failed))),), 2)


def digest_page(
    items: Sequence[DigestItem],
    *,
    title: str,
    generated_at: str,
    sections: Sequence[str],
    failed: Sequence[Mapping[str, Any]] = (),
) -> Page:
    count = f"{len(items)} document{'s' if len(items) != 1 else ''}"
    if failed:
        count += f", {len(failed)} could not be read"
    blocks: list[Block] = []
    if len(items) > 1:
        blocks.append(Section("At a glance", (Bullets(tuple(gist_table_rows(items))),), 2))
    blocks += item_sections(items, sections)
    if failed:
        blocks.append(failed_section(failed))
    return Page(
        title=title,
        subtitle=f"{count}, generated {human_time(generated_at)}",
        blocks=tuple(blocks),
        footer="Generated by Bluelabel for Airflow.",
    )


def digest_json(items: Sequence[DigestItem], *, title: str, generated_at: str, **extra: Any) -> str:
    """The digest as JSON: title, generation time, ``extra`` fields (the run that made it, a
    periodic digest's period, overview and workflows), the item count and every item's fields
    (last: a reader of the list needs only the head, :func:`digest_head`)."""
    return json.dumps(
        {
            "title": title,
            "generated_at": generated_at,
            **extra,
            "count": len(items),
            "items": [asdict(i) for i in items],
        },
        indent=2,
        ensure_ascii=False,
    )


def render_digest(
    items: Sequence[DigestItem],
    fmt: Format,
    *,
    title: str,
    generated_at: str,
    sections: Sequence[str] = DEFAULT_SECTIONS,
    failed: Sequence[Mapping[str, Any]] = (),
    run: Mapping[str, str] | None = None,
) -> str:
    """``failed``: what upstream steps could not read (``{"reason", ...}``), listed last;
    ``run``: the task that made the digest (``dag_id``, ``run_id``, ``task_id``), kept in the
    JSON, where the Digests list reads it."""
    if fmt == "json":
        extra: dict[str, Any] = {"run": dict(run)} if run else {}
        if failed:
            extra["failed"] = [dict(f) for f in failed]
        return digest_json(items, title=title, generated_at=generated_at, **extra)
    page = digest_page(
        items, title=title, generated_at=generated_at, sections=sections, failed=failed
    )
    return render_html(page) if fmt == "html" else render_markdown(page)


def digest_head(text: str) -> dict[str, Any] | None:
    """The fields before ``items`` of a JSON digest (:func:`digest_json`), from the beginning
    of its text: what a list of digests shows without reading every summary. ``None`` when
    ``text`` does not hold them."""
    cut = text.find('\n  "items": ')
    try:
        head = json.loads(text[:cut].rstrip().rstrip(",") + "\n}" if cut > 0 else text)
    except ValueError:
        return None
    return head if isinstance(head, dict) else None
