"""Helpers shared by the benchmarks: run a snippet in a fresh process, read its figures."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_PDFS = REPO.parent / "shared" / "bench" / "original-pdfs"
if str(REPO) not in sys.path:  # devtools/ (sample builders, the measuring runner)
    sys.path.insert(1, str(REPO))

from devtools.waiting import free_port as free_port  # noqa: E402  (the one; re-exported)

# Appended to every measured snippet: wall time and peak RSS of the process and its children.
_FOOTER = """
import json as _json, resource as _resource, sys as _sys
# VmHWM, not ru_maxrss: ru_maxrss survives exec, so a child of a big parent would report the
# parent's size. Forked workers share their parent's pages; their ru_maxrss counts them again.
_self = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0] / 1024
_kids = _resource.getrusage(_resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(_json.dumps({"seconds": _elapsed, "rss_mb": _self, "children_rss_mb": _kids, **_extra}))
"""


def run_snippet(body: str, *args: str) -> dict[str, float]:
    """Run ``body`` (which sets ``_elapsed`` and ``_extra``) in a fresh interpreter."""
    code = body + _FOOTER
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=REPO,  # snippets import devtools/ from the repository root
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark snippet failed (exit {done.returncode}):\n{done.stderr}")
    out = done.stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def median_of(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def serialize_to_db(*dags: object) -> None:
    """Write DAGs built in this process to the metadata DB, as the DAG processor would
    (``dag.test()`` needs them there)."""
    import os

    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(dag_folder=os.devnull, collect_dags=False)
    for dag in dags:
        bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)


def run_ab(url: str, token: str, clients: int, total: int) -> dict[str, float] | None:
    """ApacheBench (C, keep-alive): a load generator that leaves the server more of the CPU
    than the Python client. Its percentiles are whole milliseconds."""
    if shutil.which("ab") is None:
        raise SystemExit("benchmarks need ApacheBench: apt-get install apache2-utils")
    done = subprocess.run(
        [
            "ab",
            "-q",
            "-k",
            "-c",
            str(clients),
            "-n",
            str(total),
            "-s",
            "60",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        return None
    result: dict[str, float] = {"n": float(total)}
    for line in done.stdout.splitlines():
        parts = line.split()
        if line.startswith("Requests per second:"):
            result["rps"] = float(parts[3])
        elif line.startswith("Non-2xx responses:"):
            return None
        elif len(parts) >= 2 and parts[0].endswith("%") and parts[1].isdigit():
            result[{"50%": "p50", "95%": "p95", "99%": "p99", "100%": "max"}.get(parts[0], "")] = (
                float(parts[1])
            )
    return result


def wait_for_api(base: str, seconds: int = 180) -> None:
    """Until the API server at ``base`` answers (Airflow's unauthenticated version call)."""
    import time
    import urllib.request

    for _ in range(seconds):
        try:
            urllib.request.urlopen(f"{base}/api/v2/version", timeout=2)
            return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"the API server at {base} did not answer in {seconds} s")


def api_token(base: str, username: str, password: str) -> str:
    """A JWT from the API server's ``/auth/token`` (SimpleAuthManager's password login)."""
    import urllib.request

    request = urllib.request.Request(
        f"{base}/auth/token",
        method="POST",
        headers={"Content-Type": "application/json"},
        data=json.dumps({"username": username, "password": password}).encode(),
    )
    token: str = json.loads(urllib.request.urlopen(request).read())["access_token"]
    return token


def tree_sum(pid: int, measure: Any) -> float:
    """``measure(process)`` summed over ``pid`` and every descendant (those that exit on the
    way count for nothing): a server's CPU seconds or RSS, its workers included."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            total += measure(process)
        except psutil.NoSuchProcess:
            continue
    return total
