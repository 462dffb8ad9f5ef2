"""The periodic digest: a period's documents with summaries, counts and how the workflows ran.

Published as markdown and HTML files in an outbox (a folder or an object-store URL) and
returned as the task's result. The run figures come from the knowledge store's run ledger
(``runs/``), which the metrics listener fills for every Bluelabel task: an Airflow 3 worker
cannot query the metadata DB.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from bluelabel import settings
from bluelabel.agents.digest import (
    DEFAULT_SECTIONS,
    digest_item,
    html_items,
    markdown_items,
    parse_sections,
    summarize_record,
    summarizer_for,
)
from bluelabel.agents.models import AgentContext, AgentInput, whole_number
from bluelabel.errors import AgentInputError
from bluelabel.store import DocumentRecord, write_file
from bluelabel.timeparse import TimeParseError, parse_time

DEFAULT_PERIOD = "7d"
DEFAULT_DETAILED = 50
OUTBOX_FORMATS = ("markdown", "html")


def _period(request: AgentInput) -> tuple[datetime, datetime]:
    try:
        until = parse_time(request.option("until"), "until") or datetime.now(timezone.utc)
        since = parse_time(request.option("since") or DEFAULT_PERIOD, "since")
    except TimeParseError as exc:
        raise AgentInputError(f"periodic digest: {exc}") from None
    assert since is not None
    if since >= until:
        raise AgentInputError(
            f"periodic digest: since ({since.isoformat()}) is not before until "
            f"({until.isoformat()})"
        )
    return since, until


def workflow_stats(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per workflow (dag_id): runs, task tries, success rate, average run duration."""
    by_dag: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in runs:
        by_dag[str(record.get("dag_id"))].append(record)
    table = []
    for dag_id, records in sorted(by_dag.items()):
        spans: dict[str, tuple[datetime, datetime]] = {}
        for r in records:
            start = datetime.fromisoformat(r["started_at"])
            end = datetime.fromisoformat(r["finished_at"])
            first, last = spans.get(r["run_id"], (start, end))
            spans[r["run_id"]] = (min(first, start), max(last, end))
        durations = [(end - start).total_seconds() for start, end in spans.values()]
        ok = sum(1 for r in records if r.get("outcome") == "success")
        table.append(
            {
                "dag_id": dag_id,
                "runs": len(spans),
                "task_tries": len(records),
                "success_rate": round(ok / len(records), 4),
                "avg_run_seconds": round(sum(durations) / len(durations), 3),
                "avg_task_ms": round(sum(r["duration_ms"] for r in records) / len(records), 1),
            }
        )
    return table


def ingest_success_rate(runs: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """(successful, total) tries of ingestion tasks."""
    ingests = [r for r in runs if r.get("agent") in ("ingestion_agent", "ingestion")]
    return sum(1 for r in ingests if r.get("outcome") == "success"), len(ingests)


class PeriodicDigestAgent:
    """Digest of a period (``since``, default 7d, to ``until``, default now).

    Options: ``limit`` (documents shown with summaries, newest first; default 50 — every
    document is counted), ``outbox`` (default ``[bluelabel] outbox``), ``formats`` (files to
    publish, default markdown and html), ``title``, ``sentences``, ``key_points``,
    ``sections``, ``summarizer``.
    """

    name = "periodic_digest_agent"

    def run(self, request: AgentInput, context: AgentContext) -> dict[str, Any]:
        since, until = _period(request)
        option = request.option
        limit = whole_number(option("limit", DEFAULT_DETAILED), "limit", agent=self.name)
        sentences = whole_number(option("sentences", 3), "sentences", agent=self.name)
        n_points = whole_number(
            option("key_points", 3), "key_points", agent=self.name, allow_zero=True
        )
        sections, warnings = parse_sections(request.option("sections", DEFAULT_SECTIONS))
        formats = request.option("formats", list(OUTBOX_FORMATS))
        if isinstance(formats, str):
            formats = [formats]
        bad = [f for f in formats if f not in OUTBOX_FORMATS]
        if bad:
            raise AgentInputError(
                f"periodic digest: formats must be among {', '.join(OUTBOX_FORMATS)}, got {bad}"
            )
        store = context.store
        records = store.query(limit=None, since=since, until=until)
        summarizer = summarizer_for(request, context)
        items = [
            digest_item(
                r,
                summarize_record(
                    r, store, sentences=sentences, key_points=n_points, summarizer=summarizer
                ),
            )
            for r in records[:limit]
        ]
        runs = store.runs(since=since, until=until)
        workflows = workflow_stats(runs)
        ok, total = ingest_success_rate(runs)
        overview = _overview(records, ok, total)
        title = str(request.option("title", "Bluelabel periodic digest"))
        generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
        period = {
            "since": since.isoformat(timespec="seconds"),
            "until": until.isoformat(timespec="seconds"),
        }
        page = _Page(title, generated, period, overview, workflows, items, sections, len(records))
        outbox = str(request.option("outbox") or settings.outbox_location())
        stem = f"digest-{since:%Y%m%d}-{until:%Y%m%dT%H%M%S}"
        paths = {}
        markdown = page.markdown()
        for fmt in formats:
            text = markdown if fmt == "markdown" else page.html()
            suffix = "md" if fmt == "markdown" else "html"
            paths[fmt] = write_file(outbox, f"{stem}.{suffix}", text)
        if summarizer.notes:
            warnings.extend(summarizer.notes)
        return {
            "digest": markdown,
            "format": "markdown",
            "paths": paths,
            "digest_path": paths.get("markdown") or next(iter(paths.values()), None),
            "period": period,
            "document_count": len(records),
            "summary_count": len(items),
            "overview": overview,
            "workflows": workflows,
            "content_ids": [i.content_id for i in items],
            "titles": [i.title for i in items],
            "summarizer": summarizer.label,
            "warnings": warnings,
        }


def _overview(records: Sequence[DocumentRecord], ok: int, total: int) -> dict[str, Any]:
    return {
        "documents": len(records),
        "by_type": dict(Counter(r.content_type for r in records).most_common()),
        "characters": sum(r.content_length for r in records),
        "pages": sum(r.page_count or 0 for r in records),
        "sources": len({r.source for r in records}),
        "without_text_layer": sum(1 for r in records if not r.text_layer),
        "ingest_tries": total,
        "ingest_success_rate": round(ok / total, 4) if total else None,
    }


class _Page:
    def __init__(
        self,
        title: str,
        generated: str,
        period: dict[str, str],
        overview: dict[str, Any],
        workflows: list[dict[str, Any]],
        items: list[Any],
        sections: Sequence[str],
        total: int,
    ) -> None:
        self.title, self.generated, self.period = title, generated, period
        self.overview, self.workflows, self.items = overview, workflows, items
        self.sections, self.total = sections, total

    def _overview_rows(self) -> list[tuple[str, str]]:
        o = self.overview
        rate = o["ingest_success_rate"]
        types = ", ".join(f"{k}: {v}" for k, v in o["by_type"].items()) or "none"
        return [
            ("Documents stored", f"{o['documents']:,}"),
            ("By type", types),
            ("Distinct sources", f"{o['sources']:,}"),
            ("Characters", f"{o['characters']:,}"),
            ("PDF pages", f"{o['pages']:,}"),
            ("Without a text layer", f"{o['without_text_layer']:,}"),
            (
                "Ingest success rate",
                f"{rate:.1%} of {o['ingest_tries']:,} tries" if rate is not None else "no runs",
            ),
        ]

    def _shown(self) -> str:
        if len(self.items) < self.total:
            return f"the newest {len(self.items)} of {self.total:,}"
        return f"all {self.total:,}"

    def markdown(self) -> str:
        lines = [
            f"# {self.title}",
            "",
            f"_Period {self.period['since']} to {self.period['until']}; "
            f"generated {self.generated}_",
            "",
            "## Overview",
            "",
            "| | |",
            "|---|---|",
            *[f"| {k} | {v} |" for k, v in self._overview_rows()],
            "",
            "## Workflows",
            "",
        ]
        if self.workflows:
            lines += [
                "| Workflow | Runs | Task tries | Success rate | Avg run (s) | Avg task (ms) |",
                "|---|---:|---:|---:|---:|---:|",
            ]
            lines += [
                f"| {w['dag_id']} | {w['runs']} | {w['task_tries']} | "
                f"{w['success_rate']:.1%} | {w['avg_run_seconds']:.2f} | {w['avg_task_ms']:.0f} |"
                for w in self.workflows
            ]
        else:
            lines.append("_No Bluelabel task ran in this period._")
        lines += ["", f"## Documents ({self._shown()})", ""]
        lines += markdown_items(self.items, self.sections, level=3)
        return "\n".join(lines).rstrip() + "\n"

    def html(self) -> str:
        e = html.escape
        rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in self._overview_rows())
        if self.workflows:
            body = "".join(
                f"<tr><td>{e(w['dag_id'])}</td><td>{w['runs']}</td><td>{w['task_tries']}</td>"
                f"<td>{w['success_rate']:.1%}</td><td>{w['avg_run_seconds']:.2f}</td>"
                f"<td>{w['avg_task_ms']:.0f}</td></tr>"
                for w in self.workflows
            )
            runs = (
                "<table><tr><th>Workflow</th><th>Runs</th><th>Task tries</th>"
                "<th>Success rate</th><th>Avg run (s)</th><th>Avg task (ms)</th></tr>"
                f"{body}</table>"
            )
        else:
            runs = "<p><em>No Bluelabel task ran in this period.</em></p>"
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{e(self.title)}</title>",
            "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
            "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.2em .5em}"
            "</style></head><body>",
            f"<h1>{e(self.title)}</h1>",
            f"<p><em>Period {e(self.period['since'])} to {e(self.period['until'])}; "
            f"generated {e(self.generated)}</em></p>",
            f"<h2>Overview</h2><table>{rows}</table>",
            f"<h2>Workflows</h2>{runs}",
            f"<h2>Documents ({e(self._shown())})</h2>",
            *html_items(self.items, self.sections),
            "</body></html>",
        ]
        return "\n".join(parts) + "\n"


__all__ = ["PeriodicDigestAgent", "timedelta", "workflow_stats"]
