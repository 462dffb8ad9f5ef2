"""Live progress latency: 100 Server-Sent-Events clients on a real `airflow api-server`
(PostgreSQL metadata DB, LocalExecutor scheduler) while the 2,561-page PDF is ingested.

Latency is measured per event and per client, from the moment the task published the value
(``published_at``, taken just before the task state store write) to its arrival at the client:
it covers the Execution API write, the API server's poll of the DB and the fan-out. Also the
API server's CPU (its whole process tree) over the measured window.

Usage: python benchmarks/progress.py [--clients 100] [--runs 4] [--pdf PATH] [--push]
[--pdf-backend pypdf]
Creates (and drops first) the database ``bluelabel_ui_progress`` on postgres@127.0.0.1:5432.
``--push``: the knowledge store's catalog on PostgreSQL too (``bluelabel_ui_progress_catalog``,
through ``[bluelabel] catalog_conn_id``), so tasks push their progress (NOTIFY) and the API
server listens instead of polling the task state store.
The PDF is read from ../shared/bench/original-pdfs/ (never copied into the project).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import SHARED_PDFS, free_port, tree_sum, wait_for_api

DB = "bluelabel_ui_progress"
CATALOG_DB = "bluelabel_ui_progress_catalog"
HOME = Path(tempfile.mkdtemp(prefix="bench-progress-airflow-"))
DAGS = HOME / "dags"
ENV = {
    **os.environ,
    "AIRFLOW_HOME": str(HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{DB}",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(HOME / "passwords.json"),
    "AIRFLOW__API_AUTH__JWT_SECRET": "bench-progress-secret-bench-progress-secret",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
    "AIRFLOW__BLUELABEL__ALLOWED_ROOTS": "",
}

DAG_FILE = """
from datetime import datetime
from pathlib import Path
import pendulum
from airflow.sdk import DAG
from bluelabel.operators import IngestOperator

with DAG("progress_bench", schedule=None, start_date=pendulum.datetime(2025, 1, 1),
         max_active_runs=1, default_args={{"retries": 0}}):
    # A store per run: content addressing would skip the second extraction of the same PDF.
    IngestOperator(
        task_id="ingest",
        source={pdf!r},
        store={store!r} + "/{{{{ run_id | replace(':', '') }}}}",
    )
"""


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql],
        check=True,
        capture_output=True,
    )


async def listen(
    url: str,
    token: str,
    latencies: list[float],
    counts: list[int],
    split: list[tuple[float, float]],
) -> None:
    """One SSE client on a bare asyncio connection: 100 of them in one Python process must
    cost the client little, or its own delay would be measured as the server's."""
    parsed = urllib.parse.urlsplit(url)
    reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
    writer.write(
        f"GET {parsed.path}?{parsed.query} HTTP/1.1\r\nHost: {parsed.netloc}\r\n"
        f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise SystemExit(f"a progress stream was refused: {status.decode().strip()}")
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            if not line.startswith(b"data: "):
                continue  # headers, chunk sizes, comments, blank lines
            arrived = time.time()
            event = json.loads(line[6:])
            if event.get("published_at"):
                latencies.append((arrived - event["published_at"]) * 1000)
                counts[0] += 1
                if event.get("updated_at"):  # the DB row's time: written by the API server
                    stored = datetime.fromisoformat(event["updated_at"]).timestamp()
                    split.append((stored - event["published_at"], arrived - stored))
    finally:
        writer.close()


def request(
    base: str, path: str, token: str | None, body: dict[str, Any] | None = None, method: str = "GET"
) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")


def tree_cpu(pid: int) -> float:
    return tree_sum(pid, lambda p: p.cpu_times().user + p.cpu_times().system)


async def bench(base: str, token: str, clients: int, runs: int, server_pid: int) -> None:
    latencies: list[float] = []
    counts = [0]
    split: list[tuple[float, float]] = []
    listeners = [
        asyncio.create_task(
            listen(
                f"{base}/bluelabel/api/progress?dag_id=progress_bench",
                token,
                latencies,
                counts,
                split,
            )
        )
        for _ in range(clients)
    ]
    await asyncio.sleep(3)  # all connected
    cpu0, wall0 = tree_cpu(server_pid), time.monotonic()
    for n in range(runs):
        run = await asyncio.to_thread(
            request,
            base,
            "/api/v2/dags/progress_bench/dagRuns",
            token,
            {"logical_date": None, "conf": {}},
            "POST",
        )
        run_path = f"/api/v2/dags/progress_bench/dagRuns/{urllib.parse.quote(run['dag_run_id'])}"
        while True:
            state = (await asyncio.to_thread(request, base, run_path, token))["state"]
            if state in ("success", "failed"):
                break
            await asyncio.sleep(0.5)
        print(f"run {n + 1}: {state}, {counts[0]} events received so far")
    await asyncio.sleep(1)
    cpu1, wall1 = tree_cpu(server_pid), time.monotonic()
    for task in listeners:
        task.cancel()
    latencies.sort()

    def q(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    print(
        f"{clients} SSE clients, {runs} ingests of the 2,561-page PDF: "
        f"{len(latencies)} deliveries ({len(latencies) // max(clients, 1)} events each)"
    )
    if latencies:
        print(
            f"publish -> client latency: p50 {q(50):.1f} ms, p95 {q(95):.1f} ms, "
            f"p99 {q(99):.1f} ms, max {latencies[-1]:.1f} ms"
        )
    if split:
        writes = sorted(w * 1000 for w, _ in split)
        fanout = sorted(f * 1000 for _, f in split)
        print(
            f"  of which publish -> stored in the DB (Execution API write): p50 "
            f"{writes[len(writes) // 2]:.1f} ms, p95 {writes[int(len(writes) * 0.95)]:.1f} ms; "
            f"stored -> client (poll + fan-out): p50 {fanout[len(fanout) // 2]:.1f} ms, "
            f"p95 {fanout[int(len(fanout) * 0.95)]:.1f} ms"
        )
    print(
        f"API server CPU over the window: {cpu1 - cpu0:.1f} s in {wall1 - wall0:.1f} s "
        f"({100 * (cpu1 - cpu0) / (wall1 - wall0):.0f} % of one core; includes serving the "
        "run triggers and state polls)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--pdf", type=Path, default=SHARED_PDFS / "large_test_document.pdf")
    parser.add_argument("--push", action="store_true", help="the catalog on PostgreSQL: pushed")
    parser.add_argument(
        "--pdf-backend",
        default="pdfium",
        help="pypdf: a slower extraction, so more progress values per run",
    )
    args = parser.parse_args()
    if not args.pdf.is_file():
        sys.exit(f"{args.pdf}: not found (the original's stress PDF, in ../shared/bench)")
    pdf = args.pdf.resolve()
    # the PDF, and the stores the DAG names per run (a templated store is a location a run names)
    ENV["AIRFLOW__BLUELABEL__ALLOWED_ROOTS"] = f"{pdf.parent}:{HOME / 'stores'}"
    # every client is the one admin: let it hold them all (the default is 20 per user)
    ENV["AIRFLOW__BLUELABEL__PROGRESS_STREAMS_PER_USER"] = str(args.clients)
    ENV["AIRFLOW__BLUELABEL__PDF_BACKEND"] = args.pdf_backend
    airflow = str(Path(sys.executable).parent / "airflow")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        psql(f"CREATE DATABASE {DB}")
        psql(f"DROP DATABASE IF EXISTS {CATALOG_DB} WITH (FORCE)")
        if args.push:
            psql(f"CREATE DATABASE {CATALOG_DB}")
            ENV["AIRFLOW_CONN_BLUELABEL_CATALOG"] = (
                f"postgresql://postgres@127.0.0.1:5432/{CATALOG_DB}"
            )
            ENV["AIRFLOW__BLUELABEL__CATALOG_CONN_ID"] = "bluelabel_catalog"
        print("progress:", "pushed (catalog on PostgreSQL)" if args.push else "polled")
        DAGS.mkdir(parents=True)
        (DAGS / "progress_bench.py").write_text(
            DAG_FILE.format(pdf=str(pdf), store=str(HOME / "stores"))
        )
        subprocess.run([airflow, "db", "migrate"], env=ENV, check=True, capture_output=True)
        (HOME / "passwords.json").write_text(json.dumps({"admin": "bench"}))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # Task processes reach the Execution API of this server (not the default :8080).
        ENV["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = f"{base}/execution/"
        log = (HOME / "processes.log").open("wb")
        server = subprocess.Popen(
            [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port)],
            env=ENV,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(server)
        for component in (["scheduler", "--skip-serve-logs"], ["dag-processor"]):
            processes.append(
                subprocess.Popen(
                    [airflow, *component], env=ENV, stdout=log, stderr=subprocess.STDOUT
                )
            )
        wait_for_api(base)
        token = request(
            base, "/auth/token", None, {"username": "admin", "password": "bench"}, "POST"
        )["access_token"]
        for _ in range(120):  # the DAG processor parses the DAG file
            try:
                request(base, "/api/v2/dags/progress_bench", token, {"is_paused": False}, "PATCH")
                break
            except urllib.error.HTTPError:
                time.sleep(1)
        asyncio.run(bench(base, token, args.clients, args.runs, server.pid))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        psql(f"DROP DATABASE IF EXISTS {CATALOG_DB} WITH (FORCE)")
        if os.environ.get("BENCH_KEEP_HOME"):
            print(f"kept {HOME}")
        else:
            shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
