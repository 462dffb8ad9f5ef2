"""The knowledge store's catalog on PostgreSQL (or SQLite) at scale: load N synthetic documents of
realistic length, then time the search every reader uses (bluelabel.store.search).

Usage:
    python benchmarks/catalog_scale.py [--documents 1000000] [--queries 200] [--clients 20]
        [--url postgresql+psycopg2://postgres@127.0.0.1:5432/bluelabel_catalog_bench]
        [--keep]  (reuse the loaded rows when the count matches)

``--url sqlite:////path/catalog.sqlite3``: the embedded catalog (issue 22's 100,000-document
target), loaded through the catalog's own upsert.

Loading (PostgreSQL): the rows go in with COPY into an unlogged staging table, then one
INSERT ... SELECT per batch computes each row's tsvector as an ingest does (same weights:
title and source A, summary B, body D); the GIN index is built once at the end, then the
tables are vacuumed and analysed (as autovacuum would, given time). Documents
are 600 to 6,000 characters of English (sentences drawn from a vocabulary with a Zipf-like
spread), 40 sources, 50 tags (each document 0 to 3), ingested over two years.

Measured (in-process, one connection per client thread, as an API-server worker's pool):
words (2 common-ish words, a rare word, a prefix), search p50/p95 with 1 and N clients; the
newest-10 digest query; a tag filter; a source filter; a type + words query.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from bluelabel.store.catalog import Catalog
from bluelabel.store.search import search
from bluelabel.store.search_text import opening

_VOCABULARY = (
    "airflow schedule task worker queue digest report summary document archive glacier "
    "harbour orchard violin tide survey budget invoice contract policy meeting minutes "
    "engineer release incident postmortem latency throughput database index catalog search "
    "customer market revenue quarter forecast design review proposal migration storage "
    "network security audit compliance training onboarding roadmap milestone deadline risk "
    "supplier logistics inventory warehouse shipment container crane vessel port weather "
    "research experiment sample analysis result method figure table appendix reference "
    "patient clinic trial dosage protocol consent outcome cohort statistic variance"
)
WORDS = _VOCABULARY.split()
RARE = [f"zx{n:05d}" for n in range(20000)]  # words a few documents each hold
TYPES = ["pdf"] * 5 + ["text"] * 3 + ["html"] * 2 + ["email", "docx"]
TAGS = [f"tag{n:02d}" for n in range(50)]
SOURCES = [f"/data/inbox/team-{n:02d}" for n in range(40)]
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def sentence(rng: random.Random) -> str:
    n = rng.randint(8, 20)
    words = [WORDS[min(int(rng.paretovariate(1.2)) - 1, len(WORDS) - 1)] for _ in range(n)]
    if rng.random() < 0.05:
        words[rng.randrange(n)] = rng.choice(RARE)
    return " ".join(words).capitalize() + "."


def body(rng: random.Random) -> str:
    """600 to 6,000 characters of sentences."""
    target = int(rng.uniform(600, 6000))
    parts: list[str] = []
    size = 0
    while size < target:
        parts.append(sentence(rng))
        size += len(parts[-1]) + 1
    return " ".join(parts)


def document(n: int, rng: random.Random) -> tuple[str, ...]:
    body_ = body(rng)
    title = " ".join(rng.sample(WORDS, 3)).title()
    kind = rng.choice(TYPES)
    source = f"{rng.choice(SOURCES)}/{n:08d}.{kind}"
    tags = rng.sample(TAGS, rng.randint(0, 3))
    at = (START + timedelta(seconds=n * 63072000 / max(ARGS.documents, 1))).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )
    content_id = f"{n:032x}"
    summary = opening(body_)  # as an ingest makes it (cut at a sentence or a word)
    record = {
        "content_id": content_id,
        "content_type": kind,
        "source": source,
        "title": title,
        "content_length": len(body_),
        "ingested_at": at,
        "tags": tags,
        "page_count": rng.randint(1, 40) if kind == "pdf" else None,
    }
    return (
        content_id,
        title,
        kind,
        source,
        json.dumps(tags),
        at,
        "\\N" if record["page_count"] is None else str(record["page_count"]),
        str(len(body_)),
        summary,
        json.dumps(record),
        body_,
    )


def _copy_field(value: str) -> str:
    if value == "\\N":
        return value
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def load(catalog: Catalog, count: int, batch: int) -> None:
    from sqlalchemy import text

    rng = random.Random(22)
    raw = catalog.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("TRUNCATE bluelabel_documents, bluelabel_tags, bluelabel_provenance")
        cur.execute("DROP INDEX IF EXISTS bluelabel_documents_search")
        cur.execute(
            "CREATE UNLOGGED TABLE IF NOT EXISTS bench_staging (content_id text, title text, "
            "content_type text, source text, tags text, ingested_at text, pages int, "
            "length bigint, summary text, record text, body text)"
        )
        raw.commit()
        started = time.perf_counter()
        for first in range(0, count, batch):
            rows = [document(n, rng) for n in range(first, min(first + batch, count))]
            buffer = io.StringIO(
                "".join("\t".join(_copy_field(v) for v in row) + "\n" for row in rows)
            )
            cur.execute("TRUNCATE bench_staging")
            cur.copy_expert("COPY bench_staging FROM STDIN", buffer)
            cur.execute(
                "INSERT INTO bluelabel_documents (content_id, title, content_type, source, tags, "
                "ingested_at, pages, length, summary, record, body, search) SELECT content_id, "
                "title, content_type, source, tags, ingested_at, pages, length, summary, record, "
                "body, setweight(to_tsvector('english', coalesce(title, '') || ' ' || source), "
                "'A') || setweight(to_tsvector('english', summary), 'B') || "
                "setweight(to_tsvector('english', body), 'D') FROM bench_staging"
            )
            cur.execute(
                "INSERT INTO bluelabel_tags (tag, content_id) SELECT json_array_elements_text("
                "tags::json), content_id FROM bench_staging"
            )
            raw.commit()
            done = first + len(rows)
            rate = done / (time.perf_counter() - started)
            print(f"  loaded {done:,} ({rate:,.0f} documents/s)", flush=True)
        print("  building the GIN index ...", flush=True)
        t = time.perf_counter()
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute(
            "CREATE INDEX bluelabel_documents_search ON bluelabel_documents USING gin (search)"
        )
        cur.execute("DROP TABLE bench_staging")
        raw.commit()
        # As autovacuum leaves a table that has been written to (statistics, visibility map);
        # a test server may run without it.
        raw.driver_connection.autocommit = True
        cur.execute("VACUUM (ANALYZE)")
        print(f"  GIN index in {time.perf_counter() - t:.0f} s", flush=True)
    finally:
        raw.close()
    with catalog.reading() as conn:
        size = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
        print(f"  database size {size.scalar_one()}")


def load_sqlite(catalog: Catalog, count: int, batch: int) -> None:
    """The embedded catalog, through the same upsert an ingest makes (FTS5 rows included)."""
    from sqlalchemy import text

    from bluelabel.store.records import DocumentRecord

    with catalog.writing() as conn:
        for table in ("bluelabel_documents_fts", "bluelabel_tags", "bluelabel_documents"):
            conn.execute(text(f"DELETE FROM {table}"))
    rng = random.Random(22)
    started = time.perf_counter()
    for first in range(0, count, batch):
        rows = [document(n, rng) for n in range(first, min(first + batch, count))]
        catalog.add_many(
            (DocumentRecord.from_dict(json.loads(row[9])), row[10], row[8]) for row in rows
        )
        done = first + len(rows)
        print(f"  loaded {done:,} ({done / (time.perf_counter() - started):,.0f} documents/s)")


def timed(call: object, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        call()  # type: ignore[operator]
        out.append((time.perf_counter() - t) * 1000)
    return out


def figures(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  (n={len(ms)})"


def main() -> None:
    catalog = Catalog(ARGS.url)
    have = catalog.count()
    if not (ARGS.keep and have == ARGS.documents):
        print(f"loading {ARGS.documents:,} documents into {catalog.engine.url!r}")
        t = time.perf_counter()
        if catalog.dialect == "postgresql":
            load(catalog, ARGS.documents, ARGS.batch)
        else:
            load_sqlite(catalog, ARGS.documents, ARGS.batch)
        print(f"loaded in {time.perf_counter() - t:.0f} s")
    else:
        print(f"reusing the {have:,} loaded documents")
    rng = random.Random(7)
    queries = [" ".join(rng.sample(WORDS[10:60], 2)) for _ in range(ARGS.queries // 2)] + [
        rng.choice(RARE) for _ in range(ARGS.queries // 4)
    ]
    queries += [rng.choice(WORDS[20:80])[:4] for _ in range(ARGS.queries - len(queries))]
    rng.shuffle(queries)
    for q in queries[:5]:
        search(catalog, q=q, limit=25)  # warm the pool and the caches
    print(f"\nsearch of {ARGS.queries} queries (2 words / a rare word / a prefix), 1 client:")
    it = iter(queries * 2)
    print(
        "  words     ", figures(timed(lambda: search(catalog, q=next(it), limit=25), ARGS.queries))
    )
    results: list[float] = []
    lock = threading.Lock()

    def client(mine: list[str]) -> None:
        local = timed(lambda: search(catalog, q=mine.pop(), limit=25), len(mine))
        with lock:
            results.extend(local)

    per = max(1, ARGS.queries // ARGS.clients)
    threads = [
        threading.Thread(target=client, args=(list(rng.sample(queries, per)),))
        for _ in range(ARGS.clients)
    ]
    t = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t
    print(
        f"  {ARGS.clients} clients",
        figures(results),
        f" {len(results) / wall:.0f} searches/s",
    )
    n = ARGS.queries
    print("newest 10 (digest)", figures(timed(lambda: search(catalog, limit=10, count=False), n)))
    tag = iter(rng.choice(TAGS) for _ in range(n))
    print(
        "tag filter, newest 25",
        figures(timed(lambda: search(catalog, tags=[next(tag)], limit=25, count=False), n)),
    )
    src = iter(f"team-{rng.randrange(40):02d}" for _ in range(n))
    print(
        "source filter, newest 25",
        figures(timed(lambda: search(catalog, source=next(src), limit=25, count=False), n)),
    )
    print(
        "tag filter with total (API list)",
        figures(timed(lambda: search(catalog, tags=[rng.choice(TAGS)], limit=25), n // 4)),
    )
    print(
        "type + words",
        figures(timed(lambda: search(catalog, q=rng.choice(queries), content_type="html"), n // 2)),
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument(
        "--url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/bluelabel_catalog_bench"
    )
    parser.add_argument("--keep", action="store_true", help="reuse rows when the count matches")
    ARGS = parser.parse_args()
    main()
