"""``bluelabel ingest``, ``digest`` and ``store check``: the knowledge store from a shell.

They use the deployment's settings, read exactly as tasks read them (the Airflow home and its
``[bluelabel]`` section), so the CLI and the DAGs see the same store.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import cast

from bluelabel.agents.formats import SUFFIX_KINDS
from bluelabel.cli.progress import TerminalProgress
from bluelabel.config import get_settings
from bluelabel.errors import IngestError, LimitExceeded

#: Suffixes that make a missing SOURCE a missing file, not text to ingest.
_FILE_SUFFIXES = frozenset({*SUFFIX_KINDS, ".url"})


def agent_output_only() -> contextlib.AbstractContextManager[object]:
    """Run an agent with ``sys.stdout`` pointing at stderr: this command's stdout is its result
    (JSON, markdown), and Airflow, when the store brings it in (an ``s3://`` store through
    ObjectStoragePath and its connection), logs to the stdout of the moment."""
    return contextlib.redirect_stdout(sys.stderr)


def _store(args: argparse.Namespace) -> str:
    return str(args.store or get_settings().store)


def _content(source: str, kind: str | None, max_bytes: int) -> tuple[str, dict[str, str], str]:
    """(task type, content, source name) for SOURCE."""
    if source == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise LimitExceeded(
                "stdin",
                f"text is over the {max_bytes:,}-byte limit ([bluelabel] max_text_bytes)",
                setting="max_text_bytes",
            )
        try:
            return "text", {"text": data.decode("utf-8")}, "stdin"
        except UnicodeDecodeError as exc:
            raise IngestError("stdin", f"not UTF-8 text (invalid byte at {exc.start:,})") from None
    if kind == "url" or "://" in source:
        return "url", {"url": source}, source
    if os.path.lexists(source):
        guessed = SUFFIX_KINDS.get(Path(source).suffix.lower(), "pdf")
        return kind or guessed, {"file_path": source}, source
    names_a_file = Path(source).suffix.lower() in _FILE_SUFFIXES or os.sep in source
    if kind == "text" and not names_a_file:
        return "text", {"text": source}, "cli"
    if kind == "text":  # --type text was given: the hint would be no help
        raise IngestError(
            source,
            "file not found (it names a file, so it is not taken for the text itself; to "
            "ingest such text, pipe it in: ... | bluelabel ingest - --type text)",
        )
    if names_a_file or kind is not None:
        raise IngestError(source, "file not found")
    raise IngestError(source, "file not found (to ingest text itself use --type text)")


def cmd_ingest(args: argparse.Namespace) -> int:
    from bluelabel.agents import AgentContext, AgentInput, get_agent
    from bluelabel.agents.inputs import TaskType
    from bluelabel.store import KnowledgeStore

    if os.path.isdir(args.source):
        from bluelabel.cli.catalog import ingest_folder

        return ingest_folder(args, Path(args.source))
    settings = get_settings()
    task_type, content, source = _content(args.source, args.type, settings.max_text_bytes)
    config: dict[str, object] = {}
    for key in ("password", "title", "pdf_backend", "workers", "max_pages"):
        value = getattr(args, key)
        if value is not None:
            config[key] = value
    if args.tag:
        config["tags"] = args.tag
    progress = TerminalProgress(live=None if args.progress is None else args.progress)
    request = AgentInput(
        task_id="cli",
        task_type=cast("TaskType", task_type),
        source=source,
        content=content,
        config=config,
    )
    with agent_output_only():  # the store too: an s3:// one logs as it connects
        context = AgentContext(
            store=KnowledgeStore(_store(args)),
            settings=settings,
            base_dir=Path.cwd(),
            allow_private_urls=args.allow_private_urls or settings.allow_private_urls,
            progress=progress,
        )
        result = get_agent("ingestion_agent").run(request, context).to_xcom()
    for warning in result.get("warnings", []):
        print(f"bluelabel: warning: {result['source']}: {warning}", file=sys.stderr)
    if progress.last is not None or progress.live:
        progress.finish(f"ingested {result['source']}")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from bluelabel.agents import AgentContext, AgentInput, get_agent
    from bluelabel.store import KnowledgeStore
    from bluelabel.timeparse import parse_time

    parse_time(args.since, "--since"), parse_time(args.until, "--until")  # a bad one is 2
    config: dict[str, object] = {"format": args.format, "limit": args.limit}
    if args.content_id:
        config["content_ids"] = args.content_id
    for key in ("since", "until", "source", "title"):
        if getattr(args, key) is not None:
            config[key] = getattr(args, key)
    if args.tag:
        config["tags"] = args.tag
    with agent_output_only():
        result = (
            get_agent("digest_agent")
            .run(
                AgentInput(task_id="cli", source="cli", config=config),
                AgentContext(store=KnowledgeStore(_store(args)), settings=get_settings()),
            )
            .to_xcom()
        )
    for warning in result.get("warnings", []):
        print(f"bluelabel: warning: {warning}", file=sys.stderr)
    if args.output:
        Path(args.output).write_text(result["digest"], encoding="utf-8")
        print(
            f"bluelabel: wrote {result['summary_count']} item(s) to {args.output}", file=sys.stderr
        )
    else:
        sys.stdout.write(result["digest"])
    saved = list((result.get("paths") or {}).values())
    if saved:
        print(f"bluelabel: digest saved as {', '.join(saved)}", file=sys.stderr)
    return 0


def cmd_store_check(args: argparse.Namespace) -> int:
    from bluelabel.store import KnowledgeStore
    from bluelabel.store.check import check_store

    report = check_store(KnowledgeStore(_store(args)), repair=args.repair)
    for line in report.lines():
        print(line)
    return 0 if report.ok or args.repair else 1


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    store_help = "knowledge store folder or URL (default: [bluelabel] store)"
    p = sub.add_parser("ingest", help="ingest a document, URL, text or every file below a folder")
    p.add_argument(
        "source",
        help="a PDF, text, HTML, DOCX or EML file, a folder (every such file below it), an "
        "http(s) URL, - for stdin (text with --type text)",
    )
    p.add_argument(
        "--type",
        choices=["pdf", "url", "text", "html", "docx", "email"],
        help="default: guessed from SOURCE",
    )
    p.add_argument("--store", help=store_help)
    p.add_argument("--password", help="password of an encrypted PDF")
    p.add_argument("--title", help="title to record instead of the document's own")
    p.add_argument("--tag", action="append", help="tag to record (repeatable)")
    p.add_argument("--pdf-backend", choices=["pdfium", "pypdf"], help="PDF text extractor")
    p.add_argument("--workers", type=int, help="processes for a large PDF (at most the cores)")
    p.add_argument("--max-pages", type=int, help="refuse PDFs with more pages")
    p.add_argument(
        "--jobs",
        type=int,
        help="for a folder: processes ingesting its files at once (default: the cores, at most 4)",
    )
    p.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="permit URLs on private, loopback and link-local addresses",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="draw a progress bar (default: when stderr is a terminal)",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("digest", help="print a digest of stored documents")
    p.add_argument("--store", help=store_help)
    p.add_argument("--format", choices=["markdown", "html", "json"], default="markdown")
    p.add_argument("--limit", type=int, default=10, help="at most N documents (default 10)")
    p.add_argument("--content-id", action="append", metavar="ID", help="digest these documents")
    p.add_argument("--since", help="ISO time or age like 7d, 12h")
    p.add_argument("--until", help="ISO time or age like 1d")
    p.add_argument("--tag", action="append", help="only documents with this tag (repeatable)")
    p.add_argument("--source", help="only documents whose source contains this text")
    p.add_argument("--title", help="digest title")
    p.add_argument("--output", "-o", help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("store", help="the knowledge store itself")
    store_sub = p.add_subparsers(dest="store_command", required=True)
    c = store_sub.add_parser(
        "check", help="report damaged entries and catalog rows out of step; --repair mends them"
    )
    c.add_argument("--store", help=store_help)
    c.add_argument(
        "--repair", action="store_true", help="move damaged files aside, mend the catalog"
    )
    c.set_defaults(func=cmd_store_check)
    from bluelabel.cli.catalog import add_store_parsers

    add_store_parsers(store_sub)
