"""The metrics API under load: 10,000 recorded task runs in PostgreSQL (127.0.0.1), their
records in the configured store's run ledger (SQLite), a real
`airflow api-server`, 50 concurrent clients in a second process; plus the report's build time.

Usage: python benchmarks/api_load.py [--task-runs 10000] [--clients 50] [--requests 1000]
       [--workers N] [--tool ab|httpx] [--floors] [--skip-dags] [--db NAME]
Creates (and drops first) the database ``bluelabel_bench`` (or ``--db``) on
postgres@127.0.0.1:5432.
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
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import api_token, free_port, run_ab, serialize_to_db, wait_for_api

DB = "bluelabel_bench"
HOME = Path(tempfile.mkdtemp(prefix="bench-api-airflow-"))
CONN = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{DB}"
ENV = {
    **os.environ,
    "AIRFLOW_HOME": str(HOME),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": CONN,
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(HOME / "passwords.json"),
    # the listener's records are kept in this store's run ledger (SQLite beside it)
    "AIRFLOW__BLUELABEL__STORE": str(HOME / "store"),
}
TASKS = ("ingest_a", "ingest_b", "digest", "publish", "notify")

LOAD_CLIENT = """
import asyncio, json, sys, time
import httpx
url, token, clients, total = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
latencies = []
async def client(n):
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        for _ in range(n):
            t = time.perf_counter()
            r = await c.get(url)
            latencies.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text[:200]
async def main():
    per = total // clients
    await client(1)  # warm: the first request fills the server's short-lived cache
    latencies.clear()
    t = time.perf_counter()
    await asyncio.gather(*(client(per) for _ in range(clients)))
    return time.perf_counter() - t
wall = asyncio.run(main())
latencies.sort()
q = lambda p: latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000
print(json.dumps({"n": len(latencies), "p50": q(50), "p95": q(95), "p99": q(99),
                  "max": latencies[-1] * 1000, "rps": len(latencies) / wall}))
"""


def use_database(name: str) -> None:
    global DB
    DB = name
    ENV["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = (
        f"postgresql+psycopg2://postgres@127.0.0.1:5432/{DB}"
    )


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql],
        check=True,
        capture_output=True,
    )


def airflow(*args: str) -> None:
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), *args],
        env=ENV,
        check=True,
        capture_output=True,
    )


def fill(task_runs: int) -> None:
    os.environ.update(ENV)
    import logging

    import pendulum
    from airflow.models.dagrun import DagRun
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType
    from sqlalchemy import select, update

    from bluelabel.store import configured_store
    from bluelabel.store.ledger import record_tries

    logging.disable(logging.INFO)
    with DAG("load_workflow", schedule=None, start_date=pendulum.datetime(2025, 1, 1)) as dag:
        previous = None
        for task_id in TASKS:
            task = PythonOperator(task_id=task_id, python_callable=lambda: None)
            if previous:
                previous >> task
            previous = task
    serialize_to_db(dag)
    random.seed(7)
    start = datetime.now(timezone.utc) - timedelta(days=3)
    with create_session() as session:
        scheduler_dag = SerializedDagModel.get_dag("load_workflow", session=session)
        for i in range(task_runs // len(TASKS)):
            when = start + timedelta(seconds=20 * i)
            scheduler_dag.create_dagrun(
                run_id=f"load_{i}",
                logical_date=when,
                data_interval=(when, when),
                run_after=when,
                run_type=DagRunType.MANUAL,
                triggered_by=DagRunTriggeredByType.TEST,
                state=DagRunState.SUCCESS,
                start_date=when,
                session=session,
            )
        session.commit()
        tis = session.execute(
            select(
                TaskInstance.id,
                TaskInstance.task_id,
                TaskInstance.run_id,
                DagRun.start_date,
            ).join(
                DagRun,
                (DagRun.dag_id == TaskInstance.dag_id) & (DagRun.run_id == TaskInstance.run_id),
            )
        ).all()
        records = []
        for ti_id, task_id, run_id, run_start in tis:
            offset = TASKS.index(task_id) * 2
            duration = random.uniform(0.05, 1.5)
            failed = random.random() < 0.02
            session.execute(
                update(TaskInstance)
                .where(TaskInstance.id == ti_id)
                .values(
                    state="failed" if failed else "success",
                    start_date=run_start + timedelta(seconds=offset),
                    end_date=run_start + timedelta(seconds=offset + duration),
                    duration=duration,
                )
            )
            if failed and random.random() < 0.5:
                continue  # "killed": no listener record
            began = run_start + timedelta(seconds=offset)
            records.append(
                {
                    "dag_id": "load_workflow",
                    "run_id": run_id,
                    "task_id": task_id,
                    "map_index": -1,
                    "try_number": 1,
                    "started_at": began.isoformat(),
                    "finished_at": (began + timedelta(seconds=duration)).isoformat(),
                    "outcome": "failed" if failed else "success",
                    "duration_ms": duration * 1000,
                    "cpu_ms": duration * 800,
                    "maxrss_start_mb": 180.0,
                    "maxrss_peak_mb": 180 + random.uniform(0, 60),
                    "maxrss_delta_mb": random.uniform(0, 5),
                    "agent_run_ms": duration * 900,
                    "pages": random.randint(1, 300),
                }
            )
        session.commit()
    record_tries(configured_store().catalog, records)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--task-runs", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="api-server worker processes")
    parser.add_argument(
        "--skip-dags", action="store_true", help="do not load Airflow's /api/v2/dags for scale"
    )
    parser.add_argument(
        "--tool",
        choices=["httpx", "ab"],
        default="ab" if shutil.which("ab") else "httpx",
        help="load generator: ab (ApacheBench, C; Debian apache2-utils) leaves the server the "
        "CPU a Python client would take; httpx is the fallback",
    )
    parser.add_argument(
        "--floors",
        action="store_true",
        help="also load /api/v2/version (no auth, no DB) and measure one client alone",
    )
    parser.add_argument("--db", default=DB, help="PostgreSQL database to create and drop")
    args = parser.parse_args()
    use_database(args.db)
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB}")
    airflow("db", "migrate")
    started = time.perf_counter()
    fill(args.task_runs)
    # What autovacuum does after a bulk load; without statistics PostgreSQL plans nested loops.
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-qc", "ANALYZE"], check=True
    )
    print(
        f"recorded {args.task_runs:,} task runs in PostgreSQL "
        f"in {time.perf_counter() - started:.0f} s"
    )

    from airflow.utils.session import create_session

    from bluelabel.metrics.db import load_tries
    from bluelabel.metrics.report import build_report
    from bluelabel.render import render_markdown

    started = time.perf_counter()
    with create_session() as session:
        tries, runs = load_tries(session)
    text = render_markdown(build_report(tries, runs, since=None, dag_ids=None))
    print(
        f"report over {len(tries):,} task runs: {time.perf_counter() - started:.2f} s "
        f"({len(text):,} characters)"
    )

    (HOME / "passwords.json").write_text(json.dumps({"admin": "bench"}))
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "airflow"),
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
        # Airflow's own authenticated DAG list, for scale: the floor of any endpoint here.
        loads = [("/bluelabel/api/metrics", args.clients)]
        if args.floors:
            # the server's floor: a route with no auth and no DB; and latency without queueing
            loads += [("/api/v2/version", args.clients), ("/bluelabel/api/metrics", 1)]
        if not args.skip_dags:
            # last: when it times out, the server is still busy with its queue for a while
            loads.append(("/api/v2/dags?limit=5", args.clients))
        for path, clients in loads:
            total = args.requests if clients > 1 else 200
            if args.tool == "ab":
                r = run_ab(base + path, token, clients, total)
                if r is None:
                    print(f"GET {path}, {clients} concurrent clients: ab failed")
                    continue
                print(
                    f"GET {path}, {clients} concurrent client(s) (ab -k), {r['n']} requests, "
                    f"{args.workers} worker(s): p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, "
                    f"p99 {r['p99']:.0f} ms, max {r['max']:.0f} ms, {r['rps']:.0f} req/s"
                )
                continue
            done = subprocess.run(
                [sys.executable, "-c", LOAD_CLIENT, base + path, token, str(clients), str(total)],
                capture_output=True,
                text=True,
            )
            if done.returncode:
                reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "?"
                print(f"GET {path}, {clients} concurrent clients: failed ({reason})")
                continue
            r = json.loads(done.stdout)
            print(
                f"GET {path}, {clients} concurrent client(s), {r['n']} requests, "
                f"{args.workers} worker(s): p50 "
                f"{r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, p99 {r['p99']:.1f} ms, "
                f"max {r['max']:.1f} ms, {r['rps']:.0f} req/s"
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
