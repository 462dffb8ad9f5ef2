"""``bluelabel search``, ``bluelabel ingest DIR``, ``bluelabel store reindex``: the store's
catalog from a shell.

``search`` asks :func:`bluelabel.store.search.search`, as ``GET /bluelabel/api/documents?q=``
and the digests do, so it answers in the same order. The CLI runs with the store's own access
(whoever may read the store folder or bucket): it sees every document, the API a user's share.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from bluelabel.agents.formats import SUFFIX_KINDS
from bluelabel.cli.progress import TerminalProgress
from bluelabel.config import get_settings
from bluelabel.errors import BluelabelError


def _store(args: argparse.Namespace) -> Any:
    from bluelabel.store import KnowledgeStore

    return KnowledgeStore(str(args.store or get_settings().store))


def cmd_search(args: argparse.Namespace) -> int:
    from bluelabel.store.search import search
    from bluelabel.timeparse import parse_time

    since = parse_time(args.since, "--since")
    page = search(
        _store(args).catalog,
        q=args.query,
        content_type=args.type,
        tags=args.tag or [],
        source=args.source,
        since=since,
        limit=args.limit,
        count=False,
    )
    found = [
        {
            "content_id": hit.record.content_id,
            "title": hit.record.title or hit.record.source,
            "snippet": hit.snippet_text,
            "score": hit.score,
            "content_type": hit.record.content_type,
            "source": hit.record.source,
            "ingested_at": hit.record.ingested_at,
        }
        for hit in page.hits
    ]
    if args.format == "json":
        print(json.dumps(found, indent=2, ensure_ascii=False))
        return 0
    for n, item in enumerate(found, 1):
        print(f"{n:>3}. {item['title']}  [{item['content_type']}, {item['content_id']}]")
        print(f"     {item['snippet']}")
    if not found:
        print("bluelabel: no documents match", file=sys.stderr)
    return 0


def _files(folder: Path) -> Iterator[Path]:
    """The supported files below ``folder``, in name order (hidden ones skipped)."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix.lower() in SUFFIX_KINDS:
            yield path


def ingest_folder(args: argparse.Namespace, folder: Path) -> int:
    """Every supported file below ``folder``: one line per failure, a final count, 1 if any
    failed. One store (and one catalog connection) for all of them."""
    from bluelabel.agents import AgentContext, AgentInput, get_agent
    from bluelabel.agents.inputs import TaskType

    settings = get_settings()
    files = list(_files(folder))
    config: dict[str, object] = {"tags": args.tag} if args.tag else {}
    for key in ("password", "pdf_backend", "max_pages"):
        if getattr(args, key) is not None:
            config[key] = getattr(args, key)
    progress = TerminalProgress(live=None if args.progress is None else args.progress)
    agent = get_agent("ingestion_agent")
    failed = new = 0
    with contextlib.redirect_stdout(sys.stderr):  # stdout is the count (see cmd_ingest)
        context = AgentContext(store=_store(args), settings=settings, base_dir=Path.cwd())
        for done, path in enumerate(files, 1):
            kind = cast("TaskType", SUFFIX_KINDS[path.suffix.lower()])
            request = AgentInput(
                task_id="cli",
                task_type=kind,
                source=str(path),
                content={"file_path": str(path)},
                config=config,
            )
            try:
                result = agent.run(request, context).to_xcom()
                new += not result.get("deduplicated", False)
            except BluelabelError as exc:
                failed += 1
                gap = "\n" if progress.live and progress.last else ""  # off the bar's line
                print(f"{gap}bluelabel: ingest failed: {path}: {exc}", file=sys.stderr)
            progress("files", done, len(files))
    progress.finish(f"ingested {folder}")
    print(
        f"ingested {len(files) - failed} of {len(files)} file(s) below {folder} "
        f"({new} new, {failed} failed)"
    )
    return 1 if failed else 0


def cmd_store_reindex(args: argparse.Namespace) -> int:
    from bluelabel.store.check import import_ledger_files, reindex

    store = _store(args)
    seen, added, removed = reindex(store, batch=args.batch)
    tries = import_ledger_files(store, batch=args.batch)
    for problem in store.problems:
        print(problem, file=sys.stderr)
    print(
        f"store {store.location}: {seen} document(s) read; {added} catalog row(s) added, "
        f"{removed} of documents no longer stored removed; {tries} run record(s) imported "
        "into the run ledger from runs/ (the files are left in place)"
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    store_help = "knowledge store folder or URL (default: [bluelabel] store)"
    p = sub.add_parser("search", help="search the knowledge store (as the UI does)")
    p.add_argument("query", help="words; every one must occur (the last may be a prefix)")
    p.add_argument("--type", help="only documents of this type (pdf, text, html, ...)")
    p.add_argument("--tag", action="append", help="only documents with this tag (repeatable)")
    p.add_argument("--source", help="only documents whose source contains this text")
    p.add_argument("--since", help="ingested since: ISO time or age like 7d, 12h")
    p.add_argument("--limit", type=int, default=10, help="at most N documents (default 10)")
    p.add_argument("--format", choices=["json", "text"], default="text")
    p.add_argument("--store", help=store_help)
    p.set_defaults(func=cmd_search)


def add_store_parsers(store_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = store_sub.add_parser(
        "reindex",
        help="rebuild the catalog from the stored records and import the run files of runs/ "
        "(migration, repair)",
    )
    c.add_argument("--store", help="knowledge store folder or URL (default: [bluelabel] store)")
    c.add_argument("--batch", type=int, default=500, help="documents per transaction")
    c.set_defaults(func=cmd_store_reindex)
