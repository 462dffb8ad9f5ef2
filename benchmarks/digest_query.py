"""Digest query time over a store of many documents.

Usage: python benchmarks/digest_query.py [--documents 10000]
Fills a fresh store, then times (a) the store query for the newest 10 and (b) the whole
``bluelabel digest --limit 10`` command as a user runs it (a fresh process).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

# devtools/ (PDFs built in code) lives beside benchmarks/, outside the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bluelabel.agents.files import content_id_of_text
from bluelabel.store import DocumentRecord, KnowledgeStore
from devtools.samples import SAMPLE_PARAGRAPHS


def fill(store: KnowledgeStore, count: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for n in range(count):
        text = f"Document {n}. " + " ".join(SAMPLE_PARAGRAPHS[n % 4 :] + SAMPLE_PARAGRAPHS[: n % 4])
        content_id = content_id_of_text(text)
        store.put(
            DocumentRecord(
                content_id=content_id,
                content_type="text",
                source=f"bench://{n}",
                title=f"Document {n}",
                content_length=len(text),
                ingested_at=(start + timedelta(seconds=n)).isoformat(),
                tags=[f"t{n % 10}"],
            ),
            text,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=10_000)
    args = parser.parse_args()
    store = KnowledgeStore(Path(tempfile.mkdtemp(prefix="bench-digest-")) / "store")
    started = time.perf_counter()
    fill(store, args.documents)
    print(
        f"filled {args.documents:,} documents in {time.perf_counter() - started:.1f} s "
        f"({store.location})"
    )

    query = []
    for _ in range(20):
        started = time.perf_counter()
        found = store.query(limit=10)
        query.append(time.perf_counter() - started)
    assert len(found) == 10
    print(
        f"store.query(limit=10): median {statistics.median(query) * 1000:.1f} ms, "
        f"max {max(query) * 1000:.1f} ms (20 runs)"
    )

    tagged = []
    for _ in range(5):
        started = time.perf_counter()
        store.query(limit=10, tags=["t3"])
        tagged.append(time.perf_counter() - started)
    print(f"store.query(limit=10, tags=[t3]): median {statistics.median(tagged) * 1000:.1f} ms")

    bluelabel = str(Path(sys.executable).parent / "bluelabel")
    cli = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(
            [bluelabel, "digest", "--store", store.location, "--limit", "10"],
            check=True,
            capture_output=True,
            # the CLI reads its settings from an Airflow home; a throwaway one beside the store
            env={**os.environ, "AIRFLOW_HOME": str(Path(store.location).parent)},
        )
        cli.append(time.perf_counter() - started)
    print(
        f"bluelabel digest --limit 10 (whole command, fresh process): median "
        f"{statistics.median(cli) * 1000:.0f} ms (first run summarises, later runs hit "
        f"the summary cache: first {cli[0] * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main()
