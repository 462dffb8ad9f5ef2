"""The knowledge store: content-addressed documents, atomic writes, local folder or URL.

``knowledge``: the store itself. ``records``: the document record. ``paths``: locations,
atomic writes and the store's errors. ``check``: ``bluelabel store check [--repair]``.
"""

from __future__ import annotations

from bluelabel.store.knowledge import KnowledgeStore, configured_store
from bluelabel.store.paths import StorePath, storage_path, write_atomic, write_file
from bluelabel.store.records import DamagedEntry, DocumentRecord

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
