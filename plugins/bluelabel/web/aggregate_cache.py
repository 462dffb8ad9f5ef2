"""A cache for figures that are expensive to compute and read under load (the metrics
aggregates): fresh entries are shared by every reader; an expired one is still served, for a
while, as one background thread recomputes it, so no request waits for the scan; an entry
first asked for, or not for that while, is computed as its first reader waits, and the
others asking for it wait for that one instead of all computing it at once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class Entry:
    expires: float  # on the cache's clock
    data: dict[str, Any]
    body: bytes  # ``data`` as JSON, encoded once for every reader


class AggregateCache:
    """``compute(*args)``'s answers by key, fresh for ``fresh_seconds``, then served stale for
    up to ``stale_seconds`` more while one thread recomputes them. ``clock`` tells the time
    (seconds; :func:`time.monotonic`, or a test's own)."""

    def __init__(
        self,
        compute: Callable[..., dict[str, Any]],
        *,
        fresh_seconds: float,
        stale_seconds: float = 60.0,
        max_entries: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._compute = compute
        self._clock = clock
        self.fresh_seconds = fresh_seconds
        self.stale_seconds = stale_seconds
        self._max_entries = max_entries
        self._entries: dict[Hashable, Entry] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._refreshing: set[Hashable] = set()

    def get(self, key: Hashable, *args: Any) -> Entry:
        """The entry for ``key``, computed from ``args`` when there is none to serve."""
        with self._lock:
            entry = self._entries.get(key)
            now = self._clock()
            if entry and entry.expires > now:
                return entry
            if entry and now - entry.expires < self.stale_seconds:
                if key not in self._refreshing:
                    self._refreshing.add(key)
                    threading.Thread(
                        target=self._refresh,
                        args=(key, *args),
                        name="bluelabel-aggregate-refresh",
                        daemon=True,
                    ).start()
                return entry
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                entry = self._entries.get(key)
                if entry and entry.expires > self._clock():
                    return entry
            return self._store(key, *args)

    def _store(self, key: Hashable, *args: Any) -> Entry:
        data = self._compute(*args)
        entry = Entry(self._clock() + self.fresh_seconds, data, json.dumps(data).encode())
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
                self._key_locks.clear()
            self._entries[key] = entry
        return entry

    def _refresh(self, key: Hashable, *args: Any) -> None:
        try:
            self._store(key, *args)
        except Exception:
            log.exception("bluelabel: recomputing cached aggregates failed")
        finally:
            with self._lock:
                self._refreshing.discard(key)
