"""Every key of the ``[bluelabel]`` section, declared once: type, default, description.

The same declarations are the defaults :mod:`bluelabel.config` parses and the provider
configuration Airflow lists (``airflow config list --section bluelabel``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

SECTION = "bluelabel"
HOME_PLACEHOLDER = "{AIRFLOW_HOME}"
SettingType = Literal["string", "boolean", "integer", "float"]


@dataclass(frozen=True)
class Setting:
    """One declared key of the ``[bluelabel]`` section."""

    key: str
    type: SettingType
    default: str
    description: str
    example: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    #: Airflow masks it, and reads it from ``_CMD``/``_SECRET`` too (none is, today)
    sensitive: bool = False


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


#: Upper bounds no configuration may pass: the machine's cores for parallel extraction.
HARD_MAX_WORKERS = _cores()

#: Airflow's own settings Bluelabel obeys, read with the ``[bluelabel]`` keys: a mapped step
#: may have at most ``[core] max_map_length`` instances (Airflow's default: 1024).
AIRFLOW_SETTINGS = {"max_map_length": "core"}
DEFAULT_MAX_MAP_LENGTH = 1024


def setting_label(key: str) -> str:
    """Where a setting is configured: ``[bluelabel] max_pages``, ``[core] max_map_length``."""
    return f"[{AIRFLOW_SETTINGS.get(key, SECTION)}] {key}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "store",
        "string",
        f"{HOME_PLACEHOLDER}/bluelabel/store",
        "Knowledge store: a folder, or any ObjectStoragePath URL (s3://bucket/prefix) for "
        "workers that share no disk.",
        "s3://my-bucket/bluelabel/store",
    ),
    Setting(
        "catalog_conn_id",
        "string",
        "",
        "Airflow connection (PostgreSQL) of the knowledge store's catalog, the SQL table of its "
        "documents every reader queries (tasks, CLI and API servers must all reach it). Empty: "
        "an embedded SQLite catalog beside a local store (catalog.sqlite3); a store on an "
        "object store needs a connection.",
        "bluelabel_catalog",
    ),
    Setting(
        "inbox",
        "string",
        f"{HOME_PLACEHOLDER}/bluelabel/inbox",
        "Where the batch_ingestion workflow picks up documents (a folder or URL).",
        "s3://my-bucket/bluelabel/inbox",
    ),
    Setting(
        "outbox",
        "string",
        f"{HOME_PLACEHOLDER}/bluelabel/outbox",
        "Where the periodic digest publishes its markdown and HTML files (a folder or URL).",
    ),
    Setting(
        "allowed_roots",
        "string",
        "",
        "Roots (':'-separated) that every location a run names (trigger form, dag_run.conf, "
        "templates: sources, inbox, outbox, store; inbox entries) must lie under: local "
        "folders (symlinks resolved; file:// and local:// URLs are local paths), and URL "
        "prefixes such as s3://bucket/inbox, under which URLs of that scheme and bucket or "
        "host are allowed. Anything else is refused before it is contacted; the configured "
        "inbox, outbox and store are always allowed. Empty: only the workflow's own root.",
        "/data/documents:s3://my-bucket/bluelabel/inbox",
    ),
    Setting(
        "trigger_root",
        "string",
        "",
        "Folder that relative paths in trigger input (the UI form, dag_run.conf) resolve "
        "against. Empty: the first of allowed_roots.",
        "/data/documents",
    ),
    Setting(
        "secret_prefix",
        "string",
        "bluelabel_pdf_",
        "A run may read a secret (a PDF password) only from an Airflow connection or variable "
        "whose id starts with this prefix, so that whoever may trigger a run cannot name any "
        "other connection or variable and use the run as an oracle. Empty: none may be read.",
        "bluelabel_pdf_",
    ),
    Setting(
        "workflow_root",
        "string",
        "",
        "Folder that relative paths inside workflow files (input_file, file_path) resolve "
        "against. Empty: each workflow file's own folder.",
    ),
    Setting(
        "workflow_cache",
        "string",
        f"{HOME_PLACEHOLDER}/bluelabel/workflow-cache",
        "Cache of validated workflows, keyed on the bytes of every file they come from; 'off' "
        "disables it.",
    ),
    Setting(
        "max_workflow_bytes",
        "integer",
        "1000000",
        "Largest workflow file (and agent-input JSON file) accepted, in bytes.",
        minimum=1,
    ),
    Setting(
        "allow_private_urls",
        "boolean",
        "False",
        "Let URL ingestion reach private, loopback and link-local addresses.",
    ),
    Setting(
        "pdf_backend",
        "string",
        "pdfium",
        "PDF text extractor: pdfium (pypdfium2, fast) or pypdf (pure Python).",
        choices=("pdfium", "pypdf"),
    ),
    Setting(
        "ingest_workers",
        "integer",
        "0",
        "Processes that extract one large PDF in parallel; 0: the cores (at most 4). Never "
        "more than the machine's cores.",
        minimum=0,
    ),
    Setting(
        "ingest_timeout",
        "float",
        "600",
        "Seconds one ingest (a document, a URL, a batch file) may take before it is stopped.",
        minimum=1,
    ),
    Setting(
        "ingest_memory_mb",
        "integer",
        "512",
        "Memory (MB) the extraction of one document may use, all its processes together; a "
        "document that needs more is refused (decompression bombs).",
        minimum=64,
    ),
    Setting(
        "max_pdf_bytes",
        "integer",
        "500000000",
        "Largest PDF accepted, in bytes (files, URLs, inbox). Also the most a workflow step may "
        "set.",
        minimum=1,
    ),
    Setting(
        "max_pages",
        "integer",
        "20000",
        "Most pages a PDF may have. Also the most a workflow step may set.",
        minimum=1,
    ),
    Setting(
        "max_text_bytes",
        "integer",
        "100000000",
        "Largest text document accepted (files, stdin, inline text), in bytes.",
        minimum=1,
    ),
    Setting(
        "max_url_bytes",
        "integer",
        "50000000",
        "Largest URL response accepted, in bytes.",
        minimum=1,
    ),
    Setting(
        "url_timeout",
        "float",
        "20",
        "Seconds a URL fetch may wait for the server at any one moment (connect, each read).",
        minimum=0.1,
    ),
    Setting(
        "url_total_timeout",
        "float",
        "60",
        "Seconds a whole URL fetch may take: status line, headers, redirects and body.",
        minimum=0.1,
    ),
    Setting(
        "max_redirects",
        "integer",
        "5",
        "Most HTTP redirects a URL fetch follows.",
        minimum=0,
    ),
    Setting(
        "metrics_cache_seconds",
        "float",
        "5",
        "How long the metrics API shares computed aggregates between readers.",
        minimum=0,
    ),
    Setting(
        "progress_poll_seconds",
        "float",
        "0.02",
        "How often the API server's progress feed reads running tasks' progress.",
        minimum=0.005,
    ),
    Setting(
        "measure_all_tasks",
        "boolean",
        "True",
        "Record duration, CPU and memory of every task (Airflow 3 no longer keeps per-task CPU "
        "and memory); False: only Bluelabel's own operators.",
    ),
    Setting(
        "auth_cache_seconds",
        "float",
        "5",
        "How long the plugin API trusts a bearer token Airflow has fully verified (never past "
        "its expiry; its revocation is still checked on every request); 0 checks every request "
        "with Airflow.",
        minimum=0,
    ),
    Setting(
        "progress_streams_per_user",
        "integer",
        "20",
        "Progress streams (/bluelabel/api/progress) one user may hold open in one API-server "
        "process; one more is answered 429.",
        minimum=1,
        maximum=10000,
    ),
    # ---------------------------------------------------------------- more sources (issue 13)
    Setting(
        "max_document_bytes",
        "integer",
        "50000000",
        "Largest HTML, DOCX or EML file accepted (files, inbox, email attachments), in bytes.",
        minimum=1,
    ),
    Setting(
        "max_unpacked_bytes",
        "integer",
        "100000000",
        "Most bytes the parts of a DOCX (a ZIP archive) may unpack to; a larger one is refused "
        "before anything is unpacked (zip bombs).",
        minimum=1,
    ),
    Setting(
        "ocr_languages",
        "string",
        "eng",
        "Tesseract languages for PDF pages without a text layer, '+'-separated (eng+deu); "
        "each needs its language data (Debian: tesseract-ocr-<lang>). Empty: no OCR.",
        "eng+deu",
    ),
    Setting(
        "ocr_tessdata",
        "string",
        "",
        "Folder holding Tesseract's language data (*.traineddata). Empty: its usual places "
        "(/usr/share/tesseract-ocr/5/tessdata, /usr/share/tesseract-ocr/4.00/tessdata, "
        "/usr/share/tessdata, /usr/local/share/tessdata).",
    ),
    Setting(
        "ocr_dpi",
        "integer",
        "200",
        "Resolution (dots per inch) PDF pages are rendered at for OCR; pages are also capped "
        "at 40 megapixels.",
        minimum=72,
        maximum=600,
    ),
    Setting(
        "ocr_page_timeout",
        "float",
        "60",
        "Seconds Tesseract may spend on one page; a page past it is left without text, with a "
        "warning naming it.",
        minimum=1,
    ),
    Setting(
        "imap_timeout",
        "float",
        "30",
        "Seconds an IMAP connection may wait for the mail server at any one moment.",
        minimum=0.1,
    ),
    Setting(
        "email_timeout",
        "float",
        "900",
        "Seconds one mailbox run may take; messages it did not reach wait for the next run.",
        minimum=1,
    ),
    Setting(
        "email_max_messages",
        "integer",
        "500",
        "Most messages one mailbox run ingests, oldest first; the rest wait for the next run. "
        "Also the most a workflow step may set.",
        minimum=1,
    ),
    Setting(
        "email_max_message_bytes",
        "integer",
        "32000000",
        "Largest email message (all its parts, as sent) accepted, in bytes.",
        minimum=1,
    ),
    Setting(
        "email_max_attachment_bytes",
        "integer",
        "25000000",
        "Largest attachment of an email (decoded) that is ingested; a larger one is reported "
        "and skipped. Also the most a workflow step may set.",
        minimum=1,
    ),
    Setting(
        "email_max_attachments",
        "integer",
        "20",
        "Most attachments of one email that are ingested; the rest are reported and skipped. "
        "Also the most a workflow step may set.",
        minimum=0,
    ),
    Setting(
        "email_quarantine_folder",
        "string",
        "",
        "Mailbox folder (made if missing) that a message which cannot be read (malformed, over "
        "a limit, breaking the parser) is moved to; empty: it stays where it is, flagged with "
        "the IMAP keyword $BluelabelFailed and marked seen. Either way later runs skip it. A "
        "workflow step's quarantine_folder overrides it.",
        "Bluelabel/Failed",
    ),
)

SETTINGS_BY_KEY = {s.key: s for s in SETTINGS}
