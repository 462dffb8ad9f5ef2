"""How many progress streams each user holds open in one API-server process, and the memory
a burst of them leaves behind handed back to the system."""

from __future__ import annotations

import asyncio
import ctypes
import gc
import time

#: Freed memory is handed back at most this often (see :func:`return_freed_memory`).
TRIM_SECONDS = 30.0


def return_freed_memory() -> None:
    """Hand the memory the C allocator holds free back to the system (glibc's
    ``malloc_trim``). A burst of connections (3,000 stream requests of one token) leaves the
    freed request objects in its heaps, and the process's RSS at the burst's peak until then.
    Nothing happens where the C library has no ``malloc_trim`` (musl, macOS)."""
    gc.collect()
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


class StreamSlots:
    """How many progress streams each user holds open (event-loop only, so no lock). A user
    with none open has no entry: nothing is kept for users who came and went. When the last
    stream of the process closes, freed memory goes back to the system (at most every
    :data:`TRIM_SECONDS`, in the threadpool)."""

    def __init__(self, per_user: int) -> None:
        self.per_user = per_user
        self.open: dict[str, int] = {}
        self._trimmed = 0.0

    def take(self, user: str) -> bool:
        held = self.open.get(user, 0)
        if held >= self.per_user:
            return False
        self.open[user] = held + 1
        return True

    def give_back(self, user: str) -> None:
        held = self.open.get(user, 0) - 1
        if held > 0:
            self.open[user] = held
        else:
            self.open.pop(user, None)
        if not self.open and time.monotonic() - self._trimmed > TRIM_SECONDS:
            self._trimmed = time.monotonic()
            asyncio.get_running_loop().run_in_executor(None, return_freed_memory)
