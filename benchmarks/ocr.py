"""OCR figures: a 20-page scanned PDF made from a text PDF (pages rendered to grey images at
150 dpi and put back as the pages), ingested in a fresh process; the share of the original's
words recovered, pages per second and peak memory (the task process and its worker).

Also, when pytesseract is installed (``pip install pytesseract``), the same pages through a
tesseract process per page, for the binding comparison in docs/how-to/ocr.md.

    python benchmarks/ocr.py [--pages 20] [--dpi 200]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import run_snippet
from devtools.samples import build_scanned_pdf, sample_pages, words_recovered

INGEST = """
import sys, time
from pathlib import Path
from bluelabel.agents import AgentContext, AgentInput, get_agent
from bluelabel.config import parse_settings
from bluelabel.store import KnowledgeStore
pdf, store, dpi = sys.argv[1], sys.argv[2], sys.argv[3]
settings = parse_settings({"ocr_dpi": dpi}, Path(store))
context = AgentContext(store=KnowledgeStore(store), settings=settings)
started = time.perf_counter()
result = get_agent("ingestion").run(AgentInput(content={"file_path": pdf}), context).to_xcom()
_elapsed = time.perf_counter() - started
_extra = {"content_id": result["content_id"], "ocr_pages": len(result["metadata"]["ocr_pages"])}
"""


def pytesseract_seconds(pdf: bytes, pages: int, dpi: int) -> float | None:
    try:
        import pypdfium2 as pdfium
        import pytesseract
    except ImportError:
        return None
    document = pdfium.PdfDocument(pdf)
    started = time.perf_counter()
    for index in range(pages):
        image = document[index].render(scale=dpi / 72, grayscale=True).to_pil()
        pytesseract.image_to_string(image, lang="eng")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--dpi", type=int, default=200)
    args = parser.parse_args()
    texts = sample_pages(args.pages)
    for number, _ in enumerate(texts):  # every page distinct, as in a real document
        texts[number] = f"Section {number + 1} of the scanned report. " + texts[number]
    pdf = build_scanned_pdf(texts)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scanned.pdf"
        path.write_bytes(pdf)
        store = Path(folder) / "store"
        figures = run_snippet(INGEST, str(path), str(store), str(args.dpi))
        from bluelabel.store import KnowledgeStore

        text = KnowledgeStore(store).read_text(str(figures["content_id"]))
    share = words_recovered("\n".join(texts), text)
    seconds = figures["seconds"]
    print(f"scanned PDF: {args.pages} pages, {len(pdf) / 1e6:.1f} MB, OCR at {args.dpi} dpi")
    print(f"pages OCR'd:        {figures['ocr_pages']}")
    print(f"words recovered:    {share:.1%}")
    print(f"ingest time:        {seconds:.2f} s  ({args.pages / seconds:.2f} pages/s)")
    print(
        f"peak RSS:           {figures['rss_mb']:.0f} MB task process, "
        f"{figures['children_rss_mb']:.0f} MB extraction worker"
    )
    other = pytesseract_seconds(pdf, min(args.pages, 5), args.dpi)
    if other is not None:
        per_page = other / min(args.pages, 5)
        print(f"pytesseract:        {per_page:.2f} s a page (a tesseract process per page)")
    print(json.dumps({"pages": args.pages, "recall": share, "seconds": seconds, **figures}))


if __name__ == "__main__":
    main()
