"""Decompression bombs: kilobytes that inflate to gigabytes are refused within the memory
bound and the time limit, naming the limit, leaving nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.hostile import image_bomb_pdf
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


@pytest.mark.parametrize(
    ("width", "height", "colour"),
    [
        (32768, 32768, "DeviceGray"),  # 1 GB of pixels in 2.5 KB
        (1_000_000, 1_000_000, "DeviceGray"),  # declared a terabyte
        (20_000_000, 3, "DeviceRGB"),  # one page-wide sliver
    ],
)
def test_an_image_bomb_is_ocrd_within_the_memory_bound(
    tmp_path: Path, store_dir: Path, width: int, height: int, colour: str
) -> None:
    """A page without text goes to OCR: PDFium renders it at ``ocr_dpi``, within 40
    megapixels, whatever size its image declares, and streams the image's rows through its
    scaler instead of decoding it whole."""
    pdf = tmp_path / "image-bomb.pdf"
    pdf.write_bytes(image_bomb_pdf(width, height, colour=colour))
    run = bluelabel("ingest", str(pdf), "--store", str(store_dir))
    assert run.code == 0, run.lines
    assert "OCR found no text either" in run.lines[0], run.lines  # OCR ran, on a grey page
    assert run.peak_mb <= MEMORY_BOUND_MB, run.peak_mb
    assert run.seconds <= 60
    assert staging_files(store_dir) == []
    assert worker_processes(run.pid) == []
