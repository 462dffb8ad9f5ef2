"""``bluelabel store reindex``: the catalog rebuilt from the blobs (:func:`reindex`), the
migration path of a store written before its catalog and the repair path of a lost one; and
the run records of a store written before the run ledger was a catalog table imported into it
(:func:`import_ledger_files`).
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bluelabel.errors import StoreError
from bluelabel.store.catalog import MAX_TEXT_CHARS
from bluelabel.store.knowledge import KnowledgeStore
from bluelabel.store.ledger import record_tries, row_of
from bluelabel.store.paths import StorePath
from bluelabel.store.records import DamagedEntry, DocumentRecord, RunRef


def _record_paths(store: KnowledgeStore, folders: list[str] | None) -> Iterator[StorePath]:
    """Every record file of the store (``folders``: of those folders of ``objects/``), as the
    listing goes (nothing gathered first)."""
    objects = store.root.joinpath("objects")
    try:
        if folders is None:
            yield from objects.rglob("*.json")
        else:
            for name in folders:
                yield from (objects / name).glob("*.json")
    except FileNotFoundError:
        return


def _read(
    store: KnowledgeStore, path: StorePath, noted: bool
) -> tuple[DocumentRecord, str, list[dict[str, Any]]] | None:
    """A document's record, text and (``noted``: it has some) provenance notes; None when
    ``path`` is no document's record or a part is damaged (noted in ``store.problems``)."""
    if isinstance(path, Path) and not path.is_file():  # a FIFO would block the read for good
        store._problem(path, "not a regular file")
        return None
    try:
        record = DocumentRecord.from_json(path.read_text(encoding="utf-8"))
    except (DamagedEntry, UnicodeDecodeError, OSError) as exc:
        store._problem(path, str(exc))
        return None
    if record.content_id != path.name[:-5]:
        return None
    text_path = store.text_path(record.content_id)
    if isinstance(text_path, Path) and text_path.exists() and not text_path.is_file():
        store._problem(text_path, "not a regular file")
        return None
    try:
        text = store.read_text(record.content_id, max_chars=MAX_TEXT_CHARS)
    except StoreError as exc:
        store._problem(path, str(exc))
        return None
    return record, text, store.provenance_notes(record.content_id) if noted else []


def ledger_files(store: KnowledgeStore) -> Iterator[dict[str, Any]]:
    """The run records of a store written before the run ledger was a catalog table (one
    JSON file per try in ``runs/YYYYMMDD/``), day by day; damaged ones are noted."""
    folder = store.root / "runs"
    try:
        days = sorted(p.name for p in folder.iterdir() if p.name.isdigit())
    except (FileNotFoundError, NotADirectoryError):  # none (NotADirectory: an object store)
        return
    for day in days:
        entries: list[StorePath] = list((folder / day).iterdir())
        for path in sorted(entries, key=lambda p: p.name):
            if not path.name.endswith(".json"):
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                row_of(data)
            except (OSError, ValueError) as exc:
                store._problem(path, f"not a run record: {exc}")
                continue
            yield data


def import_ledger_files(store: KnowledgeStore, *, batch: int = 500) -> int:
    """Add the run records of a store written before the run ledger was a catalog table
    (``runs/YYYYMMDD/*.json``) to the table, ``batch`` per transaction; a try already there
    is left as it is, so importing again adds nothing. The files are left in place. How many
    tries were added."""
    added = 0
    pending: list[dict[str, Any]] = []
    for entry in ledger_files(store):
        pending.append(entry)
        if len(pending) >= batch:
            added += record_tries(store.catalog, pending, replace=False)
            pending.clear()
    return added + record_tries(store.catalog, pending, replace=False)


#: A batch of :func:`reindex` is cut at this many characters of text too (a few huge
#: documents must not make a batch of hundreds of megabytes).
REINDEX_BATCH_CHARS = 8_000_000


def _names(folder: StorePath) -> set[str]:
    try:
        return {path.name for path in folder.iterdir()}
    except (FileNotFoundError, NotADirectoryError):
        return set()


#: Threads of a reindex process reading the blobs, and how many documents they read ahead: a
#: store larger than the page cache is read from disk, file by file, and one reader at a time
#: left both the disk and the cores waiting (a quarter of the time in I/O wait at 1,000,000
#: documents, 14 GB of files).
READERS = 8
READ_AHEAD = 32


def _batches(
    store: KnowledgeStore, size: int, folders: list[str] | None
) -> Iterator[tuple[int, list[tuple[DocumentRecord, str, str | None]], list[Any]]]:
    """The store's documents read for the catalog, ``size`` at a time (or fewer, past
    :data:`REINDEX_BATCH_CHARS`): (records seen, documents with their text, provenance),
    in the listing's order, read by :data:`READERS` threads."""
    from concurrent.futures import Future, ThreadPoolExecutor

    seen = chars = 0
    pending: list[tuple[DocumentRecord, str, str | None]] = []
    notes: list[tuple[str, RunRef, str | None]] = []
    jobs = _noted(store, _record_paths(store, folders))
    with ThreadPoolExecutor(READERS, thread_name_prefix="reindex-read") as pool:
        ahead: deque[Future[Any]] = deque(
            pool.submit(_read, store, *job) for job in itertools.islice(jobs, READ_AHEAD)
        )
        while ahead:
            read = ahead.popleft().result()
            ahead.extend(pool.submit(_read, store, *job) for job in itertools.islice(jobs, 1))
            seen += 1
            if read is None:
                continue
            record, text, found = read
            pending.append((record, text, None))
            chars += len(text)
            notes += [(record.content_id, RunRef.of_note(n), n.get("at")) for n in found]
            if len(pending) >= size or chars >= REINDEX_BATCH_CHARS:
                yield seen, pending, notes
                seen = chars = 0
                pending, notes = [], []
    if seen:
        yield seen, pending, notes


def _noted(store: KnowledgeStore, paths: Iterator[StorePath]) -> Iterator[tuple[StorePath, bool]]:
    """Each record file with whether its document has provenance notes: one listing per id
    prefix, not a look per document (records come folder by folder; in another order this is
    only slower)."""
    prefix, noted = "", set[str]()
    for path in paths:
        if path.name[:2] != prefix:
            prefix = path.name[:2]
            noted = _names(store.root / "provenance" / prefix)
        yield path, path.name[:-5] in noted


def reindex(
    store: KnowledgeStore, *, batch: int = 500, jobs: int = 1, writers: int | None = None
) -> tuple[int, int, int]:
    """Rebuild the catalog from the blobs, ``batch`` documents per transaction (bounded
    memory: a few batches read ahead, no more). (documents seen, rows added, rows removed).

    A PostgreSQL catalog of a local store is rebuilt by ``jobs`` forked processes, each
    reading its share of the ``objects/`` folders (reading and preparing the blobs is about
    a third of the work, the database's ``tsvector`` the rest); in each, :data:`READERS`
    threads read while ``writers`` threads commit (default: one per core up to 4 in a
    single process, else one). SQLite has one writer at a time: one process, one writer.
    The run records of ``runs/`` are imported by :func:`import_ledger_files`."""
    catalog = store.catalog  # opened (and migrated) here, once
    # An empty catalog (a store's first, a lost one's rebuild) has no rows of documents no
    # longer stored: none are looked for (a stat per row, 14 s at 1,000,000).
    empty = next(catalog.ids(batch=1), None) is None
    folders = _folders(store)
    if catalog.dialect == "postgresql" and store.is_local and jobs > 1 and len(folders) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        shares = [folders[n::jobs] for n in range(jobs)]
        # Ctrl-C stops the workers too: a batch being committed is rolled back, and running
        # the reindex again finishes what it began (it adds only the rows not there).
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("fork")
        ) as pool:
            parts = list(
                pool.map(
                    _reindex_share,
                    [store.location] * jobs,
                    [catalog.url] * jobs,
                    shares,
                    [batch] * jobs,
                    [writers or 1] * jobs,
                )
            )
        seen = sum(part[0] for part in parts)
        added = sum(part[1] for part in parts)
        for part in parts:
            store.problems.extend(p for p in part[2] if p not in store.problems)
    else:
        if writers is None:
            writers = min(os.cpu_count() or 1, 4) if catalog.dialect == "postgresql" else 1
        seen, added = _reindex_folders(store, None, batch, writers)
    removed = 0
    for content_id in () if empty else catalog.ids():
        if not store.record_path(content_id).exists():
            catalog.remove(content_id)
            removed += 1
    return seen, added, removed


def _folders(store: KnowledgeStore) -> list[str]:
    try:
        return sorted(p.name for p in (store.root / "objects").iterdir() if p.is_dir())
    except (FileNotFoundError, NotADirectoryError):
        return []


def _reindex_share(
    location: str, url: str, folders: list[str], batch: int, writers: int
) -> tuple[int, int, list[str]]:
    """A worker process's share of :func:`reindex`: (seen, added, problems)."""
    store = KnowledgeStore(location, catalog=url)
    seen, added = _reindex_folders(store, folders, batch, writers)
    return seen, added, store.problems


def _reindex_folders(
    store: KnowledgeStore, folders: list[str] | None, batch: int, writers: int
) -> tuple[int, int]:
    """The documents of ``folders`` of ``objects/`` (None: all) into the catalog: this thread
    reads, ``writers`` threads commit. (seen, added)."""
    catalog = store.catalog
    work: queue.Queue[tuple[list[Any], list[Any]] | None] = queue.Queue(maxsize=writers)
    failed: list[BaseException] = []
    added = 0
    counting = threading.Lock()

    def write() -> None:
        nonlocal added
        while (item := work.get()) is not None:
            if failed:
                continue  # drain: the reader stops at its next batch
            try:
                new = catalog.add_many(item[0])
                catalog.note_ingests(item[1])
            except BaseException as exc:  # raised again by the reading thread
                failed.append(exc)
                continue
            with counting:
                added += new

    threads = [threading.Thread(target=write, name=f"reindex-{n}") for n in range(writers)]
    for thread in threads:
        thread.start()
    seen = 0
    try:
        for count, documents, notes in _batches(store, max(1, batch), folders):
            if failed:
                break
            seen += count
            work.put((documents, notes))
    except BaseException:
        failed.append(StoreError("reindex interrupted"))  # the writers drop what is queued
        raise
    finally:
        for _ in threads:
            work.put(None)
        for thread in threads:
            thread.join()
    if failed:
        raise failed[0]
    return seen, added
