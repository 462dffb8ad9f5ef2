"""Processes a dev tool starts and must find again later, from another process: each is the
leader of a session of its own, named by a pid file with its start time beside it.

The start time (clock ticks after boot, ``/proc/<pid>/stat``) makes a recycled pid harmless:
a pid file only names a process that started when it was recorded. The session makes the
children findable, also once their leader has died: they keep its session id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessStat:
    state: str  # "R", "S", ..., "Z" for exited but not reaped
    session: int
    start: str


def process_stat(pid: int) -> ProcessStat | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # after the command: state ppid pgrp session ...; starttime is field 22 of the line
    return ProcessStat(state=fields[0], session=int(fields[3]), start=fields[19])


class PidFile:
    """``<folder>/<name>.pid`` (the pid, as usual) and ``.<name>.started`` (its start time)."""

    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / f"{name}.pid"
        self._started = folder / f".{name}.started"

    def record(self, pid: int) -> None:
        stat = process_stat(pid)
        self._started.write_text(stat.start if stat else "")
        self.path.write_text(f"{pid}\n")

    def recorded(self) -> int | None:
        """The pid written, whether or not it still runs."""
        try:
            return int(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def running(self) -> int | None:
        """The pid if that process still runs (and is the one recorded)."""
        pid = self.recorded()
        try:
            started = self._started.read_text().strip()
        except FileNotFoundError:
            return None
        stat = process_stat(pid) if pid else None
        return pid if stat and stat.state != "Z" and stat.start == started else None

    def session(self) -> int | None:
        """The session to look for this process's children in: its pid, if the process is
        the one recorded or has gone (its orphans keep the id); ``None`` if that pid now
        belongs to another process (then so does the session)."""
        pid = self.recorded()
        if pid is None:
            return None
        stat = process_stat(pid)
        if stat is None or stat.state == "Z" or self.running() == pid:
            return pid
        return None

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        self._started.unlink(missing_ok=True)


def spawn(argv: Sequence[str], env: Mapping[str, str], log: Path, cwd: Path) -> int:
    """Start ``argv`` as the leader of a new session, output appended to ``log``."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            list(argv),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )
    return process.pid


def session_members(sessions: set[int]) -> list[int]:
    """Live processes in any of ``sessions`` (leaders and children, orphans included)."""
    found = []
    for entry in Path("/proc").iterdir():
        stat = process_stat(int(entry.name)) if entry.name.isdigit() else None
        if stat and stat.state != "Z" and stat.session in sessions:
            found.append(int(entry.name))
    return found


def send(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
