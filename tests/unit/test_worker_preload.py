"""The Celery worker's preload (``bluelabel.worker_preload``): its rehearsal leaves nothing
behind, and a failing rehearsal never stops a worker from starting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def preload(tmp: Path, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"{prelude}\nimport bluelabel.worker_preload as w\nprint('ready', w.REHEARSAL_TEXT[:9])"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "TMPDIR": str(tmp)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


@pytest.mark.slow  # over 10 s: make test only
def test_the_rehearsal_leaves_no_file_behind(tmp_path: Path) -> None:
    done = preload(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ready Bluelabel" in done.stdout
    assert "rehearsal failed" not in done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failing_rehearsal_is_one_warning_and_the_worker_starts(tmp_path: Path) -> None:
    prelude = (
        "import logging, tempfile\n"
        "logging.basicConfig()\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError(28, 'No space left on device')\n"
        "tempfile.TemporaryDirectory = refuse"
    )
    done = preload(tmp_path, prelude)
    assert done.returncode == 0, done.stderr
    assert "ready Bluelabel" in done.stdout
    output = done.stdout + done.stderr  # Airflow's logging writes to stdout
    assert "warm-up rehearsal failed ([Errno 28] No space left on device)" in output
