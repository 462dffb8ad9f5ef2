"""The ingestion agent's options (step ``config``), and the byte limit a source obeys."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator
from pydantic_core import PydanticCustomError

from bluelabel.agents.options import StepOptions, option
from bluelabel.errors import AgentInputError

#: What ``accept`` may list: the document kinds, and URLs.
KINDS = ("pdf", "text", "html", "docx", "email", "url")


class IngestOptions(StepOptions):
    """Options of the ingestion agent (step ``config``)."""

    password: str | None = option(
        None,
        "Password of an encrypted PDF (the CLI's --password); in Airflow, name where it is "
        "kept with password_conn_id or password_variable.",
        secret=True,
    )
    password_conn_id: str | None = option(
        None,
        "Airflow connection whose password opens an encrypted PDF; its id must start with "
        "[bluelabel] secret_prefix.",
        per_run=True,
    )
    password_variable: str | None = option(
        None,
        "Airflow variable whose value opens an encrypted PDF; its key must start with "
        "[bluelabel] secret_prefix.",
        per_run=True,
    )
    accept: list[str] | None = option(
        None,
        "Kinds of document this step takes; a file is judged by its content, not its name (a "
        ".txt given as the PDF is refused, naming the file and what it is; a PDF named .txt is "
        "read as a PDF). Any of: pdf, text, html, docx, email, url. Default: any.",
    )
    title: str | None = option(None, "Title to record instead of the document's own.", per_run=True)
    tags: list[str] = option([], "Tags to record with the document.", per_run=True)
    pdf_backend: Literal["pdfium", "pypdf"] | None = option(
        None, "PDF text extractor; default [bluelabel] pdf_backend."
    )
    workers: int | None = option(
        None,
        "Processes that extract one large PDF; default [bluelabel] ingest_workers.",
        minimum=1,
        ceiling="workers",
    )
    max_pages: int | None = option(
        None, "Refuse PDFs with more pages.", minimum=1, ceiling="max_pages"
    )
    max_bytes: int | None = option(
        None,
        "Refuse larger documents (bytes); at most [bluelabel] max_pdf_bytes, max_text_bytes or "
        "max_url_bytes for the kind of source.",
        minimum=1,
    )
    timeout: float | None = option(
        None,
        "URLs: seconds to wait for the server at any one moment.",
        minimum=0.1,
        ceiling="url_timeout",
    )
    total_timeout: float | None = option(
        None, "URLs: seconds for the whole fetch.", minimum=0.1, ceiling="url_total_timeout"
    )
    max_redirects: int | None = option(
        None, "URLs: redirects to follow.", minimum=0, ceiling="max_redirects"
    )

    @field_validator("accept")
    @classmethod
    def _known_kinds(cls, value: list[str] | None) -> list[str] | None:
        unknown = [kind for kind in value or () if kind not in KINDS]
        if unknown:
            raise PydanticCustomError(
                "bluelabel_option",
                "{message}",
                {"message": f"must list kinds among {', '.join(KINDS)}, not {unknown[0]!r}"},
            )
        return value


def byte_limit(opts: IngestOptions, ceiling: int, setting: str, source: str) -> int:
    """The step's ``max_bytes``, or the deployment's limit for this kind; never above it."""
    if opts.max_bytes is None:
        return ceiling
    if opts.max_bytes > ceiling:
        raise AgentInputError(
            f"{source}: max_bytes = {opts.max_bytes:,} is above this deployment's limit "
            f"{ceiling:,} ([bluelabel] {setting})"
        )
    return opts.max_bytes
