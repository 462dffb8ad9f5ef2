"""What an ingest holds before its document is committed: staging files (the text being
extracted; swept once their process is gone) and, in bulk, the catalog rows waiting for their
batch's commit (:meth:`bluelabel.store.KnowledgeStore.catalog_batch`)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bluelabel.errors import StoreError
from bluelabel.store.catalog import Catalog
from bluelabel.store.paths import storage_error, sync_files
from bluelabel.store.records import DocumentRecord

STAGING_PREFIX = ".staging-"
#: Staging files of other hosts (a shared store) are swept once this old.
FOREIGN_STAGING_SECONDS = 24 * 3600
HOST = "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40] or "host"


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
        if host == HOST and pid_text.isdigit():
            if not _alive(int(pid_text)):
                stale.append(path)
        elif age > FOREIGN_STAGING_SECONDS:
            stale.append(path)
    return stale


@dataclass
class CatalogBatch:
    """Catalog rows waiting for their batch's commit, and the blobs to sync before it."""

    size: int
    rows: list[tuple[DocumentRecord, str, str | None]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    unsynced: list[Path] = field(default_factory=list)

    def add(self, record: DocumentRecord, searchable: str) -> bool:
        """Queue a document's row; True when the batch is full."""
        self.rows.append((record, searchable, None))
        self.ids.add(record.content_id)
        return len(self.rows) >= self.size

    def commit(self, catalog: Callable[[], Catalog], location: str) -> int:
        """Sync the blobs, then commit the rows in one transaction of ``catalog()`` (opened
        here: opening can fail too); how many. A failure leaves the documents stored without
        rows (the error says so and how to mend it); the batch is emptied either way."""
        rows, unsynced = self.rows, self.unsynced
        self.rows, self.unsynced = [], []
        self.ids.clear()
        try:
            try:
                sync_files(unsynced)
            except OSError as exc:
                raise storage_error(location, exc) from None
            catalog().add_many(rows)
        except StoreError as exc:
            raise StoreError(
                f"{exc} ({len(rows)} document(s) stored without their catalog rows: run "
                "bluelabel store check --repair)",
                permanent=exc.permanent,
            ) from exc
        return len(rows)
