"""The knowledge store: content-addressed documents, atomic writes, local folder or URL.

``knowledge``: the store itself. ``records``: the document record. ``paths``: locations,
atomic writes and the store's errors. ``check``: ``bluelabel store check [--repair]``.
"""

from __future__ import annotations

import threading

from bluelabel.store.knowledge import KnowledgeStore
from bluelabel.store.paths import StorePath, storage_path, write_atomic, write_file
from bluelabel.store.records import DamagedEntry, DocumentRecord

_configured: dict[str, KnowledgeStore] = {}
_configured_lock = threading.Lock()


def configured_store() -> KnowledgeStore:
    """The configured store (``[bluelabel] store``), one per process and location: its catalog
    (and the connection lookup behind its URL) is opened once and its pool shared by every
    reader and writer in the process (the API server's routes, the metrics listener)."""
    from bluelabel.config import get_settings

    location = get_settings().store
    with _configured_lock:
        store = _configured.get(location)
        if store is None:
            store = _configured[location] = KnowledgeStore(location)
    return store


__all__ = [
    "DamagedEntry",
    "DocumentRecord",
    "KnowledgeStore",
    "StorePath",
    "configured_store",
    "storage_path",
    "write_atomic",
    "write_file",
]
