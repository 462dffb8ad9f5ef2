"""Run the ``bluelabel`` command as a user does and measure it: exit code, stderr lines,
wall and CPU time, and the peak memory of the command and its largest child (the extraction worker).
Used by the hostile-input tests and by ``benchmarks/hostile.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_WRAPPER = """
import json, resource, sys, time
from bluelabel.cli import main
started = time.monotonic()
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
seconds = time.monotonic() - started
own = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0] / 1024
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
usage = map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
cpu = sum(u.ru_utime + u.ru_stime for u in usage)
figures = {"code": code, "seconds": seconds, "cpu_seconds": cpu, "own_mb": own, "kids_mb": kids}
sys.stderr.write("\\n@@" + json.dumps(figures) + "\\n")
"""


@dataclass
class Run:
    code: int
    stdout: str
    lines: list[str]  # stderr, one message per line
    seconds: float
    #: CPU time of the command and its children: what a bound on work (a count of parts, of
    #: values) costs, unchanged by how busy the machine is (``seconds`` is what a deadline cuts)
    cpu_seconds: float
    peak_mb: float  # the wrapper (the CLI itself) plus its largest child
    pid: int  # the command's process: its extraction workers carry it as their parent

    @property
    def error(self) -> str:
        """The one error line (every other stderr line is a warning or the progress)."""
        errors = [line for line in self.lines if " failed: " in line]
        assert len(errors) == 1, self.lines
        return errors[0]


def bluelabel(
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float = 120,
) -> Run:
    """``bluelabel ARGS`` with its time and peak memory (all its processes)."""
    full = {**os.environ, **(env or {})}
    with subprocess.Popen(
        [sys.executable, "-c", _WRAPPER, *args],
        env=full,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    ) as process:
        try:
            out, err = process.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    stderr = err.decode("utf-8", "replace")
    head, _, tail = stderr.rpartition("\n@@")
    figures = json.loads(tail)
    return Run(
        code=figures["code"],
        stdout=out.decode("utf-8", "replace"),
        lines=[line for line in head.splitlines() if line.strip()],
        seconds=figures["seconds"],
        cpu_seconds=figures["cpu_seconds"],
        peak_mb=figures["own_mb"] + figures["kids_mb"],
        pid=process.pid,
    )
