"""Search through one api-server worker (issue 22): ``GET /bluelabel/api/documents?q=`` on a
real ``airflow api-server`` whose knowledge store's catalog is a PostgreSQL database already
loaded by ``catalog_scale.py`` (e.g. 1,000,000 documents), with 1 and N concurrent clients,
and the api-server's RSS sampled every 0.5 s while it serves; the CPU each search cost the
api-server and PostgreSQL.

Usage:
    python benchmarks/search_api.py [--db bluelabel_catalog_bench1m] [--clients 20]
        [--requests 400] [--rounds 3]

``catalog_scale.py`` loads its rows into the database's ``public`` schema; the api-server's
store reads the schema named after its location (``catalog_db.store_schema``), so ``public``
is renamed to that for the run and back afterwards. The metadata DB is SQLite (only the login
and the permission checks read it). The queries are ``catalog_scale.py``'s mix: two words, a
rare word, a prefix.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import REPO, api_token, free_port, tree_sum, wait_for_api
from catalog_scale import RARE, WORDS

sys.path.insert(0, str(REPO / "plugins"))
from bluelabel.store import KnowledgeStore
from bluelabel.store.catalog_db import store_schema

HOME = Path(tempfile.mkdtemp(prefix="bench-search-api-"))
STORE = HOME / "store"

LOAD_CLIENT = """
import asyncio, gc, json, sys, time
import httpx
base, token, clients, paths = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
latencies = []
async def client(c, mine):
    for path in mine:
        t = time.perf_counter()
        r = await c.get(base + path)
        latencies.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text[:200]
async def main():
    # Each client's connection is opened (and its TLS context built, 20-40 ms of this
    # process's CPU each, though the base is plain HTTP) before the clock starts: built as the
    # clients started, they stalled the event loop under the first requests in flight.
    auth = {"Authorization": f"Bearer {token}"}
    pool = [httpx.AsyncClient(headers=auth, timeout=120) for _ in range(clients)]
    await asyncio.gather(*(client(c, paths[:1]) for c in pool))
    await client(pool[0], paths[:5])  # warm the server's pool
    latencies.clear()
    gc.freeze()  # this process's own collections are not the server's latency
    t = time.perf_counter()
    await asyncio.gather(*(client(c, paths[i::clients]) for i, c in enumerate(pool)))
    return time.perf_counter() - t
wall = asyncio.run(main())
latencies.sort()
q = lambda p: latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000
print(json.dumps({"n": len(latencies), "p50": q(50), "p95": q(95), "max": latencies[-1] * 1000,
                  "rps": len(latencies) / wall}))
"""


def psql(db: str, sql: str) -> str:
    done = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAqc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def tree_rss_mb(pid: int) -> float:
    return tree_sum(pid, lambda p: p.memory_info().rss) / 1024 / 1024


def cpu_seconds(process: object) -> float:
    times = process.cpu_times()  # type: ignore[attr-defined]
    return float(times.user + times.system)


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL server process (the search's backends among them)."""
    import psutil

    total = 0.0
    for process in psutil.process_iter(["name"]):
        if process.info["name"] in ("postgres", "postmaster"):
            try:
                total += cpu_seconds(process)
            except psutil.NoSuchProcess:
                continue
    return total


def queries(count: int) -> list[str]:
    rng = random.Random(7)
    found = [" ".join(rng.sample(WORDS[10:60], 2)) for _ in range(count // 2)]
    found += [rng.choice(RARE) for _ in range(count // 4)]
    found += [rng.choice(WORDS[20:80])[:4] for _ in range(count - len(found))]
    rng.shuffle(found)
    return [
        f"/bluelabel/api/documents?{urllib.parse.urlencode({'q': q, 'limit': 25})}" for q in found
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bluelabel_catalog_bench1m")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    schema = store_schema(KnowledgeStore(STORE).root)
    count = psql(args.db, "SELECT count(*) FROM public.bluelabel_documents")
    print(f"{int(count):,} documents in {args.db}; the api-server's store reads schema {schema}")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(HOME / "passwords.json"),
        "AIRFLOW__BLUELABEL__STORE": str(STORE),
        "AIRFLOW__BLUELABEL__CATALOG_CONN_ID": "bluelabel_catalog",
        "AIRFLOW_CONN_BLUELABEL_CATALOG": f"postgresql://postgres@127.0.0.1:5432/{args.db}",
    }
    airflow = str(Path(sys.executable).parent / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    (HOME / "passwords.json").write_text(json.dumps({"admin": "bench"}))
    psql(args.db, f"ALTER SCHEMA public RENAME TO {schema}")
    server = None
    try:
        port = free_port()
        server = subprocess.Popen(
            [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        wait_for_api(base)
        token = api_token(base, "admin", "bench")
        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def sample() -> None:
            started = time.monotonic()
            while not stop.is_set():
                samples.append((time.monotonic() - started, tree_rss_mb(server.pid)))
                stop.wait(0.5)

        threading.Thread(target=sample, daemon=True).start()
        paths = queries(args.requests)
        for n in range(args.rounds):
            for clients in (1, args.clients):
                mine = paths if clients > 1 else paths[: max(100, args.requests // 4)]
                cpu_before = (tree_sum(server.pid, cpu_seconds), postgres_cpu())
                done = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        LOAD_CLIENT,
                        base,
                        token,
                        str(clients),
                        json.dumps(mine),
                    ],
                    capture_output=True,
                    text=True,
                )
                if done.returncode:
                    print(f"round {n + 1}, {clients} client(s): failed: {done.stderr[-300:]}")
                    continue
                r = json.loads(done.stdout)
                api_cpu = tree_sum(server.pid, cpu_seconds) - cpu_before[0]
                pg_cpu = postgres_cpu() - cpu_before[1]
                served = r["n"] + clients + 5  # and the warm-up's
                print(
                    f"round {n + 1}, {clients:2d} client(s), {r['n']} searches, 1 worker: "
                    f"p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, max {r['max']:.0f} ms, "
                    f"{r['rps']:.0f} searches/s; CPU per search: api-server "
                    f"{api_cpu / served * 1000:.1f} ms, "
                    f"PostgreSQL {pg_cpu / served * 1000:.1f} ms; "
                    f"api-server RSS {samples[-1][1]:.0f} MB"
                )
        stop.set()
        rss = [mb for _, mb in samples]
        third = max(1, len(rss) // 3)
        print(
            f"api-server RSS (process tree) over {samples[-1][0]:.0f} s: first third "
            f"{min(rss[:third]):.0f}-{max(rss[:third]):.0f} MB, last third "
            f"{min(rss[-third:]):.0f}-{max(rss[-third:]):.0f} MB, peak {max(rss):.0f} MB"
        )
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        psql(args.db, f"ALTER SCHEMA {schema} RENAME TO public")
        shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
