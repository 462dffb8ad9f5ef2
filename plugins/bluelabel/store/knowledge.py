"""The knowledge store: documents (text + metadata) addressed by content, written atomically.

Layout below the root (a local folder, or any ``ObjectStoragePath`` URL such as ``s3://...``)::

    objects/<id[:2]>/<id>.txt     the extracted text, UTF-8
    objects/<id[:2]>/<id>.json    the document record (the commit point of a document)
    provenance/<id[:2]>/<id>/<time>-<n>.json   each Airflow task try that ingested it
    summaries/<id[:2]>/<id>-<key>.json   cached summaries
    digests/<name>                rendered digests
    runs/<YYYYMMDD>/<time>-<dag>-<task>-<n>.json   the run ledger of stores written before it
                                  was the catalog table ``bluelabel_tries`` (read by reindex)
    tmp/.staging-<host>-<pid>-*   unfinished work of a live ingest; swept once its process is gone

Readers query the store's catalog (:mod:`bluelabel.store.catalog`, SQL: PostgreSQL or an
embedded SQLite file), never a listing: :meth:`KnowledgeStore.put` writes a document's catalog
row right after its record, so a document is found once it is committed; a crash between the
two leaves a record without a row, which ``bluelabel store check --repair`` (or ``store
reindex``) adds. A damaged record (a truncated file, a record of the wrong shape) is skipped
with a warning naming it, in :attr:`KnowledgeStore.problems`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bluelabel.errors import StoreError
from bluelabel.store.catalog import MAX_TEXT_CHARS, Catalog, catalog_url
from bluelabel.store.ledger import record_tries, start_try, tries_between
from bluelabel.store.paths import (
    STORAGE_ERRNOS,
    StorePath,
    storage_error,
    storage_path,
    write_atomic,
)
from bluelabel.store.records import (
    INDEX_TIME_FORMAT,
    DamagedEntry,
    DocumentRecord,
    RunRef,
    dumps,
)
from bluelabel.store.search import search

log = logging.getLogger(__name__)
STAGING_PREFIX = ".staging-"
#: Listing a folder that does not exist: ``FileNotFoundError`` on a disk; on an object store
#: (universal-pathlib, e.g. an S3 prefix with no objects yet) ``NotADirectoryError``.
_MISSING_FOLDER = (FileNotFoundError, NotADirectoryError)
#: Staging files of other hosts (a shared store) are swept once this old.
FOREIGN_STAGING_SECONDS = 24 * 3600
_HOST = "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40] or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_staging(directory: Path, *, now: float | None = None) -> list[Path]:
    """Staging files whose ingest is gone: its process is dead (this host), or it is old."""
    now = time.time() if now is None else now
    stale = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    for path in entries:
        if not path.name.startswith(STAGING_PREFIX):
            continue
        host, _, rest = path.name[len(STAGING_PREFIX) :].partition("-")
        pid_text = rest.partition("-")[0]
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        if host == _HOST and pid_text.isdigit():
            if not _alive(int(pid_text)):
                stale.append(path)
        elif age > FOREIGN_STAGING_SECONDS:
            stale.append(path)
    return stale


class KnowledgeStore:
    """Content-addressed document store. Safe for concurrent writers of the same document."""

    def __init__(
        self, location: str | os.PathLike[str] | StorePath, *, catalog: str | None = None
    ) -> None:
        """``catalog``: the catalog's SQLAlchemy URL (default: ``[bluelabel] catalog_conn_id``,
        or SQLite beside a local store)."""
        self.root = storage_path(location)
        self.is_local = isinstance(self.root, Path)
        self.location = str(self.root)
        #: damaged entries met while reading, one line each (naming the file)
        self.problems: list[str] = []
        self._swept = False
        self._catalog_url = catalog
        self._catalog: Catalog | None = None

    @property
    def catalog(self) -> Catalog:
        """The store's catalog, opened (and migrated) on first use."""
        if self._catalog is None:
            url = self._catalog_url
            if url is None:
                from bluelabel.config import get_settings

                url = catalog_url(self.root, self.is_local, get_settings().catalog_conn_id)
            self._catalog = Catalog(url)
        return self._catalog

    @property
    def known_catalog_url(self) -> str | None:
        """The catalog's URL if known (given, or the catalog opened), without opening it."""
        return self._catalog.url if self._catalog is not None else self._catalog_url

    def __repr__(self) -> str:
        return f"KnowledgeStore({self.location!r})"

    def _problem(self, path: StorePath, reason: str) -> None:
        message = f"skipped damaged store entry {path}: {reason} (bluelabel store check --repair)"
        if message not in self.problems:
            self.problems.append(message)
            log.warning("%s", message)

    # ----------------------------------------------------------------- paths
    def _object(self, content_id: str, suffix: str) -> StorePath:
        return self.root / "objects" / content_id[:2] / f"{content_id}{suffix}"

    def record_path(self, content_id: str) -> StorePath:
        return self._object(content_id, ".json")

    def text_path(self, content_id: str) -> StorePath:
        return self._object(content_id, ".txt")

    # ----------------------------------------------------------------- writing
    @contextlib.contextmanager
    def staging_file(self) -> Iterator[Path]:
        """A local file to stream text into before :meth:`put`; removed if not consumed.

        Errors of the store's file system (full, read-only) inside the block become one
        :class:`StoreError` line."""
        if isinstance(self.root, Path):
            directory = self.root / "tmp"
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise storage_error(self.location, exc) from None
            if not self._swept:
                self._swept = True
                for stale in stale_staging(directory):
                    with contextlib.suppress(OSError):  # a read-only store: the write says so
                        stale.unlink(missing_ok=True)
                        log.info("removed staging file %s of an ingest that is gone", stale)
        else:
            directory = Path(os.environ.get("TMPDIR", "/tmp"))
        path = directory / f"{STAGING_PREFIX}{_HOST}-{os.getpid()}-{uuid.uuid4().hex}.txt"
        try:
            yield path
        except OSError as exc:
            if exc.errno in STORAGE_ERRNOS:
                raise storage_error(self.location, exc) from None
            raise
        finally:
            # Nothing may have been written (a read-only store refuses even the unlink).
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
                for part in directory.glob(f"{path.name}.*"):
                    part.unlink(missing_ok=True)

    def _move_in(self, staged: Path, target: StorePath) -> None:
        if isinstance(target, Path):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)  # staging lives in the store: same file system
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            with staged.open("rb") as src, target.open("wb") as dst:
                while block := src.read(1 << 20):
                    dst.write(block)

    def put(self, record: DocumentRecord, text: Path | str) -> DocumentRecord:
        """Store a document whose text is ``text`` (a staged file, consumed, or a string).

        If the document is already stored, nothing is rewritten and the stored record is
        returned: ingesting the same content twice stores it once.
        """
        try:
            existing = self.get(record.content_id)
            if existing is not None:
                if not self.catalog.has(existing.content_id):  # a crash after the record
                    self.catalog.add(
                        existing, self.read_text(existing.content_id, max_chars=MAX_TEXT_CHARS)
                    )
                return existing
            target = self.text_path(record.content_id)
            if isinstance(text, Path):
                with text.open("r", encoding="utf-8", errors="replace") as handle:
                    searchable = handle.read(MAX_TEXT_CHARS)
                self._move_in(text, target)
            else:
                searchable = text[:MAX_TEXT_CHARS]
                write_atomic(target, text.encode("utf-8"))
            # The record is the commit point; the catalog row follows in the same step (and
            # store check --repair adds it if this process dies in between).
            write_atomic(self.record_path(record.content_id), dumps(record.to_dict()))
        except OSError as exc:
            raise storage_error(self.location, exc) from None
        self.catalog.add(record, searchable)
        return record

    def note_ingest(self, content_id: str, run: RunRef) -> None:
        """Remember that an Airflow task try ingested (or found) this document."""
        now = datetime.now(timezone.utc)
        entry = {
            "dag_id": run.dag_id,
            "run_id": run.run_id,
            "task_id": run.task_id,
            "map_index": run.map_index,
            "try_number": run.try_number,
            "at": now.isoformat(),
        }
        name = f"{now.strftime(INDEX_TIME_FORMAT)}-{uuid.uuid4().hex[:8]}.json"
        folder = self.root / "provenance" / content_id[:2] / content_id
        try:
            write_atomic(folder / name, dumps(entry))
        except OSError as exc:
            raise storage_error(self.location, exc) from None
        self.catalog.note_ingest(content_id, run, now.isoformat())

    def provenance(self, content_id: str) -> list[dict[str, Any]]:
        """Each task try that ingested the document, oldest first (from the catalog)."""
        return self.catalog.provenance(content_id)

    def provenance_notes(self, content_id: str) -> list[dict[str, Any]]:
        """The provenance notes kept beside the document (what the catalog is rebuilt from)."""
        folder = self.root / "provenance" / content_id[:2] / content_id
        try:
            names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))
        except _MISSING_FOLDER:
            return []
        found = []
        for name in names:
            try:
                data = json.loads((folder / name).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                self._problem(folder / name, str(exc))
                continue
            if isinstance(data, dict):
                found.append(data)
        return found

    # ----------------------------------------------------------------- reading
    def get(self, content_id: str) -> DocumentRecord | None:
        """The record of a stored document; ``None`` when absent or damaged (noted)."""
        path = self.record_path(content_id)
        try:
            return DocumentRecord.from_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except DamagedEntry as exc:
            self._problem(path, str(exc))
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"cannot read record {content_id} in {self.location}: {exc}") from None

    def has(self, content_id: str) -> bool:
        return self.get(content_id) is not None

    def read_text(self, content_id: str, *, max_chars: int | None = None) -> str:
        """The document's text (its first ``max_chars`` characters when given)."""
        try:
            with self.text_path(content_id).open("r", encoding="utf-8", errors="replace") as fh:
                return str(fh.read(-1 if max_chars is None else max_chars))
        except FileNotFoundError as exc:
            raise StoreError(
                f"document {content_id} has no text in store {self.location}: "
                "run bluelabel store check --repair"
            ) from exc

    def query(
        self,
        *,
        limit: int | None = 10,
        since: datetime | None = None,
        until: datetime | None = None,
        tags: Sequence[str] = (),
        source_contains: str | None = None,
        content_type: str | None = None,
    ) -> list[DocumentRecord]:
        """Newest first, from the catalog (:func:`bluelabel.store.search.search`: the same
        filters as the API's and ``bluelabel search``'s)."""
        page = search(
            self.catalog,
            limit=limit,
            since=since,
            until=until,
            tags=tags,
            source=source_contains,
            content_type=content_type,
            count=False,
        )
        return [hit.record for hit in page.hits]

    def write_digest(self, name: str, text: str) -> str:
        """Publish a rendered digest as ``digests/<name>``; return where it is."""
        target = self.root / "digests" / name
        try:
            write_atomic(target, text.encode("utf-8"))
        except OSError as exc:
            raise storage_error(self.location, exc) from None
        return str(target)

    # ----------------------------------------------------------------- run ledger
    def start_try(
        self,
        run: RunRef,
        *,
        started_at: datetime,
        time_limit: timedelta | None,
        dag_display_name: str | None,
        record: dict[str, Any],
    ) -> None:
        """Note in the run ledger that a task try is running
        (:func:`bluelabel.store.ledger.start_try`)."""
        start_try(
            self.catalog,
            run,
            started_at=started_at,
            time_limit=time_limit,
            dag_display_name=dag_display_name,
            record=record,
        )

    def record_try(self, record: dict[str, Any]) -> None:
        """Keep one task try's metrics record in the run ledger, replacing its ``running`` row
        (needs the try's key, ``started_at`` and ``finished_at``, ISO times)."""
        record_tries(self.catalog, [record])

    def tries(
        self, *, since: datetime, until: datetime, now: datetime | None = None
    ) -> list[dict[str, Any]]:
        """The run ledger's tries of ``[since, until]``, oldest first, killed ones included
        (:func:`bluelabel.store.ledger.tries_between` says which)."""
        return tries_between(self.catalog, since, until, now=now)

    # ----------------------------------------------------------------- summaries cache
    def _summary_path(self, content_id: str, key: str) -> StorePath:
        return self.root / "summaries" / content_id[:2] / f"{content_id}-{key}.json"

    def cached_summary(self, content_id: str, key: str) -> dict[str, Any] | None:
        path = self._summary_path(content_id, key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None

    def cache_summary(self, content_id: str, key: str, summary: dict[str, Any]) -> bool:
        """Keep a computed summary; False (the cache is only a speed-up) when it cannot."""
        try:
            write_atomic(self._summary_path(content_id, key), dumps(summary))
        except OSError as exc:
            log.info("summary of %s not cached: %s", content_id, exc.strerror or exc)
            return False
        return True
