"""The periodic digest: a period's documents with summaries, counts and how the workflows ran.

Published as markdown and HTML files in an outbox (a folder or an object-store URL) and
returned as the task's result. The run figures come from the knowledge store's run ledger
(the catalog table ``bluelabel_tries``, :mod:`bluelabel.store.ledger`), which Bluelabel's
operators and the metrics listener fill for every Bluelabel task try (an Airflow 3 worker
cannot query the metadata DB), through the same run statistics as the metrics page. Workflows
are named by their DAGs' display names, durations in human units.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, ClassVar

from bluelabel.agents.digest import record_owner, run_of, summarize_records
from bluelabel.agents.inputs import AgentContext, AgentInput
from bluelabel.agents.results import PeriodicDigestResult
from bluelabel.agents.step_options import OUTBOX_FORMATS as OUTBOX_FORMATS
from bluelabel.agents.step_options import PeriodicOptions as PeriodicOptions
from bluelabel.errors import AgentInputError
from bluelabel.locations import check_location
from bluelabel.render.digest import (
    DigestItem,
    digest_json,
    failed_section,
    gist_table_rows,
    item_sections,
    parse_sections,
)
from bluelabel.render.html import render_html
from bluelabel.render.markdown import render_markdown
from bluelabel.render.page import (
    Block,
    Bullets,
    Facts,
    Page,
    Section,
    Table,
    human_duration,
    human_time,
)
from bluelabel.runstats import (
    FINISHED,
    agent_success,
    run_stats,
    summarize_tries,
    tries_from_ledger,
)
from bluelabel.store import DocumentRecord, write_file
from bluelabel.timeparse import TimeParseError, parse_time

_SUFFIX = {"markdown": "md", "html": "html", "json": "json"}


def _period(opts: PeriodicOptions) -> tuple[datetime, datetime]:
    try:
        until = parse_time(opts.until, "until") or datetime.now(timezone.utc)
        since = parse_time(opts.since, "since")
    except TimeParseError as exc:
        raise AgentInputError(f"periodic digest: {exc}") from None
    if since is None or since >= until:
        raise AgentInputError(
            f"periodic digest: since ({opts.since!r}) is not before until ({until.isoformat()})"
        )
    return since, until


def display_names(ledger: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Each DAG's display name, as its newest try recorded it (its dag_id when none did:
    records kept before display names were)."""
    names: dict[str, str] = {}
    for entry in ledger:
        dag_id = str(entry.get("dag_id"))
        names[dag_id] = str(entry.get("dag_display_name") or names.get(dag_id) or dag_id)
    return names


def workflow_table(ledger: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per workflow: runs, task tries, success rate, average run and task time."""
    tries = tries_from_ledger(ledger)
    stats = summarize_tries(tries)
    runs = run_stats(tries)
    names = display_names(ledger)
    table = []
    for dag_id, wf in stats["workflows"].items():
        mine = [t for t in tries if t.dag_id == dag_id]
        finished = [t for t in mine if t.outcome in FINISHED]
        ok = sum(1 for t in finished if t.outcome == "success")
        seconds = [r.seconds for r in runs if r.dag_id == dag_id and r.seconds is not None]
        task_ms = [t.seconds * 1000 for t in finished if t.seconds is not None]
        table.append(
            {
                "dag_id": dag_id,
                "dag_display_name": names.get(dag_id, dag_id),
                "runs": wf["runs"],
                "task_tries": len(mine),
                "success_rate": round(ok / len(finished), 4) if finished else None,
                "avg_run_seconds": round(sum(seconds) / len(seconds), 3) if seconds else None,
                "avg_task_ms": round(sum(task_ms) / len(task_ms), 1) if task_ms else None,
            }
        )
    return table


#: Agents whose failed tries a periodic digest lists (what could not be read).
READING_AGENTS = ("ingestion_agent", "email_agent")


def period_steps(
    ledger: Sequence[dict[str, Any]], run: tuple[str, str] | None
) -> list[dict[str, Any]]:
    """The Bluelabel steps' tries of the ledger (those that ran an agent: the ledger also
    keeps the records of other Airflow tasks, ``[bluelabel] measure_all_tasks``), without the
    "killed" tries of ``run``, the digest's own DAG run (``(dag_id, run_id)``): that run is
    still going, whatever its tries' deadlines say."""
    return [
        e
        for e in ledger
        if e.get("agent")
        and (e.get("outcome") != "killed" or (e.get("dag_id"), e.get("run_id")) != run)
    ]


def failures_in(ledger: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """What the period's runs could not read: each task instance of a reading agent whose last
    try in the ledger failed, or was killed (oldest first), with what it worked on and why.

    A killed try (its row still says ``running`` past its deadline; see
    :func:`bluelabel.store.ledger.tries_between`) is listed as stopped without a report,
    unless Airflow retried it: a later try then tells how the task instance ended (listed in
    its own period if it failed)."""
    last: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for entry in ledger:
        if entry.get("agent") not in READING_AGENTS:
            continue
        if entry.get("outcome") == "killed" and entry.get("retried"):
            continue
        key = (
            str(entry.get("dag_id")),
            str(entry.get("run_id")),
            str(entry.get("task_id")),
            str(entry.get("map_index")),
        )
        held = last.get(key)
        if held is None or int(entry.get("try_number") or 1) >= int(held.get("try_number") or 1):
            last[key] = entry
    names = display_names(ledger)
    return [
        {
            "source": str(
                e.get("source") or f"{names.get(str(e.get('dag_id')))} / {e.get('task_id')}"
            ),
            "reason": str(e.get("reason") or e.get("error") or "failed (see the task's log)"),
            "dag_id": str(e.get("dag_id", "")),
            "run_id": str(e.get("run_id", "")),
        }
        for e in last.values()
        if e.get("outcome") in ("failed", "killed")
    ]


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


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def digest_page(
    title: str,
    generated: str,
    period: dict[str, str],
    overview: dict[str, Any],
    workflows: list[dict[str, Any]],
    items: list[DigestItem],
    sections: Sequence[str],
    failed: Sequence[dict[str, str]] = (),
) -> Page:
    o = overview
    rate = o["ingest_success_rate"]
    types = ", ".join(f"{k}: {v:,}" for k, v in o["by_type"].items()) or "none"
    shown = (
        f"the newest {len(items)} of {o['documents']:,}"
        if len(items) < o["documents"]
        else f"all {o['documents']:,}"
    )
    facts = Facts(
        (
            ("Documents stored", f"{o['documents']:,}"),
            ("By type", types),
            ("Distinct sources", f"{o['sources']:,}"),
            ("Characters", f"{o['characters']:,}"),
            ("PDF pages", f"{o['pages']:,}"),
            ("Without a text layer", f"{o['without_text_layer']:,}"),
            (
                "Ingest success",
                f"{rate:.1%} of {o['ingest_tries']:,} tries" if rate is not None else "no runs",
            ),
        )
    )
    rows = tuple(
        (
            w.get("dag_display_name") or w["dag_id"],
            f"{w['runs']:,}",
            f"{w['task_tries']:,}",
            _pct(w["success_rate"]),
            human_duration(None if w["avg_run_seconds"] is None else w["avg_run_seconds"] * 1000),
            human_duration(w["avg_task_ms"]),
        )
        for w in workflows
    )
    table = Table(
        ("Workflow", "Runs", "Task tries", "Success rate", "Avg run", "Avg task"),
        rows,
        numeric=frozenset({1, 2, 3, 4, 5}),
        empty="No Bluelabel task ran in this period.",
    )
    blocks: list[Block] = [
        Section("Overview", (facts,)),
        Section("Workflows", (table,)),
    ]
    if items:
        blocks.append(Section("At a glance", (Bullets(tuple(gist_table_rows(items))),)))
    blocks.append(Section(f"Documents ({shown})", tuple(item_sections(items, sections, level=3))))
    if failed:
        blocks.append(failed_section(failed))
    return Page(
        title=title,
        subtitle=f"Period {human_time(period['since'])} to {human_time(period['until'])}; "
        f"generated {human_time(generated)}",
        blocks=tuple(blocks),
        footer="Generated by Bluelabel for Airflow.",
    )


class PeriodicDigestAgent:
    """Digest of a period (``since``, default 7d, to ``until``, default now)."""

    name = "periodic_digest_agent"
    options: ClassVar[type[PeriodicOptions]] = PeriodicOptions

    def run(self, request: AgentInput, context: AgentContext) -> PeriodicDigestResult:
        opts = request.options(PeriodicOptions, settings=context.settings)
        since, until = _period(opts)
        sections, warnings = parse_sections(opts.sections)
        bad = [f for f in opts.formats if f not in OUTBOX_FORMATS]
        if bad or not opts.formats:
            raise AgentInputError(
                f"periodic digest: formats must be among {', '.join(OUTBOX_FORMATS)}, got {bad}"
            )
        outbox = check_location(  # before anything is read, let alone written
            opts.outbox or context.settings.outbox,
            roots=context.allowed_roots,
            base_dir=context.base_dir,
            configured=context.settings.outbox,
            what="outbox",
        )
        store = context.store
        records = store.query(limit=None, since=since, until=until)
        summaries = summarize_records(records[: opts.limit], store, opts)
        items = summaries.items
        own = (context.run.dag_id, context.run.run_id) if context.run else None
        ledger = period_steps(store.tries(since=since, until=until), own)
        workflows = workflow_table(ledger)
        ok, total = agent_success(tries_from_ledger(ledger), ("ingestion_agent",))
        warnings += summaries.warnings + [p for p in store.problems if p not in summaries.warnings]
        overview = _overview(records, ok, total)
        generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
        period = {
            "since": since.isoformat(timespec="seconds"),
            "until": until.isoformat(timespec="seconds"),
        }
        failed = failures_in(ledger)
        page = digest_page(
            opts.title, generated, period, overview, workflows, items, sections, failed
        )
        stem = f"digest-{since:%Y%m%d}-{until:%Y%m%dT%H%M%S}"
        markdown = render_markdown(page)
        rendered = {
            "markdown": lambda: markdown,
            "html": lambda: render_html(page),
            "json": lambda: digest_json(
                items,
                title=opts.title,
                generated_at=generated,
                **({"run": run_of(context)} if context.run else {}),
                period=period,
                document_count=len(records),
                overview=overview,
                workflows=workflows,
                **({"failed": failed} if failed else {}),
            ),
        }
        paths = {}
        for fmt in dict.fromkeys(opts.formats):
            paths[fmt] = write_file(str(outbox), f"{stem}.{_SUFFIX[fmt]}", rendered[fmt]())
        # Who may read it: every DAG whose runs (the workflows table) or documents it shows.
        dags, unattributed = store.catalog.dags_of(r.content_id for r in records)
        dags |= {str(e["dag_id"]) for e in ledger if e.get("dag_id")}
        record_owner(
            context,
            paths,
            warnings,
            kind="periodic",
            covered_dag_ids=dags,
            unattributed=unattributed,
        )
        return PeriodicDigestResult(
            digest=markdown,
            format="markdown",
            summary_count=len(items),
            content_ids=[i.content_id for i in items],
            titles=[i.title for i in items],
            digest_path=paths.get("markdown") or next(iter(paths.values())),
            html_path=paths.get("html"),
            summarizer=summaries.summarizer,
            warnings=warnings,
            paths=paths,
            period=period,
            document_count=len(records),
            overview=overview,
            workflows=workflows,
            failed=failed,
        )
