"""``bluelabel store reindex`` at scale (issue 22: 1,000,000 documents in at most 15 minutes and
300 MB): a store of N documents written straight into the store's layout (records, texts and,
for half of them, one provenance note each, as an Airflow ingest leaves them), then the
catalog rebuilt from them by the command a user runs, into an empty PostgreSQL database (or
an SQLite catalog beside the store).

Usage:
    python benchmarks/reindex_scale.py [--documents 1000000] [--store DIR] [--keep]
        [--catalog postgresql|sqlite] [--db bluelabel_reindex_bench] [--runs 1] [--cold]
        [-- --jobs N]

``--store DIR --keep``: write the store once into DIR and reuse it (writing a million
documents' files takes minutes); it is written again when its count differs. The texts are
600 to 6,000 characters of ``catalog_scale.py``'s English: 4,000 generated bodies, each
document one of them plus a word of its own (what the catalog does per document depends on
the text's length and words, not on its being unique). Each run starts from an empty
catalog (the migration path). Figures: the command's wall time, documents per second, and
its peak memory: the proportional set size summed over its processes (forked workers
share their parent's pages; RSS would count those again), sampled every 0.5 s.
``--cold``: the page cache is emptied before each run (as root), so the blobs are read from
disk, as those of a store not read lately are. ``-- --jobs N``: arguments passed on to the
command.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import tree_sum
from catalog_scale import SOURCES, TAGS, TYPES, WORDS, body

BLUELABEL = Path(sys.executable).with_name("bluelabel")
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
BODIES = 4000


def write_store(root: Path, count: int) -> None:
    rng = random.Random(22)
    bodies = [body(rng) for _ in range(BODIES)]
    shutil.rmtree(root, ignore_errors=True)
    (root / "objects").mkdir(parents=True)
    made: set[str] = set()
    started = time.monotonic()
    for n in range(count):
        content_id = hashlib.sha256(f"reindex-bench-{n}".encode()).hexdigest()
        folder = root / "objects" / content_id[:2]
        if content_id[:2] not in made:
            folder.mkdir()
            made.add(content_id[:2])
        kind = rng.choice(TYPES)
        text = f"{bodies[n % BODIES]} Docmark{n:07d}."
        at = START + timedelta(seconds=n * 63072000 / count)
        record = {
            "content_id": content_id,
            "content_type": kind,
            "source": f"{rng.choice(SOURCES)}/{n:08d}.{kind}",
            "title": " ".join(rng.sample(WORDS, 3)).title(),
            "content_length": len(text),
            "ingested_at": at.isoformat(),
            "metadata": {},
            "tags": rng.sample(TAGS, rng.randint(0, 3)),
            "text_layer": True,
            "page_count": rng.randint(1, 12) if kind == "pdf" else None,
            "source_bytes": len(text) * 3,
            "warnings": [],
            "outline": [],
        }
        (folder / f"{content_id}.txt").write_text(text, encoding="utf-8")
        (folder / f"{content_id}.json").write_text(json.dumps(record), encoding="utf-8")
        if n % 2:  # ingested by an Airflow task: its provenance note
            notes = root / "provenance" / content_id[:2] / content_id
            notes.mkdir(parents=True)
            note = {
                "dag_id": f"ingest_team_{n % 40:02d}",
                "run_id": f"scheduled__{at.date().isoformat()}",
                "task_id": "ingest",
                "map_index": -1,
                "try_number": 1,
                "at": at.isoformat(),
            }
            stamp = at.strftime("%Y%m%dT%H%M%S%fZ")
            (notes / f"{stamp}-{n % 65536:04x}0000.json").write_text(json.dumps(note))
        if n and n % 100_000 == 0:
            rate = n / (time.monotonic() - started)
            print(f"  {n:,} documents written ({rate:,.0f}/s)", flush=True)
    (root / "bench-count").write_text(str(count))


def watch_memory(command: subprocess.Popen[str], peak: list[float]) -> None:
    """The summed PSS of ``command``'s process tree, every 0.5 s, its peak into ``peak[0]``."""
    while command.poll() is None:
        peak[0] = max(peak[0], tree_sum(command.pid, lambda p: p.memory_full_info().pss))
        time.sleep(0.5)


def psql(db: str, sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qc", sql],
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--keep", action="store_true", help="reuse --store when its count matches")
    parser.add_argument("--catalog", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--db", default="bluelabel_reindex_bench")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--cold", action="store_true", help="empty the page cache before each run (root)"
    )
    parser.add_argument("extra", nargs="*", help="more arguments of the command (after --)")
    args = parser.parse_args()
    root = args.store or Path(tempfile.mkdtemp(prefix="bench-reindex-")) / "store"
    counted = root / "bench-count"
    if not (args.keep and counted.exists() and counted.read_text() == str(args.documents)):
        print(f"writing a store of {args.documents:,} documents in {root}", flush=True)
        t = time.monotonic()
        write_store(root, args.documents)
        print(f"  written in {time.monotonic() - t:.0f} s", flush=True)
    home = Path(tempfile.mkdtemp(prefix="bench-reindex-home-"))
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__BLUELABEL__CATALOG_CONN_ID": ""}
    if args.catalog == "postgresql":
        env["AIRFLOW__BLUELABEL__CATALOG_CONN_ID"] = "bluelabel_reindex_bench"
        env["AIRFLOW_CONN_BLUELABEL_REINDEX_BENCH"] = (
            f"postgresql://postgres@127.0.0.1:5432/{args.db}"
        )
    try:
        for n in range(args.runs):
            if args.catalog == "postgresql":
                psql("postgres", f"DROP DATABASE IF EXISTS {args.db}")
                psql("postgres", f"CREATE DATABASE {args.db}")
            else:
                for name in ("catalog.sqlite3", "catalog.sqlite3-wal", "catalog.sqlite3-shm"):
                    (root / name).unlink(missing_ok=True)
            if args.cold:  # the blobs read from disk, as a store not read lately is
                os.sync()
                Path("/proc/sys/vm/drop_caches").write_text("3\n")
            t = time.monotonic()
            command = subprocess.Popen(
                [str(BLUELABEL), "store", "reindex", "--store", str(root), *args.extra],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            peak = [0.0]
            sampler = threading.Thread(target=watch_memory, args=(command, peak), daemon=True)
            sampler.start()
            out, err = command.communicate()
            seconds = time.monotonic() - t
            sampler.join()
            if command.returncode:
                raise SystemExit(f"reindex failed (exit {command.returncode}):\n{err[-2000:]}")
            print(
                f"run {n + 1}: {args.documents:,} documents reindexed into {args.catalog} in "
                f"{seconds:.1f} s ({args.documents / seconds:,.0f}/s), peak memory (the "
                f"process tree's PSS, sampled every 0.5 s) {peak[0] / 2**20:.0f} MB"
                f"\n  {out.strip().splitlines()[-1]}",
                flush=True,
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if args.store is None:
            shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
