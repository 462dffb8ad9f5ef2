"""Extractive summary time on the text of a long document.

Usage: python benchmarks/summarize.py [PDF]   (default: the original's 2,561-page stress file,
4.4 million characters, or a generated 2,561-page PDF when ../shared is absent). Prints the
median of 5 runs (wall clock) and what the summary says. Quality is measured separately, by
benchmarks/summary_quality.py.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

# devtools/ (PDFs built in code) lives beside benchmarks/, outside the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

sys.path.insert(0, str(Path(__file__).parent))
from _common import SHARED_PDFS

from bluelabel.agents.files import check_regular_file
from bluelabel.agents.pdf import extract_pdf_text
from bluelabel.agents.summarize import summarize
from devtools.samples import build_pdf, sample_pages


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-summary-"))
    if len(sys.argv) > 1:
        pdf = Path(sys.argv[1])
    elif (SHARED_PDFS / "stress_test_5mb.pdf").exists():
        pdf = SHARED_PDFS / "stress_test_5mb.pdf"
    else:
        pdf = folder / "generated.pdf"
        pdf.write_bytes(build_pdf(sample_pages(2561)))
    out = folder / "text.txt"
    extraction = extract_pdf_text(check_regular_file(pdf), out)
    assert extraction is not None
    text = out.read_text(encoding="utf-8")
    times = []
    for _ in range(5):
        started = time.perf_counter()
        result = summarize(text)
        times.append(time.perf_counter() - started)
    print(
        f"{pdf.name}: {extraction.page_count} pages, {len(text):,} characters, "
        f"{result.sentence_count:,} sentences"
    )
    print(
        f"summarize: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
        f"max {max(times):.3f} s over {len(times)} runs"
    )
    print(f"title: {result.title}; what's inside: {result.what_inside}")
    print(f"gist: {result.gist}")
    print(f"summary: {result.summary[:300]}")


if __name__ == "__main__":
    main()
