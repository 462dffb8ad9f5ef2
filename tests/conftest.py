"""Shared fixtures. Every fixture file is generated here; nothing binary is committed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from bluelabel.agents import AgentContext
from bluelabel.samples import build_pdf, sample_pages
from bluelabel.store import KnowledgeStore

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def store(tmp_path: Path) -> KnowledgeStore:
    return KnowledgeStore(tmp_path / "store")


@pytest.fixture
def context(store: KnowledgeStore, tmp_path: Path) -> AgentContext:
    return AgentContext(store=store, base_dir=tmp_path, allow_private_urls=True)


@pytest.fixture
def make_pdf(tmp_path: Path) -> Callable[..., Path]:
    """``make_pdf(name, pages=3, **build_pdf kwargs)`` writes a generated PDF and returns it."""

    def make(name: str = "doc.pdf", pages: int | list[str] = 3, **kwargs: object) -> Path:
        texts = sample_pages(pages) if isinstance(pages, int) else pages
        path = tmp_path / name
        path.write_bytes(build_pdf(texts, **kwargs))  # type: ignore[arg-type]
        return path

    return make


def stored_files(store: KnowledgeStore) -> list[str]:
    """Every file in a local store except staging leftovers (there must be none of those)."""
    root = Path(store.location)
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# ----------------------------------------------------------------------------- HTTP server
HTML_PAGE = b"""<!DOCTYPE html><html><head><title>Airflow &amp; Bluelabel notes</title>
<style>body { color: red; } .secret { display: none }</style>
<script>var tracking = "SCRIPT_TEXT_MUST_NOT_APPEAR";</script></head>
<body><nav>Home | About | NAV_TEXT</nav>
<main><h1>Scheduling documents</h1>
<p>Apache Airflow runs workflows as directed acyclic graphs of tasks.</p>
<p>Bluelabel stores each document once, keyed by its content, and builds digests.</p>
<p>The extractive summariser is deterministic and needs no network access at all.</p>
<script>document.write("INLINE_SCRIPT")</script>
<p>Tasks pass small JSON results between each other through XCom, never the whole text.</p>
</main><footer>FOOTER_TEXT</footer></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, Callable[[BaseHTTPRequestHandler], None]]] = {}

    def do_GET(self) -> None:
        route = self.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404, "Not Found")
            return
        route(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _send(
    handler: BaseHTTPRequestHandler, body: bytes, content_type: str, status: int = 200
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _redirect(target: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def _slow(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.end_headers()
    try:
        for _ in range(50):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.2)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _oversized(handler: BaseHTTPRequestHandler) -> None:
    # No Content-Length: the limit must be enforced while reading, not from the header.
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.end_headers()
    try:
        for _ in range(64):
            handler.wfile.write(b"y" * 65536)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client stopped reading at its limit, as it should


@pytest.fixture(scope="session")
def http_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 with the routes the URL-ingestion tests need."""
    pdf = build_pdf(sample_pages(4), metadata={"Title": "Served PDF"})
    _Handler.routes = {
        "/page.html": lambda h: _send(h, HTML_PAGE, "text/html; charset=utf-8"),
        "/doc.pdf": lambda h: _send(h, pdf, "application/pdf"),
        "/notes.txt": lambda h: _send(
            h, b"Plain notes about Airflow scheduling. " * 5, "text/plain"
        ),
        "/redirect": _redirect("/hop"),
        "/hop": _redirect("/page.html"),
        "/loop-a": _redirect("/loop-b"),
        "/loop-b": _redirect("/loop-a"),
        "/slow": _slow,
        "/big": _oversized,
        "/empty.html": lambda h: _send(h, b"<html><script>x()</script></html>", "text/html"),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
