"""The option models of the built-in agents other than ingestion (``ingest/options.py``):
what a workflow step's ``config`` may set, importable without the agents themselves, so that
checking a workflow file (``bluelabel validate``, the DAG factory) does not load the
summariser, the renderers or the mail parser. Each agent module re-exports its own.
"""

from __future__ import annotations

from typing import Literal

from bluelabel.agents.options import StepOptions, option
from bluelabel.render.digest import DEFAULT_SECTIONS

#: The files a periodic digest may publish.
OUTBOX_FORMATS = ("markdown", "html", "json")


class SummaryOptions(StepOptions):
    """How documents are summarised (digest and periodic digest)."""

    sentences: int = option(
        3,
        "Sentences in each summary (extractive: more, up to twice as many, while it is "
        "shorter than about 100 words).",
        minimum=1,
        maximum=20,
    )
    key_points: int = option(5, "Key points per document.", minimum=0, maximum=20)
    sections: list[str] = option(
        list(DEFAULT_SECTIONS),
        "What each entry shows: summary, key_points, whats_inside, keywords, metadata "
        "(executive_summary and key_findings: the original names).",
    )
    summarizer: Literal["extractive", "llm"] = option(
        "extractive", "extractive (built in, offline) or llm (an Airflow connection)."
    )
    llm_conn_id: str | None = option(None, "summarizer llm: a connection of type pydanticai.")
    llm_model: str | None = option(None, "summarizer llm: a model instead of the connection's.")
    chunk_chars: int = option(12_000, "summarizer llm: characters per chunk.", minimum=500)
    chunk_overlap: int = option(400, "summarizer llm: overlap between chunks.", minimum=0)
    llm_timeout: float = option(60.0, "summarizer llm: seconds per call.", minimum=0.1)
    fallback: bool = option(True, "summarizer llm: use the extractive one when the LLM fails.")
    prompts: str | None = option(None, "summarizer llm: a YAML file of prompts.")


class DigestOptions(SummaryOptions):
    """Options of the digest agent (step ``config``)."""

    format: Literal["markdown", "html", "json"] = option("markdown", "Output format.", per_run=True)
    limit: int = option(10, "At most this many documents.", minimum=1, per_run=True)
    title: str = option("Bluelabel digest", "The digest's title.", per_run=True)
    content_ids: list[str] | None = option(None, "Digest exactly these documents.", per_run=True)
    since: str | None = option(
        None, "Query: ingested since (ISO time or age: 7d, 12h).", per_run=True
    )
    until: str | None = option(None, "Query: ingested until (ISO time or age).", per_run=True)
    tags: list[str] = option([], "Query: documents with all these tags.", per_run=True)
    source: str | None = option(None, "Query: documents whose source contains this.", per_run=True)
    content_type: str | None = option(None, "Query: pdf, url or text.", per_run=True)
    exclude_deduplicated: bool = option(
        False, "Leave out upstream documents that were stored before this run."
    )
    skip_if_empty: bool = option(
        False, "Nothing to digest: skip the task (and its outlets) instead of an empty digest."
    )


class PeriodicOptions(SummaryOptions):
    """Options of the periodic digest agent (step ``config``)."""

    since: str = option("7d", "Start of the period: an age (7d, 24h) or an ISO time.", per_run=True)
    until: str | None = option(None, "End of the period (default: now).", per_run=True)
    limit: int = option(
        50,
        "Documents shown with summaries (the newest); every one is counted.",
        minimum=1,
        per_run=True,
    )
    key_points: int = option(3, "Key points per document.", minimum=0, maximum=20)
    outbox: str | None = option(
        None,
        "Folder or URL for the files; default [bluelabel] outbox. Any other must lie under "
        "[bluelabel] allowed_roots (a URL under a root configured as a URL).",
        per_run=True,
    )
    formats: list[str] = option(list(OUTBOX_FORMATS), "Files to publish: markdown, html, json.")
    title: str = option("Bluelabel periodic digest", "The digest's title.", per_run=True)


class InboxOptions(StepOptions):
    """Options of the inbox agent (step ``config``)."""

    inbox: str | None = option(
        None,
        "Folder or URL to list; default [bluelabel] inbox. Any other must lie under "
        "[bluelabel] allowed_roots (a URL under a root configured as a URL).",
        per_run=True,
    )
    max_files: int = option(
        500,
        "Most files per batch, oldest first; the rest wait for the next run. One mapped task "
        "ingests each, so never more than Airflow's [core] max_map_length.",
        minimum=1,
        ceiling="max_map_length",
    )
    settle_seconds: float = option(
        0.0, "Leave files changed more recently than this (still being copied).", minimum=0
    )
    skip_known: bool = option(
        True, "File documents whose content is already stored under processed/ at once."
    )


class EmailOptions(StepOptions):
    """Options of the email agent (step ``config``)."""

    imap_conn_id: str = option("imap_default", "Airflow connection of type imap to read.")
    folder: str = option("INBOX", "Mailbox folder to read.", per_run=True)
    search: str = option(
        "unseen",
        'Which messages: unseen, all, or IMAP search keys (FROM "x@example.org" UNSEEN).',
        per_run=True,
    )
    since: str | None = option(
        None, "Only messages received since then: an ISO time or an age like 7d.", per_run=True
    )
    processed_folder: str | None = option(
        None, "Move each message read here (made if missing); empty: mark it seen instead."
    )
    quarantine_folder: str | None = option(
        None,
        "Move each message that cannot be read here (made if missing); default "
        "[bluelabel] email_quarantine_folder; empty: flag it $BluelabelFailed where it is.",
    )
    max_messages: int | None = option(
        None,
        "Most messages a run reads (oldest first); default [bluelabel] email_max_messages.",
        minimum=1,
        ceiling="email_max_messages",
    )
    max_attachment_bytes: int | None = option(
        None,
        "Largest attachment ingested; default [bluelabel] email_max_attachment_bytes.",
        minimum=1,
        ceiling="email_max_attachment_bytes",
    )
    max_attachments: int | None = option(
        None,
        "Most attachments ingested per message; default [bluelabel] email_max_attachments.",
        minimum=0,
        ceiling="email_max_attachments",
    )
    tags: list[str] = option([], "Tags to record with every document.", per_run=True)


__all__ = [
    "OUTBOX_FORMATS",
    "DigestOptions",
    "EmailOptions",
    "InboxOptions",
    "PeriodicOptions",
    "SummaryOptions",
]
