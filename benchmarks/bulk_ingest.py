"""``bluelabel ingest DIR`` in bulk: N small text and markdown files into a fresh store, as a
user runs it (one ``bluelabel`` process), with the embedded SQLite catalog and, with ``--url``,
a PostgreSQL catalog through ``[bluelabel] catalog_conn_id``.

Usage:
    python benchmarks/bulk_ingest.py [--documents 20000] [--runs 1] [--catalog sqlite,postgresql]
        [--url postgresql://postgres@127.0.0.1:5432/bluelabel_bulk_bench] [--jobs N]
        [--profile FILE]

Files are 300 to 4,000 characters of English (the sentences of ``catalog_scale.py``), half
``.txt``, half ``.md`` with a heading, spread over 20 subfolders; they are generated once per
invocation (not timed). Each run ingests into a new store (and an emptied PostgreSQL
database) so every file is new; the time is the command's wall clock, start-up included.
``--jobs N``: passed to ``bluelabel ingest`` (processes; default its own, the cores up to 4).
``--profile FILE``: the last run under cProfile (``python -m pstats FILE``).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_scale import WORDS, sentence

REPO = Path(__file__).resolve().parents[1]
BLUELABEL = Path(sys.executable).with_name("bluelabel")


def make_files(folder: Path, count: int) -> int:
    """``count`` files below ``folder``; their total size in bytes."""
    rng = random.Random(22)
    size = 0
    for n in range(count):
        target = int(rng.uniform(300, 4000))
        parts: list[str] = []
        length = 0
        while length < target:
            parts.append(sentence(rng))
            length += len(parts[-1]) + 1
        sub = folder / f"box{n % 20:02d}"
        sub.mkdir(exist_ok=True)
        if n % 2:
            title = " ".join(rng.sample(WORDS, 3)).title()
            path = sub / f"note-{n:06d}.md"
            body = f"# {title} {n}\n\n" + "\n\n".join(parts)
        else:
            path = sub / f"note-{n:06d}.txt"
            body = f"Note {n}\n" + " ".join(parts)
        path.write_text(body, encoding="utf-8")
        size += len(body)
    return size


def _reset_postgres(url: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bluelabel\\_%' "
            "AND nspname <> 'bluelabel_catalog'"
        )
        for (schema,) in cur.fetchall():
            cur.execute(f'DROP SCHEMA "{schema}" CASCADE')
    conn.close()


def run_once(
    files: Path, count: int, catalog: str, url: str, profile: str | None, jobs: int | None
) -> float:
    store = Path(tempfile.mkdtemp(prefix="bench-bulk-store-"))
    env = {**os.environ, "AIRFLOW__BLUELABEL__CATALOG_CONN_ID": ""}
    if catalog == "postgresql":
        _reset_postgres(url)
        env["AIRFLOW__BLUELABEL__CATALOG_CONN_ID"] = "bluelabel_bench_catalog"
        env["AIRFLOW_CONN_BLUELABEL_BENCH_CATALOG"] = url
    command = [str(BLUELABEL), "ingest", str(files), "--store", str(store), "--no-progress"]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    if profile:
        profiler = [sys.executable, "-m", "cProfile", "-o", profile, "-m", "bluelabel.cli"]
        command = [*profiler, *command[1:]]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    seconds = time.perf_counter() - started
    try:
        if done.returncode != 0 or f"ingested {count} of {count}" not in done.stdout:
            raise SystemExit(f"ingest failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    finally:
        shutil.rmtree(store, ignore_errors=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--catalog", default="sqlite,postgresql")
    parser.add_argument(
        "--url", default="postgresql://postgres@127.0.0.1:5432/bluelabel_bulk_bench"
    )
    parser.add_argument("--jobs", type=int, help="bluelabel ingest --jobs (default: its own)")
    parser.add_argument("--profile", help="write the last run's cProfile statistics here")
    args = parser.parse_args()
    files = Path(tempfile.mkdtemp(prefix="bench-bulk-files-"))
    try:
        size = make_files(files, args.documents)
        print(f"{args.documents:,} files, {size / args.documents:,.0f} characters on average")
        for catalog in args.catalog.split(","):
            seconds = [
                run_once(
                    files,
                    args.documents,
                    catalog,
                    args.url,
                    args.profile if run == args.runs - 1 else None,
                    args.jobs,
                )
                for run in range(args.runs)
            ]
            best = statistics.median(seconds)
            print(
                f"  {catalog:<10} {best:7.1f} s  {args.documents / best:7.0f} documents/s "
                f"(median of {len(seconds)}; {', '.join(f'{s:.1f}' for s in seconds)} s)",
                flush=True,
            )
    finally:
        shutil.rmtree(files, ignore_errors=True)


if __name__ == "__main__":
    main()
