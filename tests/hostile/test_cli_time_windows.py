"""Absurd time windows on the command line: one line naming the value, exit status 2 (a usage
error), before anything is read or written (issue 20, item 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BLUELABEL = str(Path(sys.executable).parent / "bluelabel")


@pytest.mark.parametrize(
    "args",
    [
        ("digest", "--since", "99999999999d"),
        ("digest", "--until", "800000d"),
        ("digest", "--since", "0001-01-01T00:00:00+14:00"),
        ("report", "--since", "800000d"),
        ("report", "--since", "9" * 5000 + "d"),
        ("report", "--since", "last tuesday"),
    ],
    ids=lambda a: " ".join(a)[:40],
)
def test_an_absurd_window_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir()
    store = tmp_path / "store"
    extra = ("--store", str(store)) if args[0] == "digest" else ()
    done = subprocess.run(
        [BLUELABEL, *args, *extra], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"bluelabel: {args[0]}: {args[1]}="), lines
    assert done.stdout == "" and not store.exists()
