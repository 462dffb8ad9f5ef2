"""Periodic digest build time over a store of many documents and recorded runs.

Usage: python benchmarks/periodic_digest.py [--documents 10000] [--runs 3]
Fills a fresh store with ``--documents`` documents ingested over the last 6 days and a run
ledger of one ingest record per document (plus failures), then times the periodic digest agent
(what the ``periodic_digest`` workflow's task runs) for a 7-day period:
- the default (every document counted, the newest 50 summarised), cold and warm summary cache;
- ``limit = documents`` (every document summarised and listed), cold and warm.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

# devtools/ (PDFs built in code) lives beside benchmarks/, outside the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bluelabel.agents import AgentContext, AgentInput, get_agent
from bluelabel.agents.files import content_id_of_text
from bluelabel.store import DocumentRecord, KnowledgeStore
from devtools.samples import SAMPLE_PARAGRAPHS


def fill(store: KnowledgeStore, count: int) -> None:
    now = datetime.now(timezone.utc)
    span = timedelta(days=6) / count
    for n in range(count):
        text = f"Document {n}. " + " ".join(SAMPLE_PARAGRAPHS[n % 4 :] + SAMPLE_PARAGRAPHS[: n % 4])
        at = now - timedelta(days=6) + span * n
        store.put(
            DocumentRecord(
                content_id=content_id_of_text(text),
                content_type="pdf" if n % 2 else "text",
                source=f"inbox/doc-{n}",
                title=f"Document {n}",
                content_length=len(text),
                ingested_at=at.isoformat(),
                page_count=1 + n % 4 if n % 2 else None,
            ),
            text,
        )
        store.record_try(
            {
                "dag_id": "batch_ingestion",
                "run_id": f"scheduled__{n // 200}",
                "task_id": "ingest",
                "map_index": n % 200,
                "try_number": 1,
                "agent": "ingestion_agent",
                "outcome": "failed" if n % 50 == 0 else "success",
                "duration_ms": 40.0 + n % 7,
                "started_at": at.isoformat(),
                "finished_at": (at + timedelta(milliseconds=40)).isoformat(),
            }
        )


def timed(context: AgentContext, outbox: Path, **config: object) -> tuple[float, dict]:
    started = time.perf_counter()
    result = get_agent("periodic_digest").run(
        AgentInput(config={"since": "7d", "outbox": str(outbox), **config}), context
    )
    return time.perf_counter() - started, result.to_xcom()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-periodic-"))
    store = KnowledgeStore(folder / "store")
    started = time.perf_counter()
    fill(store, args.documents)
    print(
        f"filled {args.documents:,} documents + run records in "
        f"{time.perf_counter() - started:.1f} s ({store.location})"
    )
    context = AgentContext(store=store)
    for label, config in (
        ("default (count all, summarise newest 50)", {}),
        (f"limit={args.documents} (summarise and list all)", {"limit": args.documents}),
    ):
        cold, result = timed(context, folder / "outbox", **config)
        warm = [timed(context, folder / "outbox", **config)[0] for _ in range(args.runs)]
        size = Path(result["paths"]["markdown"]).stat().st_size
        print(
            f"{label}: cold {cold:.2f} s, warm median {statistics.median(warm):.2f} s "
            f"({result['document_count']:,} documents, {result['summary_count']:,} summaries, "
            f"{len(result['workflows'])} workflow(s), markdown {size / 1e6:.1f} MB)"
        )


if __name__ == "__main__":
    main()
