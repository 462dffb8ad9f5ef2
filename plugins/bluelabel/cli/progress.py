"""A progress bar on the terminal for long ingests, and the final line."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR = 30


class TerminalProgress:
    """A progress sink (``stage, done, total``) drawing one line on ``stream``.

    On a terminal the bar redraws in place at most ten times a second; elsewhere (a log, a
    pipe) nothing is drawn until :meth:`finish` prints the final line."""

    def __init__(self, stream: TextIO = sys.stderr, *, live: bool | None = None) -> None:
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.started = time.monotonic()
        self._drawn = 0.0
        self.last: tuple[str, int, int] | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.last = (stage, done, total)
        now = time.monotonic()
        if self.live and (now - self._drawn >= 0.1 or done >= total):
            self._drawn = now
            filled = int(BAR * done / total) if total else BAR
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (BAR - filled)}] {done:,}/{total:,} {stage} "
                f"{now - self.started:.1f} s"
            )
            self.stream.flush()

    def finish(self, what: str) -> None:
        """``bluelabel: <what>: 2,561/2,561 pages in 1.4 s`` (or just the time)."""
        elapsed = time.monotonic() - self.started
        if self.live and self.last is not None:
            self.stream.write("\n")
        done = f"{self.last[1]:,}/{self.last[2]:,} {self.last[0]} " if self.last else ""
        self.stream.write(f"bluelabel: {what}: {done}in {elapsed:.1f} s\n")
        self.stream.flush()
