"""Decompression bombs: kilobytes that inflate to gigabytes are refused within the memory
bound and the time limit, naming the limit, leaving nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.measure import bluelabel
from tests.hostile.conftest import MEMORY_BOUND_MB, staging_files, worker_processes


@pytest.mark.parametrize("bomb", ["zeros", "text", "reused"])
@pytest.mark.parametrize("backend", ["pdfium", "pypdf"])
def test_bomb_is_refused_within_the_memory_bound(
    bombs: dict[str, Path], store_dir: Path, bomb: str, backend: str
) -> None:
    run = bluelabel("ingest", str(bombs[bomb]), "--store", str(store_dir), "--pdf-backend", backend)
    assert run.code == 1, run.lines
    # PDFium is stopped at the memory bound; pypdf refuses it first, at its own safety limit
    named = "the memory limit for one ingest ([bluelabel] ingest_memory_mb)"
    assert named in run.error or "pypdf's safety limit" in run.error, run.error
    assert str(bombs[bomb]) in run.error
    assert run.peak_mb <= MEMORY_BOUND_MB, run.peak_mb
    assert run.seconds <= 600 + 5
    assert staging_files(store_dir) == []
    assert not (store_dir / "objects").exists()
    assert worker_processes(run.pid) == []  # no extraction worker outlives the ingest


def test_the_time_limit_stops_an_ingest(bombs: dict[str, Path], store_dir: Path) -> None:
    # Memory to spare, so the deadline is what stops it.
    env = {
        "AIRFLOW__BLUELABEL__INGEST_TIMEOUT": "1",
        "AIRFLOW__BLUELABEL__INGEST_MEMORY_MB": "3000",
    }
    run = bluelabel("ingest", str(bombs["text"]), "--store", str(store_dir), env=env)
    assert run.code == 1
    assert "stopped after 1 s" in run.error and "ingest_timeout" in run.error, run.error
    assert run.seconds <= 1 + 5 + 4  # the limit + 5 s, + the CLI's own start (Airflow's config)
    assert staging_files(store_dir) == []
