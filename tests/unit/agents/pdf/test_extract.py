"""Supervised PDF extraction: workers, blocks of pages, backends, progress."""

from __future__ import annotations

from pathlib import Path

from bluelabel.agents.files import check_regular_file
from bluelabel.agents.pdf import extract_pdf_text
from devtools.samples import build_pdf, sample_pages


def test_parallel_extraction_matches_single_process(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    path.write_bytes(build_pdf(sample_pages(150)))
    one, many = tmp_path / "one.txt", tmp_path / "many.txt"
    single = extract_pdf_text(check_regular_file(path), one, workers=1)
    parallel = extract_pdf_text(check_regular_file(path), many, workers=3)
    assert one.read_text() == many.read_text()
    assert single.chars == parallel.chars and parallel.page_count == 150
    assert single is not None and parallel is not None
    assert not list(tmp_path.glob("*.block*"))  # per-worker parts are cleaned up


def test_pypdf_backend_reads_the_same_pages(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(build_pdf(sample_pages(3), metadata={"Title": "T"}))
    result = extract_pdf_text(check_regular_file(path), tmp_path / "out.txt", backend="pypdf")
    assert result is not None
    text = (tmp_path / "out.txt").read_text()
    assert result.backend == "pypdf" and result.page_count == 3
    assert result.metadata["title"] == "T"
    assert "Page 3." in text


def test_progress_is_reported_on_long_documents(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    path.write_bytes(build_pdf(sample_pages(300)))
    calls: list[tuple[int, int]] = []
    extract_pdf_text(
        check_regular_file(path),
        tmp_path / "o.txt",
        workers=1,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls[0] == (32, 300) and calls[-1] == (300, 300)  # a block of pages at a time


def test_a_worker_that_runs_out_of_blocks_quits_while_the_others_finish(tmp_path: Path) -> None:
    """With 2 workers and blocks of unequal cost, one worker is told to quit while the other
    still works: its end of the pipe closing is no death (it failed half the real 100-page
    PDFs of the original system's bench with "the extraction worker stopped (exit code 0)")."""
    line = "A line of words that keeps the text layer of this page busy to extract. " * 2
    heavy = ["\n".join([f"Page {n}.", *[line] * 45]) for n in range(96)]
    path = tmp_path / "uneven.pdf"
    path.write_bytes(build_pdf([*heavy, "Short 97.", "Short 98.", "Short 99.", "Short 100."]))
    for attempt in range(5):
        result = extract_pdf_text(check_regular_file(path), tmp_path / f"{attempt}.txt", workers=2)
        assert result is not None and result.page_count == 100
        assert "Short 100." in (tmp_path / f"{attempt}.txt").read_text()


def test_the_task_log_gets_a_page_line_every_tenth_or_ten_seconds() -> None:
    """A 2,560-page PDF reported 32 pages at a time: 10 lines (every 10 %, the last at the
    end), not 80; a slow one also every 10 s."""
    import logging

    from bluelabel.agents.ingest.pdf import page_log

    class Lines(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(record.getMessage())

    log = logging.getLogger("test.page_log")
    log.setLevel(logging.INFO)
    handler = Lines()
    log.addHandler(handler)
    clock = [0.0]
    log_pages = page_log(log, "big.pdf", clock=lambda: clock[0])
    for done in range(32, 2561, 32):
        log_pages(done, 2560)
    assert len(handler.lines) == 10 and handler.lines[-1] == "big.pdf: 2560/2560 pages"

    handler.lines.clear()
    slow = page_log(log, "slow.pdf", clock=lambda: clock[0])
    for done in range(1, 6):
        clock[0] += 11.0  # each block of pages takes longer than 10 s
        slow(done, 1000)
    assert handler.lines == [f"slow.pdf: {n}/1000 pages" for n in range(1, 6)]
    log.removeHandler(handler)
