"""Waiting for what another process does, and free loopback ports: the one helper of each for
the tests, the benchmarks and the dev tools (make cluster, the IMAP test server)."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from typing import Literal, TypeVar

T = TypeVar("T")


def wait_until(
    check: Callable[[], T | Literal[False] | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.2,
    ignore: tuple[type[BaseException], ...] = (),
    details: Callable[[], str] | None = None,
) -> T:
    """Call ``check`` until it returns something true, and return that.

    An exception of a type in ``ignore`` counts as "not yet". After ``timeout`` seconds an
    :class:`AssertionError` says what did not happen (``what``), with ``details()`` (a log's
    tail, the last state seen) when given.
    """
    deadline = time.monotonic() + timeout
    while True:
        result: T | Literal[False] | None = None
        with contextlib.suppress(*ignore):
            result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            extra = f"\n{details()}" if details is not None else ""
            raise AssertionError(f"{what}: not after {timeout:g} s{extra}")
        time.sleep(interval)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
