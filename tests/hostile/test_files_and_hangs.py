"""Local files and slow servers: nothing outside the roots is read, nothing blocks forever."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.errors import IngestError
from bluelabel.store import KnowledgeStore
from devtools.measure import bluelabel
from devtools.samples import build_pdf, sample_pages
from tests.conftest import run_agent, stored_files

SECRET = "root:*:20228:0:99999:7:::"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside every root, standing for /etc/shadow."""
    path = tmp_path / "outside" / "shadow"
    path.parent.mkdir()
    path.write_text(SECRET + "\n")
    return path


def _inbox_context(tmp_path: Path) -> tuple[Path, AgentContext]:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    store = KnowledgeStore(tmp_path / "store")
    return inbox, AgentContext(store=store, allowed_roots=[inbox], allow_private_urls=True)


def test_inbox_link_out_of_the_roots_is_quarantined_unread(tmp_path: Path, secret: Path) -> None:
    inbox, context = _inbox_context(tmp_path)
    (inbox / "notes.txt").symlink_to(secret)
    (inbox / "inside.txt").write_text("A note that really is in the inbox, about scheduling.")
    (inbox / "alias.txt").symlink_to(inbox / "inside.txt")  # a link inside: fine
    os.mkfifo(inbox / "pipe.txt")
    listing = run_agent("inbox_agent", AgentInput(config={"inbox": str(inbox)}), context)
    reasons = {q["file"]: q["reason"] for q in listing["quarantined"]}
    assert "outside the inbox and the allowed roots: not read" in reasons["notes.txt"]
    assert "not a regular file: it is a FIFO" in reasons["pipe.txt"]
    assert sorted(i["content"]["inbox_file"] for i in listing["items"]) == [
        "alias.txt",
        "inside.txt",
    ]
    # filed with its reason, the link itself moved (its target untouched), nothing stored
    assert (inbox / "quarantine" / "notes.txt").is_symlink()
    assert secret.read_text() == SECRET + "\n"
    sidecar = (inbox / "quarantine" / "notes.txt.reason.txt").read_text()
    assert "outside the inbox" in sidecar and SECRET not in sidecar
    assert stored_files(context.store) == []


def test_inbox_item_swapped_for_a_link_after_listing_is_refused(
    tmp_path: Path, secret: Path
) -> None:
    inbox, context = _inbox_context(tmp_path)
    (inbox / "late.txt").write_text("An honest note that will be swapped for a link.")
    listing = run_agent("inbox_agent", AgentInput(config={"inbox": str(inbox)}), context)
    (inbox / "late.txt").unlink()
    (inbox / "late.txt").symlink_to(secret)
    with pytest.raises(IngestError, match="outside the inbox and the allowed roots"):
        run_agent("ingestion_agent", AgentInput.from_dict(listing["items"][0]), context)
    assert SECRET not in " ".join(p.read_text() for p in context.store.root.rglob("*.txt"))


def test_a_fifo_is_refused_at_once_from_the_cli(tmp_path: Path) -> None:
    fifo = tmp_path / "notes.txt"
    os.mkfifo(fifo)
    run = bluelabel("ingest", str(fifo), "--store", str(tmp_path / "store"), timeout=30)
    assert run.code == 1
    assert run.error.endswith(f"{fifo}: not a regular file: it is a FIFO (named pipe)")
    assert run.seconds < 10


def test_a_fifo_given_at_run_time_inside_the_roots_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "in" / "notes.txt"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    context = AgentContext(store=KnowledgeStore(tmp_path / "store"), allowed_roots=[fifo.parent])
    started = time.monotonic()
    with pytest.raises(IngestError, match="not a regular file: it is a FIFO"):
        run_agent("ingestion_agent", AgentInput(content={"file_path": str(fifo)}), context)
    assert time.monotonic() - started < 2


def test_errors_never_echo_file_content(tmp_path: Path, secret: Path) -> None:
    link = tmp_path / "report.pdf"
    link.symlink_to(secret)
    run = bluelabel("ingest", str(link), "--store", str(tmp_path / "store"))
    assert run.code == 1 and "not a PDF (no %PDF- header" in run.error
    assert "root:" not in run.error


@pytest.fixture
def trickling_server() -> Iterator[str]:
    """A server that sends its status line and headers one byte a second, for ever."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    def trickle(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Slow: " + b"a" * 600:
                    if stop.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(1)
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/page"
    stop.set()
    listener.close()


def test_a_server_trickling_its_headers_times_out(trickling_server: str, tmp_path: Path) -> None:
    env = {
        "AIRFLOW__BLUELABEL__URL_TOTAL_TIMEOUT": "3",
        "AIRFLOW__BLUELABEL__URL_TIMEOUT": "2",
    }
    run = bluelabel(
        "ingest",
        trickling_server,
        "--store",
        str(tmp_path / "store"),
        "--allow-private-urls",
        env=env,
    )
    assert run.code == 1 and run.error.endswith("timed out after 3 s"), run.error
    assert run.seconds < 3 + 5 + 4  # the limit + 5 s, + the CLI's own start


def test_binary_is_not_text(tmp_path: Path, http_server: str) -> None:
    nul = tmp_path / "zeros.txt"
    nul.write_bytes(b"\0" * 2_000_000)
    store = tmp_path / "store"
    run = bluelabel("ingest", str(nul), "--store", str(store))
    assert run.code == 1 and run.error.endswith(
        "not text: the content is binary data (it contains NUL bytes)"
    )
    gz = tmp_path / "notes.txt"
    gz.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(64))
    assert bluelabel("ingest", str(gz), "--store", str(store)).error.endswith(
        "not text: the content is gzip-compressed data"
    )
    png = bluelabel(
        "ingest", f"{http_server}/image.png", "--store", str(store), "--allow-private-urls"
    )
    assert png.error.endswith("not text: the response is a PNG image (Content-Type image/png)")
    zipped = bluelabel(
        "ingest", f"{http_server}/gzipped", "--store", str(store), "--allow-private-urls"
    )
    assert zipped.error.endswith(
        "the server sent a compressed response (Content-Encoding: gzip), which was not asked for"
    )
    assert not (store / "objects").exists()


def test_a_pdf_that_is_stored_still_needs_its_password(tmp_path: Path) -> None:
    pdf = tmp_path / "locked.pdf"
    pdf.write_bytes(build_pdf(sample_pages(1), user_password="s3cret", owner_password="own"))
    store = str(tmp_path / "store")
    assert bluelabel("ingest", str(pdf), "--store", store, "--password", "s3cret").code == 0
    wrong = bluelabel("ingest", str(pdf), "--store", store, "--password", "nope")
    assert wrong.code == 1 and wrong.error.endswith("encrypted PDF: the password is wrong")
    none = bluelabel("ingest", str(pdf), "--store", store)
    assert none.code == 1 and "a password is needed" in none.error
    assert "Page 1." not in wrong.stdout + none.stdout  # nothing of the stored document shown


def test_a_missing_text_file_is_not_ingested_as_its_name(tmp_path: Path) -> None:
    run = bluelabel("ingest", str(tmp_path / "notes.txt"), "--store", str(tmp_path / "store"))
    assert run.code == 1 and "notes.txt: file not found" in run.error
    assert not (tmp_path / "store" / "objects").exists()


def test_stdin_obeys_the_text_limit(tmp_path: Path) -> None:
    env = {"AIRFLOW__BLUELABEL__MAX_TEXT_BYTES": "1000000"}
    run = bluelabel(
        "ingest", "-", "--store", str(tmp_path / "store"), env=env, stdin=b"word " * 1_000_000
    )
    assert run.code == 1
    assert run.error.endswith(
        "stdin: text is over the 1,000,000-byte limit ([bluelabel] max_text_bytes)"
    )
    assert run.peak_mb < 300
