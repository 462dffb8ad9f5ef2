"""Progress streams of one user: the API server's memory before, while one token asks for
3,000 event streams at once, and after they are closed (issue 20, item 10).

A real ``airflow api-server`` (SQLite metadata DB in a throwaway Airflow home, 127.0.0.1);
RSS is the server's whole process tree (VmRSS summed). Run it with the default cap
(``[bluelabel] progress_streams_per_user``) and with ``--cap 10000`` (every stream accepted,
as before the cap) to compare.

Usage: python benchmarks/progress_streams.py [--streams 3000] [--cap N] [--settle 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import api_token, free_port, wait_for_api


def tree_rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` and every descendant, in MB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return round(total, 1)


async def hold_streams(url: str, token: str, count: int) -> tuple[Counter[int], float, list]:
    """Ask for ``count`` streams at once; return the statuses, the seconds it took, and the
    open responses (with their client) for the caller to close."""
    import httpx

    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=0)
    client = httpx.AsyncClient(
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(120, read=None),
        limits=limits,
    )

    async def one() -> httpx.Response:
        return await client.send(client.build_request("GET", url), stream=True)

    started = time.perf_counter()
    responses = await asyncio.gather(*(one() for _ in range(count)))
    seconds = time.perf_counter() - started
    return Counter(r.status_code for r in responses), seconds, [client, *responses]


async def measure(args: argparse.Namespace, base: str, token: str, pid: int) -> dict[str, object]:
    """RSS before, with the streams asked for, and after they closed; ``--rounds`` times, so a
    leak (growing every round) shows apart from the allocator's high-water mark."""
    url = f"{base}/bluelabel/api/progress"
    result: dict[str, object] = {"streams_asked": args.streams, "cap": args.cap}
    result["rss_mb_before"] = tree_rss_mb(pid)
    for round_ in range(1, args.rounds + 1):
        statuses, seconds, held = await hold_streams(url, token, args.streams)
        await asyncio.sleep(2)
        during = tree_rss_mb(pid)
        client, responses = held[0], held[1:]
        for response in responses:
            await response.aclose()
        await client.aclose()
        await asyncio.sleep(args.settle)
        result[f"round_{round_}"] = {
            "statuses": dict(statuses),
            "open_seconds": round(seconds, 2),
            "rss_mb_with_streams": during,
            "rss_mb_after_close": tree_rss_mb(pid),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=3000)
    parser.add_argument("--cap", type=int, default=None, help="progress_streams_per_user")
    parser.add_argument("--settle", type=float, default=10, help="seconds after closing")
    parser.add_argument("--rounds", type=int, default=2, help="times to ask for them all")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-streams-airflow-"))
    (home / "passwords.json").write_text(json.dumps({"admin": "bench"}))
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
    }
    if args.cap is not None:
        env["AIRFLOW__BLUELABEL__PROGRESS_STREAMS_PER_USER"] = str(args.cap)
    airflow = str(Path(sys.executable).parent / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    port = free_port()
    log = (home / "api-server.log").open("w")
    server = subprocess.Popen(
        [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_api(base)
        token = api_token(base, "admin", "bench")
        # warm: the first stream loads the auth manager's caches and starts the feed
        asyncio.run(hold_streams_and_close(f"{base}/bluelabel/api/progress", token))
        result = asyncio.run(measure(args, base, token, server.pid))
        result["load_average"] = os.getloadavg()
        print(json.dumps(result))
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


async def hold_streams_and_close(url: str, token: str) -> None:
    _, _, held = await hold_streams(url, token, 1)
    for response in held[1:]:
        await response.aclose()
    await held[0].aclose()


if __name__ == "__main__":
    main()
