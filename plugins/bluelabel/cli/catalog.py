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
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bluelabel.agents.formats import SUFFIX_KINDS
from bluelabel.cli.progress import TerminalProgress
from bluelabel.config import get_settings
from bluelabel.errors import BluelabelError

if TYPE_CHECKING:
    from bluelabel.agents.inputs import TaskType


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


#: Files ingested between two catalog commits of ``bluelabel ingest DIR`` (one chunk of work).
CHUNK_FILES = 200


@dataclass(frozen=True)
class _Bulk:
    """What every chunk of a folder's ingest needs, made once per process."""

    store: str
    config: dict[str, object]


_bulk_context: Any = None  # (_Bulk, agent, AgentContext) of this process, made on its first chunk


def _ingest_chunk(bulk: _Bulk, paths: list[str]) -> list[tuple[str, str | None, bool]]:
    """Ingest ``paths`` with their catalog rows committed together; per file (path, the
    error or None, whether it was new). A failed commit fails every file of the chunk that
    had been stored (their records stay: ``store check --repair`` adds the rows)."""
    global _bulk_context
    from bluelabel.agents import AgentContext, AgentInput, get_agent
    from bluelabel.store import KnowledgeStore

    if _bulk_context is None or _bulk_context[0] != bulk:
        context = AgentContext(
            store=KnowledgeStore(bulk.store), settings=get_settings(), base_dir=Path.cwd()
        )
        _bulk_context = (bulk, get_agent("ingestion_agent"), context)
    _, agent, context = _bulk_context
    store = context.store
    outcomes: list[tuple[str, str | None, bool]] = []
    with store.catalog_batch(size=len(paths) + 1):  # one commit, at the end of the chunk
        for path in paths:
            request = AgentInput(
                task_id="cli",
                task_type=cast("TaskType", SUFFIX_KINDS[Path(path).suffix.lower()]),
                source=path,
                content={"file_path": path},
                config=bulk.config,
            )
            try:
                result = agent.run(request, context).to_xcom()
                outcomes.append((path, None, not result.get("deduplicated", False)))
            except BluelabelError as exc:
                outcomes.append((path, str(exc), False))
        try:
            store.flush_catalog()
        except BluelabelError as exc:
            outcomes = [(path, error or str(exc), False) for path, error, _ in outcomes]
    return outcomes


def _jobs(asked: int | None) -> int:
    if asked is not None:
        if asked < 1:
            raise BluelabelError(f"--jobs {asked}: give 1 or more processes")
        return asked
    return max(1, min(4, len(os.sched_getaffinity(0))))


@contextlib.contextmanager
def _chunk_runner(jobs: int, chunks: int) -> Iterator[Callable[..., Iterable[Any]]]:
    """``map`` over the chunks, in order: in this process, or in ``jobs`` forked ones (each
    opens its own store and catalog connection) when there is more than one chunk each."""
    if jobs < 2 or chunks < 2:
        yield map
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        max_workers=min(jobs, chunks),
        mp_context=multiprocessing.get_context("fork"),
        initializer=_leave_interrupts_to_the_parent,
    )
    try:
        yield pool.map
    except BaseException:  # Ctrl-C, a dead worker: the chunks begun end, no other begins
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _leave_interrupts_to_the_parent() -> None:
    # Ctrl-C reaches the whole process group; a worker that stopped mid-chunk would leave its
    # stored documents without catalog rows. The parent stops handing out chunks instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def ingest_folder(args: argparse.Namespace, folder: Path) -> int:
    """Every supported file below ``folder``: one line per failure, a final count, 1 if any
    failed. The files go in chunks of :data:`CHUNK_FILES` to ``--jobs`` processes (one store
    and catalog connection each); a chunk's catalog rows are committed together, after its
    blobs are on disk."""
    settings = get_settings()
    files = [str(path) for path in _files(folder)]
    config: dict[str, object] = {"tags": args.tag} if args.tag else {}
    for key in ("password", "pdf_backend", "max_pages"):
        if getattr(args, key) is not None:
            config[key] = getattr(args, key)
    bulk = _Bulk(store=str(args.store or settings.store), config=config)
    chunks = [files[n : n + CHUNK_FILES] for n in range(0, len(files), CHUNK_FILES)]
    progress = TerminalProgress(live=None if args.progress is None else args.progress)
    failed = new = done = 0

    def report(outcomes: list[tuple[str, str | None, bool]]) -> None:
        nonlocal failed, new, done
        for path, error, added in outcomes:
            done += 1
            new += added
            if error is not None:
                failed += 1
                gap = "\n" if progress.live and progress.last else ""  # off the bar's line
                print(f"{gap}bluelabel: ingest failed: {path}: {error}", file=sys.stderr)
        progress("files", done, len(files))

    with contextlib.redirect_stdout(sys.stderr):  # stdout is the count (see cmd_ingest)
        finished = 0
        try:
            with _chunk_runner(_jobs(args.jobs), len(chunks)) as run:
                for outcomes in run(partial(_ingest_chunk, bulk), chunks):
                    report(outcomes)
                    finished += 1
        except BrokenProcessPool:  # a worker killed (out of memory, a signal)
            lost = "a worker process died (what it stored: bluelabel store check --repair)"
            report([(path, lost, False) for chunk in chunks[finished:] for path in chunk])
    progress.finish(f"ingested {folder}")
    print(
        f"ingested {len(files) - failed} of {len(files)} file(s) below {folder} "
        f"({new} new, {failed} failed)"
    )
    return 1 if failed else 0


def cmd_store_reindex(args: argparse.Namespace) -> int:
    from bluelabel.store.reindex import import_ledger_files, reindex

    store = _store(args)
    seen, added, removed = reindex(store, batch=args.batch, jobs=_jobs(args.jobs))
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
    c.add_argument(
        "--jobs",
        type=int,
        help="processes reading the blobs into a PostgreSQL catalog (default: the cores, up to 4)",
    )
    c.set_defaults(func=cmd_store_reindex)
