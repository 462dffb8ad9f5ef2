"""``make demo``: build a sample PDF, ingest it, and print where its digest is.

Everything goes under ``./demo-output/`` in the current folder (the store and the PDF).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bluelabel.agents import AgentContext, AgentInput, get_agent
from bluelabel.samples import build_pdf, sample_pages
from bluelabel.store import KnowledgeStore


def main(base: Path = Path("demo-output")) -> int:
    base.mkdir(parents=True, exist_ok=True)
    pdf = base / "airflow-notes.pdf"
    pdf.write_bytes(
        build_pdf(
            sample_pages(12),
            metadata={"Title": "Notes on Airflow and Bluelabel", "Author": "Bluelabel demo"},
        )
    )
    store = KnowledgeStore(base / "store")
    context = AgentContext(store=store)
    ingested = get_agent("ingestion_agent").run(
        AgentInput(task_type="pdf", source="demo", content={"file_path": str(pdf)}), context
    )
    print(
        f"ingested {pdf} -> {ingested['content_id']} ({ingested['page_count']} pages, "
        f"{ingested['content_length']:,} characters)"
    )
    digest = get_agent("digest_agent").run(
        AgentInput(source="demo", config={"format": "markdown"}),
        AgentContext(store=store, upstream=[ingested]),
    )
    print(f"digest: {digest['digest_path']}\n")
    print("\n".join(digest["digest"].splitlines()[:14]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
