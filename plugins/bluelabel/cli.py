"""``bluelabel`` command line: validate workflows, ingest sources, print digests and the schema.

Exit codes: 0 success, 1 the input was bad (invalid workflow, unreadable document), 2 usage.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from bluelabel.agents.models import TaskType

from bluelabel import __version__
from bluelabel.errors import BluelabelError

WORKFLOW_SUFFIXES = (".yaml", ".yml")


def _workflow_files(paths: Sequence[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in WORKFLOW_SUFFIXES)
        else:
            yield path


def cmd_validate(args: argparse.Namespace) -> int:
    from bluelabel.workflow import check_workflow

    files = list(_workflow_files(args.paths))
    if not files:
        print(
            f"bluelabel: no workflow files (*.yaml, *.yml) in {' '.join(args.paths)}",
            file=sys.stderr,
        )
        return 1
    bad = 0
    dag_ids: dict[str, Path] = {}
    for path in files:
        workflow, problems = check_workflow(path, root=args.root)
        if workflow is not None and workflow.dag_id in dag_ids:
            print(
                f"{path}:{_line_of(workflow.source_text, ('dag_id:', 'name:'))}: dag_id "
                f"'{workflow.dag_id}' is also used by {dag_ids[workflow.dag_id]}; Airflow keeps "
                "only one of them: give this workflow its own 'dag_id' (or name)"
            )
            bad += 1
            continue
        if workflow is not None:
            dag_ids[workflow.dag_id] = path
        for problem in problems:
            print(problem)
        if problems:
            bad += 1
        elif not args.quiet:
            assert workflow is not None
            print(f"ok: {path} ({workflow.dag_id}, {len(workflow.steps)} steps)", file=sys.stderr)
    if bad:
        print(f"bluelabel: {bad} of {len(files)} workflow file(s) invalid", file=sys.stderr)
    return 1 if bad else 0


def _line_of(text: str, prefixes: tuple[str, ...]) -> int:
    """The first line whose stripped text starts with one of ``prefixes`` (else 1)."""
    for prefix in prefixes:
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip().startswith(prefix):
                return number
    return 1


def cmd_ingest(args: argparse.Namespace) -> int:
    from bluelabel.agents import AgentContext, AgentInput, get_agent
    from bluelabel.store import KnowledgeStore

    source: str = args.source
    task_type = args.type or _guess_type(source)
    if task_type == "url":
        content = {"url": source}
    elif task_type == "text" and not os.path.exists(source):
        content = {"text": sys.stdin.read() if source == "-" else source}
        source = "stdin" if source == "-" else "cli"
    else:
        content = {"file_path": source}
    config: dict[str, object] = {}
    for key in ("password", "title", "pdf_backend", "workers", "max_pages"):
        value = getattr(args, key)
        if value is not None:
            config[key] = value
    if args.tag:
        config["tags"] = args.tag
    request = AgentInput(
        task_id="cli",
        task_type=cast("TaskType", task_type),
        source=source,
        content=content,
        config=config,
    )
    with _agent_output_only():
        context = AgentContext(
            store=KnowledgeStore(args.store),
            base_dir=Path.cwd(),
            allow_private_urls=args.allow_private_urls,
        )
        result = get_agent("ingestion_agent").run(request, context)
    for warning in result.get("warnings", []):
        print(f"bluelabel: warning: {result['source']}: {warning}", file=sys.stderr)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def _guess_type(source: str) -> str:
    if source.startswith(("http://", "https://")) or "://" in source:
        return "url"
    if source == "-":
        return "text"
    suffix = Path(source).suffix.lower()
    if suffix in (".txt", ".md", ".markdown", ".rst", ".text"):
        return "text"
    return "pdf"


def cmd_digest(args: argparse.Namespace) -> int:
    from bluelabel.agents import AgentContext, AgentInput, get_agent
    from bluelabel.store import KnowledgeStore

    config: dict[str, object] = {"format": args.format, "limit": args.limit}
    if args.content_id:
        config["content_ids"] = args.content_id
    for key in ("since", "until", "source", "title"):
        if getattr(args, key) is not None:
            config[key] = getattr(args, key)
    if args.tag:
        config["tags"] = args.tag
    with _agent_output_only():
        result = get_agent("digest_agent").run(
            AgentInput(task_id="cli", source="cli", config=config),
            AgentContext(store=KnowledgeStore(args.store)),
        )
    if args.output:
        Path(args.output).write_text(result["digest"], encoding="utf-8")
        print(
            f"bluelabel: wrote {result['summary_count']} item(s) to {args.output}", file=sys.stderr
        )
    else:
        sys.stdout.write(result["digest"])
    return 0


def _agent_output_only() -> contextlib.AbstractContextManager[object]:
    """Open the store and run an agent with ``sys.stdout`` pointing at stderr: this command's
    stdout is its result (JSON, markdown), and Airflow, when they bring it in (an ``s3://``
    store through ObjectStoragePath and its connection), logs to the stdout of the moment."""
    return contextlib.redirect_stdout(sys.stderr)


def cmd_report(args: argparse.Namespace) -> int:
    """The performance audit report from the runs recorded in Airflow's metadata DB."""
    from bluelabel.metrics.aggregate import TimeParseError, load_task_runs, parse_time
    from bluelabel.metrics.report import build_report, render_html, render_markdown

    try:
        since = parse_time(args.since, "--since")
    except TimeParseError as exc:
        print(f"bluelabel: report: {exc}", file=sys.stderr)
        return 2
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = load_task_runs(session, dag_ids=args.dag_id or None, since=since)
    report = build_report(runs, since=since, dag_ids=args.dag_id)
    text = render_html(report) if args.format == "html" else render_markdown(report)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"bluelabel: wrote {args.output} ({len(runs)} task runs)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


LOADER_TEMPLATE = '''"""Airflow DAG loader for {relative} (written by `bluelabel loaders`).

One loader per workflow file: if the YAML is invalid, Airflow shows this file's import error
with the same FILE:LINE lines as `bluelabel validate`, and every other DAG still loads.
"""

from pathlib import Path

from bluelabel.factory import load_workflows

load_workflows(Path(__file__).parent / "{relative}", globals())
'''


def cmd_loaders(args: argparse.Namespace) -> int:
    """Write a loader .py into the DAGs folder for each workflow file that lacks one."""
    dags_folder = Path(args.dags_folder)
    written = 0
    for workflow in _workflow_files([args.workflows]):
        relative = os.path.relpath(workflow, dags_folder)
        if relative.startswith(".."):
            print(f"bluelabel: {workflow} is not inside {dags_folder}", file=sys.stderr)
            return 1
        loader = dags_folder / f"{workflow.stem}.py"
        if loader.exists():
            if relative not in loader.read_text(encoding="utf-8"):
                print(
                    f"bluelabel: {loader} exists and does not load {relative}; rename one of them",
                    file=sys.stderr,
                )
                return 1
            continue
        loader.write_text(LOADER_TEMPLATE.format(relative=relative), encoding="utf-8")
        print(f"wrote {loader}")
        written += 1
    print(f"bluelabel: {written} loader(s) written", file=sys.stderr)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from bluelabel.workflow import workflow_schema

    print(json.dumps(workflow_schema(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from bluelabel.store import default_store_location

    parser = argparse.ArgumentParser(prog="bluelabel", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"bluelabel {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    store_help = (
        f"knowledge store folder or URL (default: {default_store_location()}; $BLUELABEL_STORE)"
    )

    p = sub.add_parser(
        "validate", help="check workflow files; print FILE:LINE: message per problem"
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="workflow files or folders")
    p.add_argument(
        "--root",
        help="folder relative paths resolve against "
        "(default: $BLUELABEL_WORKFLOW_ROOT, else each file's folder)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("ingest", help="ingest a PDF, URL or text; print the result as JSON")
    p.add_argument("source", help="a PDF path, an http(s) URL, a text file, text, or - for stdin")
    p.add_argument("--type", choices=["pdf", "url", "text"], help="default: guessed from SOURCE")
    p.add_argument("--store", help=store_help)
    p.add_argument("--password", help="password of an encrypted PDF")
    p.add_argument("--title", help="title to record instead of the document's own")
    p.add_argument("--tag", action="append", help="tag to record (repeatable)")
    p.add_argument("--pdf-backend", choices=["pdfium", "pypdf"], help="PDF text extractor")
    p.add_argument("--workers", type=int, help="processes for large PDFs (default: cores, max 4)")
    p.add_argument("--max-pages", type=int, help="refuse PDFs with more pages")
    p.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="permit URLs on private, loopback and link-local addresses",
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

    p = sub.add_parser("report", help="write the performance audit report from recorded runs")
    p.add_argument("--since", default="7d", help="ISO time or age like 7d, 12h (default 7d)")
    p.add_argument("--dag-id", action="append", help="only this workflow (repeatable)")
    p.add_argument("--format", choices=["md", "html"], default="md")
    p.add_argument("--output", "-o", help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("loaders", help="write one Airflow loader .py per workflow file")
    p.add_argument("workflows", help="a workflow file or a folder of them (inside DAGS_FOLDER)")
    p.add_argument("--dags-folder", default="dags", help="where the loaders go (default: dags)")
    p.set_defaults(func=cmd_loaders)

    p = sub.add_parser("schema", help="print the workflow JSON Schema")
    p.set_defaults(func=cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="bluelabel: %(message)s", stream=sys.stderr)
    if not args.debug:  # pypdf logs its repair attempts; our one-line error says what matters
        logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        code: int = args.func(args)
        return code
    except BluelabelError as exc:
        if args.debug:
            raise
        print(f"bluelabel: {args.command} failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
