"""One wall-clock deadline for blocking socket I/O, shared by the URL fetch
(:mod:`bluelabel.agents.web`) and the IMAP hook (:mod:`bluelabel.hooks.imap`).

A socket timeout bounds each read, not a peer that trickles its answer a byte at a time,
each byte within the timeout. A :class:`SocketWatchdog` cuts the socket (a shutdown, from a
thread of its own, which ends the read blocked in another thread) when the exchange in
flight runs past its limit. Limits apply only inside :meth:`SocketWatchdog.exchange`: between
exchanges nothing is cut, so a caller can finish what it already received.

The e-mail parser's budget (:mod:`bluelabel.agents.mail.bounds`) is a different clock, the
parsing thread's CPU time, and the sandbox (:mod:`bluelabel.agents.sandbox`) bounds whole
processes; neither is a socket deadline.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator


class SocketWatchdog:
    """Shuts the watched socket when an exchange runs past the deadline, ``seconds`` after
    the watchdog was made.

    ``socket_of`` answers the socket to cut at the moment of cutting (a connection's socket
    changes: a plain one, then the TLS one wrapped around it). An exchange marked
    ``graced`` (filing away what was already stored, a logout) may run ``grace`` seconds from
    its start if that ends later. :attr:`expired` tells the caller, after the fact, that a
    failure was the deadline's doing.
    """

    def __init__(
        self,
        seconds: float,
        *,
        grace: float = 0.0,
        socket_of: Callable[[], socket.socket | None] | None = None,
        name: str = "bluelabel-watchdog",
    ) -> None:
        self.seconds = seconds
        self.grace = grace
        self.expired = False
        self._deadline = time.monotonic() + seconds
        self._socket_of = socket_of
        self._limit: float | None = None  # of the exchange in flight
        self._done = False
        self._wake = threading.Condition()
        threading.Thread(target=self._run, name=name, daemon=True).start()

    @property
    def seconds_left(self) -> float:
        return self._deadline - time.monotonic()

    @contextlib.contextmanager
    def exchange(self, *, graced: bool = False) -> Iterator[None]:
        """Around each exchange with the peer: cut at the deadline while it runs."""
        with self._wake:
            limit = self._deadline
            self._limit = max(limit, time.monotonic() + self.grace) if graced else limit
            self._wake.notify()
        try:
            yield
        finally:
            with self._wake:
                self._limit = None

    def watch(self, socket_of: Callable[[], socket.socket | None]) -> None:
        """Watch this socket from now on (cut at once if the deadline has already passed)."""
        with self._wake:
            self._socket_of = socket_of
            if self.expired:
                self._shut()

    def cancel(self) -> None:
        """Done with the socket: the watchdog's thread ends."""
        with self._wake:
            self._done = True
            self._socket_of = None
            self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while not self._done:
                left = None if self._limit is None else self._limit - time.monotonic()
                if left is None or left > 0:
                    self._wake.wait(left)
                    continue
                self.expired = True
                self._shut()
                return

    def _shut(self) -> None:
        sock = self._socket_of() if self._socket_of is not None else None
        if sock is not None:
            # the plain socket's shutdown, even for a TLS socket: an SSL socket's own would
            # drop its state under the thread reading it. EBADF: detached by a TLS handshake.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
