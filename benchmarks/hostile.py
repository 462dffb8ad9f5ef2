"""Every hostile-input case of issue 9, measured: exit code, the one-line message, wall time,
and the peak memory of the whole ingest (the command plus its largest child).

Usage: python benchmarks/hostile.py   (needs an Airflow home: it makes a throwaway one)
Figures, not pass/fail: tests/hostile/ asserts the bounds.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # devtools/

from devtools.hostile import alias_bomb_yaml, decompression_bomb_pdf
from devtools.measure import Run, bluelabel
from devtools.samples import build_pdf, sample_pages


def trickling_server() -> str:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def serve() -> None:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    def trickle(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 600:
                conn.sendall(bytes([byte]))
                time.sleep(1)
        except OSError:
            return

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/"


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    home = folder / "airflow-home"
    home.mkdir()
    os.environ["AIRFLOW_HOME"] = str(home)
    store = str(folder / "store")
    cases: list[tuple[str, list[str], dict[str, str], bytes | None]] = []
    for name, data in (
        ("4 GiB zeros bomb", decompression_bomb_pdf(4 << 30)),
        ("1 GiB text bomb", decompression_bomb_pdf(1 << 30, text=True)),
        ("stream reused 4x (16 GiB)", decompression_bomb_pdf(4 << 30, pages=4)),
    ):
        path = folder / f"{name.split()[0]}-{len(data)}.pdf"
        path.write_bytes(data)
        for backend in ("pdfium", "pypdf"):
            args = ["ingest", str(path), "--store", store, "--pdf-backend", backend]
            cases.append((f"{name}, {len(data):,} bytes ({backend})", args, {}, None))
    bomb = folder / "alias-bomb.yaml"
    bomb.write_text(alias_bomb_yaml())
    cases.append(("YAML alias bomb (validate)", ["validate", "-q", str(bomb)], {}, None))
    fifo = folder / "pipe.txt"
    os.mkfifo(fifo)
    cases.append(("FIFO as a text source", ["ingest", str(fifo), "--store", store], {}, None))
    url = trickling_server()
    env = {"AIRFLOW__BLUELABEL__URL_TOTAL_TIMEOUT": "3"}
    cases.append(
        (
            "headers trickled 1 byte/s (total timeout 3 s)",
            ["ingest", url, "--store", store, "--allow-private-urls"],
            env,
            None,
        )
    )
    cases.append(
        (
            "500 MB on stdin (limit 100 MB)",
            ["ingest", "-", "--store", store],
            {},
            b"word " * 100_000_000,
        )
    )
    nul = folder / "zeros.txt"
    nul.write_bytes(b"\0" * 2_000_000)
    cases.append(("2 MB of NUL bytes as text", ["ingest", str(nul), "--store", store], {}, None))
    locked = folder / "locked.pdf"
    locked.write_bytes(build_pdf(sample_pages(1), user_password="pw", owner_password="o"))
    bluelabel("ingest", str(locked), "--store", store, "--password", "pw")
    cases.append(
        (
            "stored encrypted PDF, wrong password",
            ["ingest", str(locked), "--store", store, "--password", "nope"],
            {},
            None,
        )
    )
    print(f"{'case':<52} {'exit':>4} {'seconds':>8} {'peak MB':>8}  message")
    for label, args, extra, stdin in cases:
        run: Run = bluelabel(*args, env=extra, stdin=stdin, timeout=900)
        message = run.lines[-1] if run.lines else ""
        print(
            f"{label:<52} {run.code:>4} {run.seconds:>8.1f} {run.peak_mb:>8.0f}  {message[-150:]}"
        )


if __name__ == "__main__":
    main()
