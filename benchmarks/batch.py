"""The batch-ingestion workflow on the embedded default, end to end.

Usage: python benchmarks/batch.py [--documents 200] [--corrupt 10]

Starts Airflow the way `make airflow` runs it -- SQLite metadata DB, LocalExecutor, API server
on 127.0.0.1, scheduler and DAG processor (log servers off) -- in a fresh Airflow home, fills
an inbox with generated documents (half PDFs, half .txt/.md; ``--corrupt`` of them broken
PDFs), triggers ``batch_ingestion`` through the REST API with a token, and reports wall time
and documents per minute. Then checks: every good file in processed/, exactly the corrupt ones
in quarantine/ (with reasons), the store holds each document once; a second run finds nothing;
a third run with files dropped again recognises them all as already stored.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(1, str(REPO))
from devtools.waiting import free_port  # noqa: E402

BIN = Path(sys.executable).parent


class Airflow:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        (home / "passwords.json").write_text(json.dumps({"admin": "bench"}))
        self.env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__API_AUTH__JWT_SECRET": "bluelabel-bench",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__BLUELABEL__STORE": str(home / "store"),
            "AIRFLOW__BLUELABEL__INBOX": str(home / "inbox"),
            "AIRFLOW__BLUELABEL__ALLOWED_ROOTS": str(home / "batch-inbox"),
            "AIRFLOW__BLUELABEL__WORKFLOW_CACHE": str(home / "workflow-cache"),
        }
        self.processes: list[subprocess.Popen[bytes]] = []
        self.token = ""

    def start(self) -> None:
        subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"], env=self.env, check=True, capture_output=True
        )
        for name, args in (
            ("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(self.port)]),
            ("scheduler", ["scheduler", "--skip-serve-logs"]),
            ("dag-processor", ["dag-processor"]),
        ):
            log = (self.home / f"{name}.log").open("w")
            self.processes.append(
                subprocess.Popen(
                    [str(BIN / "airflow"), *args],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        self.wait(lambda: urllib.request.urlopen(f"{self.base}/api/v2/version", timeout=2), 180)
        request = urllib.request.Request(
            f"{self.base}/auth/token",
            method="POST",
            data=json.dumps({"username": "admin", "password": "bench"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        self.token = json.loads(urllib.request.urlopen(request).read())["access_token"]
        self.wait(lambda: self.api("GET", "/api/v2/dags/batch_ingestion"), 180)
        self.api("PATCH", "/api/v2/dags/batch_ingestion", {"is_paused": False})

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()

    @staticmethod
    def wait(probe: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                probe()
                return
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.base}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def run(self, conf: dict[str, Any]) -> tuple[dict[str, Any], float]:
        started = time.perf_counter()
        run = self.api(
            "POST", "/api/v2/dags/batch_ingestion/dagRuns", {"logical_date": None, "conf": conf}
        )
        while True:
            run = self.api("GET", f"/api/v2/dags/batch_ingestion/dagRuns/{run['dag_run_id']}")
            if run["state"] in ("success", "failed"):
                return run, time.perf_counter() - started
            time.sleep(1)

    def mapped_states(self, run_id: str) -> dict[str, int]:
        tis: list[dict[str, Any]] = []
        while True:  # the API pages by 100 at most
            page = self.api(
                "GET",
                f"/api/v2/dags/batch_ingestion/dagRuns/{run_id}/taskInstances"
                f"?task_id=ingest&limit=100&offset={len(tis)}",
            )["task_instances"]
            tis += page
            if len(page) < 100:
                break
        counts: dict[str, int] = {}
        for ti in tis:
            counts[str(ti["state"])] = counts.get(str(ti["state"]), 0) + 1
        return counts


def stored_documents(home: Path) -> int:
    """Documents in the store's catalog (SQLite beside the store)."""
    import sqlite3

    with sqlite3.connect(home / "store" / "catalog.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM bluelabel_documents").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=200, help="files in the batch")
    parser.add_argument("--corrupt", type=int, default=10, help="of which broken PDFs")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))  # devtools/ sits at the repository root
    from devtools.samples import fill_inbox

    home = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    # Not the configured inbox, which the hourly schedule's own run (made on unpausing) reads:
    # the measured run is the triggered one.
    inbox = home / "batch-inbox"
    (home / "inbox").mkdir()
    good, broken = fill_inbox(
        inbox, args.documents - args.corrupt, corrupt=args.corrupt, batch=str(time.time())
    )
    airflow = Airflow(home)
    print(f"Airflow home {home}; starting api-server, scheduler, dag-processor ...", flush=True)
    airflow.start()
    try:
        conf = {"inbox": str(inbox), "settle_seconds": 0, "max_files": 1000}
        run, seconds = airflow.run(conf)
        if not (inbox / "processed").exists():
            raise SystemExit(f"run 1 {run['state']}: nothing processed; see {home}/logs")
        states = airflow.mapped_states(run["dag_run_id"])
        processed = sorted(p.name for p in (inbox / "processed").iterdir())
        quarantine = sorted(
            p.name for p in (inbox / "quarantine").iterdir() if not p.name.endswith(".reason.txt")
        )
        stored = stored_documents(home)
        print(
            f"run 1: {run['state']} in {seconds:.1f} s for {args.documents} files "
            f"-> {args.documents / seconds * 60:.0f} documents/minute; mapped task states "
            f"{states}"
        )
        print(
            f"  processed/ {len(processed)} (expected {len(good)}); quarantine/ "
            f"{len(quarantine)} files, exactly the corrupt ones: {quarantine == sorted(broken)}; "
            f"store documents {stored}"
        )
        run2, seconds2 = airflow.run(conf)
        print(
            f"run 2 (nothing new): {run2['state']} in {seconds2:.1f} s, mapped "
            f"{airflow.mapped_states(run2['dag_run_id'])}, store documents "
            f"{stored_documents(home)}"
        )
        for name in processed[:20]:
            shutil.copy(inbox / "processed" / name, inbox / f"again-{name}")
        run3, seconds3 = airflow.run(conf)
        print(
            f"run 3 (20 files dropped again): {run3['state']} in {seconds3:.1f} s, mapped "
            f"{airflow.mapped_states(run3['dag_run_id'])}, store documents "
            f"{stored_documents(home)}"
        )
    finally:
        airflow.stop()


if __name__ == "__main__":
    main()
