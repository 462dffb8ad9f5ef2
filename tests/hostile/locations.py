"""Helpers of the location-policy tests: a loopback server that records every connection made
to it (so a test can assert that a refused location was never contacted), and contexts."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from bluelabel.agents import AgentContext
from bluelabel.config import parse_settings
from bluelabel.locations import parse_roots
from bluelabel.store import KnowledgeStore


class Recorder:
    """A TCP server on 127.0.0.1 that records the first bytes of every connection made to it
    and answers like a web server holding a secret."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            self.connections.append(b"")  # counted before anything is read
            with conn:
                conn.settimeout(2)
                try:
                    self.connections[-1] = conn.recv(4096)
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nsecret")
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


def context_for(
    tmp_path: Path, roots: str, *, inbox: Path | None = None, outbox: Path | None = None
) -> AgentContext:
    """An agent context as a task gets it: ``roots`` as ``[bluelabel] allowed_roots``, the
    configured inbox and outbox in ``tmp_path`` unless given."""
    settings = parse_settings(
        {
            "allowed_roots": roots,
            "inbox": str(inbox or tmp_path / "configured-inbox"),
            "outbox": str(outbox or tmp_path / "configured-outbox"),
        },
        tmp_path,
    )
    return AgentContext(
        store=KnowledgeStore(tmp_path / "store"),
        settings=settings,
        allowed_roots=list(parse_roots(roots)),
        base_dir=settings.trigger_root,
    )


def tree(folder: Path) -> list[str]:
    """Every file below ``folder``, relative: what a refused run must leave as it was."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
