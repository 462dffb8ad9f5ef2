"""Document search over 10,000 stored documents, through a real `airflow api-server`:
``GET /bluelabel/api/documents`` for one client and for 20 concurrent clients (ApacheBench,
keep-alive), for words, a prefix, filters, a deep page and the plain newest-first list; plus
one query in-process (the store's SQLite catalog; benchmarks/catalog_scale.py: PostgreSQL).

Usage: python benchmarks/search.py [--documents 10000] [--requests 1000]
Everything lives in a temporary Airflow home (SQLite metadata DB: search does not use it
beyond Airflow's token check); nothing is left behind.
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
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import api_token, free_port, run_ab, wait_for_api

HOME = Path(tempfile.mkdtemp(prefix="bench-search-airflow-"))
ENV = {
    **os.environ,
    "AIRFLOW_HOME": str(HOME),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME}/airflow.db",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(HOME / "passwords.json"),
    "AIRFLOW__BLUELABEL__STORE": str(HOME / "store"),
}
TOPICS = ["harbour", "orchard", "glacier", "violin", "tides", "railway", "vaccine", "library"]
TYPES = ["pdf", "url", "text"]


def fill(documents: int) -> None:
    """``documents`` stored documents of 2-6 KB: common words, a topic each, some rare words."""
    os.environ.update(ENV)
    from bluelabel.store import DocumentRecord, KnowledgeStore

    rng = random.Random(7)
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
        for _ in range(5000)
    ]
    store = KnowledgeStore(HOME / "store")
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for n in range(documents):
        topic = TOPICS[n % len(TOPICS)]
        words = rng.choices(vocabulary[:800], k=rng.randint(300, 900)) + [topic] * 5
        words += rng.choices(vocabulary, k=20)
        rng.shuffle(words)
        text = ". ".join(" ".join(words[i : i + 12]) for i in range(0, len(words), 12)) + "."
        content_id = hashlib.sha256(f"{n}{text}".encode()).hexdigest()[:32]
        store.put(
            DocumentRecord(
                content_id=content_id,
                content_type=TYPES[n % 3],
                source=f"https://{topic}.example.org/doc/{n}",
                title=f"{topic.title()} report {n}",
                content_length=len(text),
                ingested_at=(start + timedelta(minutes=n)).isoformat(),
                tags=[topic, f"batch{n % 10}"],
            ),
            text,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="api-server worker processes")
    args = parser.parse_args()
    airflow = str(Path(sys.executable).parent / "airflow")
    try:
        started = time.perf_counter()
        fill(args.documents)
        print(f"stored {args.documents:,} documents in {time.perf_counter() - started:.0f} s")
        subprocess.run([airflow, "db", "migrate"], env=ENV, check=True, capture_output=True)

        from bluelabel.store import KnowledgeStore
        from bluelabel.store.search import search

        catalog = KnowledgeStore(HOME / "store", catalog=None).catalog
        timings = []
        for _ in range(50):
            t = time.perf_counter()
            search(catalog, q="glacier report", limit=25)
            timings.append((time.perf_counter() - t) * 1000)
        timings.sort()
        print(
            f"in-process query 'glacier report': p50 {timings[25]:.1f} ms, p95 {timings[47]:.1f} ms"
        )

        (HOME / "passwords.json").write_text(json.dumps({"admin": "bench"}))
        port = free_port()
        server = subprocess.Popen(
            [
                airflow,
                "api-server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_api(base)
            token = api_token(base, "admin", "bench")
            auth = {"Authorization": f"Bearer {token}"}
            started = time.perf_counter()
            while True:  # the API server indexes the store on its first search
                listed = json.loads(
                    urllib.request.urlopen(
                        urllib.request.Request(
                            f"{base}/bluelabel/api/documents?limit=1", headers=auth
                        ),
                        timeout=120,
                    ).read()
                )
                if listed["indexed"] >= args.documents:
                    break
                time.sleep(0.5)
            print(f"API server indexed the store in {time.perf_counter() - started:.1f} s")
            queries = {
                "two words": "q=glacier+report",
                "prefix": "q=orch",
                "words + type + tag": "q=harbour&type=pdf&tag=batch3",
                "source filter": "source=violin.example",
                "newest first, page 200": "offset=5000&limit=25",
                "newest first": "limit=25",
            }
            for clients, total in ((1, 200), (20, args.requests)):
                for name, query in queries.items():
                    r = run_ab(f"{base}/bluelabel/api/documents?{query}", token, clients, total)
                    if r is None:
                        print(f"{name}: ab failed")
                        continue
                    print(
                        f"{clients:>2} client(s), {args.workers} worker(s), {name:<24} "
                        f"p50 {r['p50']:>4.0f} ms, "
                        f"p95 {r['p95']:>4.0f} ms, p99 {r['p99']:>4.0f} ms, "
                        f"{r['rps']:>5.0f} req/s"
                    )
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    finally:
        shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
