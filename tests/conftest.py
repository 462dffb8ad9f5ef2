"""Shared fixtures. Every fixture file is generated here; nothing binary is committed.

The whole session shares one isolated Airflow home (SQLite, examples off, DAGs folder =
``dags/``), set up here before anything imports Airflow; under pytest-xdist each worker has its
own (``make test`` runs two).

Markers come from what a test uses: a test that needs the ``cluster``, ``browser`` or
``imap_server`` fixture is marked ``cluster``, ``browser`` or ``imap``, so ``make check``
(``-m "not cluster and not browser and not imap and not slow"``) leaves them out.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Subprocesses started by tests (StatsD, CLI) import this too: they reuse the session's home.
# Each xdist worker (PYTEST_XDIST_WORKER, inherited by its subprocesses) has its own.
_HOME_VARIABLE = "BLUELABEL_TEST_AIRFLOW_HOME_" + os.environ.get("PYTEST_XDIST_WORKER", "main")
AIRFLOW_HOME = Path(
    os.environ.get(_HOME_VARIABLE) or tempfile.mkdtemp(prefix="bluelabel-test-airflow-home-")
)
os.environ[_HOME_VARIABLE] = str(AIRFLOW_HOME)
AIRFLOW_ENV = {
    "AIRFLOW_HOME": str(AIRFLOW_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(AIRFLOW_HOME / "plugins"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME}/airflow.db",
    "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(AIRFLOW_HOME / "logs"),
    "AIRFLOW__BLUELABEL__STORE": str(AIRFLOW_HOME / "store"),
    "AIRFLOW__BLUELABEL__ALLOWED_ROOTS": str(AIRFLOW_HOME / "inbox"),
    "AIRFLOW__BLUELABEL__WORKFLOW_CACHE": str(AIRFLOW_HOME / "workflow-cache"),
    # one secret for every Airflow process of the session (API server, scheduler, workers)
    "AIRFLOW__API_AUTH__JWT_SECRET": "bluelabel-test-session-secret",
}
os.environ.update(AIRFLOW_ENV)
for _name in [
    n for n in os.environ if n.startswith("AIRFLOW__BLUELABEL__") and n not in AIRFLOW_ENV
]:
    os.environ.pop(_name, None)

import gzip
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from bluelabel import airflow_ports
from bluelabel.agents import AgentContext
from bluelabel.store import KnowledgeStore
from devtools.samples import build_pdf, sample_pages
from tests.mailserver import imap_server  # noqa: F401  (one Dovecot for the whole session)

# Tests run the core as Airflow's processes do: with Airflow behind its ports.
airflow_ports.install()


def _find_shared() -> Path:
    """``../shared`` (the original system's workflows and PDFs), beside this checkout or beside
    the repository it was cloned from, or ``$BLUELABEL_SHARED``: CI runs a fresh clone."""
    candidates = [os.environ.get("BLUELABEL_SHARED"), str(REPO.parent / "shared")]
    origin = subprocess.run(
        ["git", "-C", str(REPO), "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if origin and "://" not in origin:
        candidates.append(str(Path(origin).resolve().parent / "shared"))
    for candidate in candidates:
        if candidate and (Path(candidate) / "bench").is_dir():
            return Path(candidate)
    return REPO.parent / "shared"


SHARED = _find_shared()


#: fixture -> (marker, xdist group): tests that use the fixture get the marker, and run on one
#: xdist worker together, so the service behind the fixture starts once.
SERVICE_FIXTURES = {
    "cluster": ("cluster", "cluster"),
    "browser": ("browser", "api-server"),
    "api_server": (None, "api-server"),
    "imap_server": ("imap", "imap"),
}


@pytest.hookimpl(tryfirst=True)  # before xdist's, which reads the groups to distribute by
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = getattr(item, "fixturenames", ())
        for fixture, (marker, group) in SERVICE_FIXTURES.items():
            if fixture in used:
                if marker:
                    item.add_marker(marker)
                if not item.get_closest_marker("xdist_group"):
                    item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def shared_bench() -> Path:
    """The original system's bench folder; a test that needs it fails, never skips, without it."""
    bench = SHARED / "bench"
    if not bench.is_dir():
        pytest.fail(
            f"{bench} not found: these compatibility tests need the original Bluelabel "
            "workflows (../shared beside the checkout or its origin, or $BLUELABEL_SHARED)"
        )
    return bench


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Settings are read once per process; a test that changes the environment sees it."""
    from bluelabel.config import reset_settings

    reset_settings()
    yield
    reset_settings()


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """The session's Airflow metadata DB, migrated once. Returns the Airflow home."""
    airflow = Path(sys.executable).parent / "airflow"
    subprocess.run(
        [str(airflow), "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
        timeout=600,
    )
    (AIRFLOW_HOME / "inbox").mkdir(exist_ok=True)
    return AIRFLOW_HOME


def run_agent(name: str, request: Any, context: AgentContext) -> dict[str, Any]:
    """Run a registered agent and return its result as the operator would push it to XCom."""
    from bluelabel.agents import get_agent

    result = get_agent(name).run(request, context)
    data: dict[str, Any] = result.to_xcom() if hasattr(result, "to_xcom") else dict(result)
    return data


def run_dag(dag: Any, conf: dict[str, Any] | None = None) -> Any:
    """Serialise ``dag`` to the metadata DB (as the DAG processor would) and ``dag.test()`` it."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(dag_folder=os.devnull, collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)
    return dag.test(run_conf=conf)


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


def _gzipped(handler: BaseHTTPRequestHandler) -> None:
    body = gzip.compress(b"compressed although nobody asked for it " * 100)
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture(scope="session")
def http_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 with the routes the URL-ingestion tests need."""
    pdf = build_pdf(sample_pages(4), metadata={"Title": "Served PDF"})
    _Handler.routes = {
        "/page.html": lambda h: _send(h, HTML_PAGE, "text/html; charset=utf-8"),
        "/batch-page.html": lambda h: _send(  # a page of its own for the batch workflow test
            h,
            HTML_PAGE.replace(b"Airflow &amp; Bluelabel notes", b"Batch inbox page").replace(
                b"Scheduling documents", b"Documents dropped into the inbox"
            ),
            "text/html; charset=utf-8",
        ),
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
        "/image.png": lambda h: _send(h, b"\x89PNG\r\n\x1a\n" + bytes(256), "image/png"),
        "/gzipped": _gzipped,
        "/unavailable": lambda h: _send(h, b"try later", "text/plain", status=503),
        # 48 MB of paragraphs: 1.6 GB when parsed in the task (issue 20)
        "/paragraphs.html": lambda h: _send(h, b"<p>ab " * 8_000_000, "text/html"),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# ----------------------------------------------------------------------------- LLM server
LLM_ANSWER = (
    "SUMMARY: The document explains how Airflow schedules work.\nKEY POINTS:\n- one\n- two\n"
)


class OpenAICompatible(BaseHTTPRequestHandler):
    """``POST /v1/chat/completions`` in the OpenAI shape; records what it was asked."""

    mode: ClassVar[str] = "ok"
    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "auth": self.headers["Authorization"], "body": body}
        )
        if self.mode == "error":
            self._send(500, {"error": {"message": "model overloaded", "type": "server_error"}})
            return
        if self.mode == "hang":
            time.sleep(5)
        prompt = body["messages"][-1]["content"]
        text = (
            LLM_ANSWER
            if "PART SUMMARIES" not in prompt
            else LLM_ANSWER.replace("explains", "combines")
        )
        self._send(
            200,
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": text},
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            },
        )

    def _send(self, status: int, data: dict[str, Any]) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def llm_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), OpenAICompatible)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.fixture
def llm_conn(llm_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real Airflow connection of the provider's type ``pydanticai``, from the environment."""
    conn = {
        "conn_type": "pydanticai",
        "host": llm_server,
        "password": "test-key",
        "extra": {"model": "openai-chat:tiny-test-model"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_BLUELABEL_LLM_TEST", json.dumps(conn))
    OpenAICompatible.mode = "ok"
    OpenAICompatible.requests = []
    return "bluelabel_llm_test"
