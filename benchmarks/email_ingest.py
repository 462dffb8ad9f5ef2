"""Email figures: messages with attachments (each a plain + HTML body, a 2-page PDF and a text
file) appended to a throwaway Dovecot on 127.0.0.1, then read by the email agent in a fresh
process over STARTTLS: total time, messages per second, documents stored, peak memory.

    python benchmarks/email_ingest.py [--messages 100]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's email package: its folder must not be first
# on the path (where Python puts a script's folder), or `import email` would find it.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import os
import tempfile
import time

from benchmarks._common import run_snippet
from devtools.imap_server import running_imap_server
from devtools.mail_samples import report_message

READ = """
import sys, time
from pathlib import Path
from bluelabel.agents import AgentContext, AgentInput, get_agent
from bluelabel.config import parse_settings
from bluelabel.store import KnowledgeStore
folder, store = sys.argv[1], sys.argv[2]
context = AgentContext(store=KnowledgeStore(store), settings=parse_settings({}, Path(store)))
request = AgentInput(config={"imap_conn_id": "bench_imap", "folder": folder})
started = time.perf_counter()
result = get_agent("email_agent").run(request, context).to_xcom()
_elapsed = time.perf_counter() - started
_extra = {"messages": result["message_count"], "documents": len(result["content_ids"]),
          "failed": len(result["failed"])}
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100)
    args = parser.parse_args()
    batch = f"b{int(time.time())}-"
    messages = [report_message(n, batch=batch) for n in range(args.messages)]
    size = sum(len(m) for m in messages)
    with running_imap_server() as server, tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        server.folder("bench", messages)
        appended = time.perf_counter() - started
        home = Path(folder) / "airflow"
        home.mkdir()
        os.environ.update(server.connection_env("bench_imap"))
        os.environ["AIRFLOW_HOME"] = str(home)
        figures = run_snippet(READ, "bench", str(Path(folder) / "store"))
        unseen = len(server.messages("bench", "UNSEEN"))
    seconds = figures["seconds"]
    print(f"{args.messages} messages, {size / 1e6:.1f} MB, appended in {appended:.1f} s")
    print(
        f"email agent:   {seconds:.1f} s for {figures['messages']:.0f} messages "
        f"({figures['messages'] / seconds:.1f} messages/s), {figures['documents']:.0f} documents, "
        f"{figures['failed']:.0f} failed, {unseen} left unseen"
    )
    print(
        f"peak RSS:      {figures['rss_mb']:.0f} MB task process, "
        f"{figures['children_rss_mb']:.0f} MB largest extraction worker"
    )
    print(json.dumps({"messages": args.messages, **figures}))


if __name__ == "__main__":
    main()
