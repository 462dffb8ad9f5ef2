"""Ingestion throughput and memory: Bluelabel ingest vs the raw backend vs pdftotext.

Usage: python benchmarks/ingest.py [--runs 3] [PDF ...]
Defaults: the original's PDFs in ../shared/bench/original-pdfs/ (skipped when absent) and
generated PDFs of 100 and 2,561 pages. Each measurement is a fresh process; medians of the
runs are printed, runs of the different tools interleaved.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import SHARED_PDFS, median_of, run_snippet

# Every snippet imports its libraries before the clock starts (pypdfium2's import, ~0.17 s,
# is paid once per process), so the figures compare the work itself.
INGEST = """
import sys, time, tempfile
import pypdfium2
from bluelabel.agents import AgentContext, AgentInput, get_agent
from bluelabel.store import KnowledgeStore
agent = get_agent("ingestion_agent")
store = KnowledgeStore(tempfile.mkdtemp(prefix="bench-store-"))
_t = time.perf_counter()
result = agent.run(AgentInput(task_type="pdf", content={"file_path": sys.argv[1]}),
                   AgentContext(store=store))
_elapsed = time.perf_counter() - _t
_extra = {"pages": result.page_count, "chars": result.content_length}
"""

EXTRACT = """
import sys, time, tempfile, os
import pypdfium2
from bluelabel.agents.files import check_regular_file
from bluelabel.agents.pdf import extract_pdf_text
from pathlib import Path
out = Path(tempfile.mkdtemp()) / "out.txt"
_t = time.perf_counter()
r = extract_pdf_text(check_regular_file(Path(sys.argv[1])), out, workers=2)
_elapsed = time.perf_counter() - _t
_extra = {"pages": r.page_count, "chars": r.chars}
"""

RAW_PDFIUM = """
import sys, time
import pypdfium2 as pdfium
_t = time.perf_counter()
pdf = pdfium.PdfDocument(sys.argv[1])
chars = 0
for i in range(len(pdf)):
    page = pdf[i]
    textpage = page.get_textpage()
    chars += len(textpage.get_text_range())
    textpage.close()
    page.close()
_elapsed = time.perf_counter() - _t
_extra = {"pages": len(pdf), "chars": chars}
"""

PDFTOTEXT = """
import subprocess, sys, time
_t = time.perf_counter()
subprocess.run(["pdftotext", sys.argv[1], "/dev/null"], check=True)
_elapsed = time.perf_counter() - _t
_extra = {}
"""


def generated(pages: int, folder: Path) -> Path:
    from devtools.samples import build_pdf, sample_pages

    path = folder / f"generated_{pages}p.pdf"
    path.write_bytes(build_pdf(sample_pages(pages)))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-pdfs-"))
    pdfs = args.pdfs or [
        *(sorted(SHARED_PDFS.glob("*.pdf")) if SHARED_PDFS.exists() else []),
        generated(100, folder),
        generated(2561, folder),
    ]
    tools = {"ingest": INGEST, "extract": EXTRACT, "raw-pdfium": RAW_PDFIUM}
    if shutil.which("pdftotext"):
        subprocess.run(["pdftotext", "-v"], capture_output=True)  # warm the font cache once
        tools["pdftotext"] = PDFTOTEXT
    print(
        f"{'file':34} {'pages':>5} {'MB':>6} | "
        + " | ".join(f"{t:>22}" for t in tools)
        + " | ingest/raw ingest/extract ingest/pdftotext"
    )
    for pdf in pdfs:
        runs: dict[str, list[dict[str, float]]] = {t: [] for t in tools}
        for _ in range(args.runs):  # interleaved, so drift hits every tool alike
            for name, body in tools.items():
                runs[name].append(run_snippet(body, str(pdf)))
        size_mb = pdf.stat().st_size / 1e6
        pages = int(runs["ingest"][0]["pages"])
        cells = []
        for name in tools:
            seconds = median_of(runs[name], "seconds")
            rss = max(median_of(runs[name], "rss_mb"), median_of(runs[name], "children_rss_mb"))
            cells.append(f"{seconds:7.3f}s {rss:5.0f}MB {pages / seconds:6.0f}p/s")
        ingest = median_of(runs["ingest"], "seconds")
        ratios = [
            ingest / median_of(runs["raw-pdfium"], "seconds"),
            ingest / median_of(runs["extract"], "seconds"),
        ]
        if "pdftotext" in tools:
            ratios.append(ingest / median_of(runs["pdftotext"], "seconds"))
        print(
            f"{pdf.name[:34]:34} {pages:5d} {size_mb:6.2f} | "
            + " | ".join(cells)
            + " | "
            + "  ".join(f"{r:9.2f}" for r in ratios)
        )
        ingest_mbps = size_mb / ingest
        print(
            f"{'':34} ingest: {ingest_mbps:.2f} MB/s, peak RSS self "
            f"{median_of(runs['ingest'], 'rss_mb'):.0f} MB / largest child "
            f"{median_of(runs['ingest'], 'children_rss_mb'):.0f} MB"
        )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
