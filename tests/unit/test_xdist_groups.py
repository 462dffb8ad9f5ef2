"""make test runs on two xdist workers with ``--dist loadgroup``: the tests of one service (the
cluster, the API server, Dovecot) must share a worker, or each worker starts its own service,
and the cluster's machine-wide lock, held by one worker's session, times out the other's
cluster tests. The groups come from the fixtures a test uses (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CONFTEST = """
import pytest
from tests.conftest import pytest_collection_modifyitems  # noqa: F401  (the hook under test)

@pytest.fixture(scope="session")
def imap_server():
    return "stand-in"
"""

TESTS = """
import os, time, pytest

@pytest.mark.parametrize("n", range(6))
def test_uses_the_service(imap_server, n):
    time.sleep(0.1)
    with open(os.environ["OUT"], "a") as out:
        out.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")

@pytest.mark.parametrize("n", range(6))
def test_other(n):
    time.sleep(0.1)
"""


@pytest.mark.slow  # over 10 s: make test only
def test_the_tests_of_one_service_run_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_grouped.py").write_text(TESTS)
    out = tmp_path / "workers.txt"
    env = {**os.environ, "OUT": str(out), "PYTHONPATH": str(REPO)}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup",
         "-p", "no:cacheprovider", "-c", os.devnull, "--rootdir", str(tmp_path), str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    workers = Counter(out.read_text().split())
    assert sum(workers.values()) == 6
    assert len(workers) == 1, f"the service's tests ran on {dict(workers)}"
