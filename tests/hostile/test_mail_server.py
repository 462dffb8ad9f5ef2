"""A hostile IMAP server: each byte of its answer arrives within the read timeout, but the
answer never ends. The run stops at ``[bluelabel] email_timeout``: in the middle of a message
(what was stored stays stored, the rest waits for the next run), during the login (one line,
transient), or at most ``imap_timeout`` later in the logout. A message still being ingested
at the deadline is filed all the same."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.agents.mail.ingest import ingest_message
from bluelabel.config import parse_settings
from bluelabel.errors import IngestError
from devtools.imap_server import certificate
from devtools.mail_samples import report_message
from tests.conftest import run_agent

MESSAGES = {1: report_message(1, batch="trickle"), 2: report_message(2, batch="trickle")}
STEP = 0.2  # seconds between two trickled bytes: well within imap_timeout
#: the server gives up after this long, so that a regression fails the test, not hangs it
GIVE_UP = 30.0


class TricklingImap:
    """Answers LOGIN, SELECT, UID SEARCH/FETCH/STORE and LOGOUT for two messages, except that
    it trickles, for ever, its greeting, the body of message UID 2, or its goodbye."""

    def __init__(self, trickle: str, tls: str = "plain", folder: Path | None = None) -> None:
        self.trickle = trickle
        #: "plain", "ssl" (TLS from the first byte) or "starttls" (offered, then required)
        self.tls = tls
        self.context: ssl.SSLContext | None = None
        if tls != "plain":
            assert folder is not None
            self.cafile, key = certificate(folder)
            self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.context.load_cert_chain(self.cafile, key)
        self.commands: list[str] = []
        self.stop = threading.Event()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket, data: bytes) -> None:
        until = time.monotonic() + GIVE_UP
        for byte in data:
            if self.stop.is_set() or time.monotonic() > until:
                return
            conn.sendall(bytes([byte]))
            time.sleep(STEP)

    def _session(self, conn: socket.socket) -> None:
        try:
            if self.context is not None and self.tls == "ssl":
                conn = self.context.wrap_socket(conn, server_side=True)
            if self.trickle == "greeting":
                self._drip(conn, b"* OK " + b"a" * 100_000)
                return
            offered = " STARTTLS" if self.tls == "starttls" else ""
            conn.sendall(f"* OK [CAPABILITY IMAP4rev1{offered}] ready\r\n".encode())
            lines = conn.makefile("rb")
            while line := lines.readline():
                tag, _, command = line.decode("ascii").rstrip("\r\n").partition(" ")
                self.commands.append(command)
                if command == "STARTTLS" and self.context is not None:
                    conn.sendall(f"{tag} OK begin TLS\r\n".encode())
                    if self.trickle == "handshake":  # the deadline passes meanwhile
                        time.sleep(1.5)
                    conn = self.context.wrap_socket(conn, server_side=True)
                    lines = conn.makefile("rb")
                    continue
                answer = self._answer(conn, tag, command)
                if answer is None:  # trickled, and given up: hang up
                    return
                conn.sendall(answer)
        except OSError:
            return
        finally:
            conn.close()

    def _answer(self, conn: socket.socket, tag: str, command: str) -> bytes | None:
        word = command.split(" ", 2)
        if word[0] == "CAPABILITY":
            offered = " STARTTLS" if self.tls == "starttls" else ""
            return f"* CAPABILITY IMAP4rev1{offered}\r\n{tag} OK done\r\n".encode()
        if word[0] == "SELECT":
            return f"* 2 EXISTS\r\n{tag} OK [READ-WRITE] selected\r\n".encode()
        if word[0] == "LOGIN" and self.trickle == "handshake":
            self._drip(conn, b"* OK " + b"a" * 100_000)
            return None
        if word[0] == "LOGOUT":
            if self.trickle == "logout":
                self._drip(conn, b"* BYE " + b"a" * 100_000)
                return None
            return f"* BYE\r\n{tag} OK bye\r\n".encode()
        if word[:2] == ["UID", "SEARCH"]:
            return f"* SEARCH 1 2\r\n{tag} OK done\r\n".encode()
        if word[:2] == ["UID", "FETCH"] and "RFC822.SIZE" in command:
            items = "".join(
                f"* {uid} FETCH (UID {uid} RFC822.SIZE {len(body)} INTERNALDATE "
                f'"01-Dec-2026 10:00:00 +0000")\r\n'
                for uid, body in MESSAGES.items()
            )
            return f"{items}{tag} OK done\r\n".encode()
        if word[:2] == ["UID", "FETCH"]:
            uid = int(word[2].split(" ")[0])
            body = MESSAGES[uid]
            head = f"* {uid} FETCH (UID {uid} BODY[]<0> {{{len(body)}}}\r\n".encode()
            if uid == 2:
                conn.sendall(head)
                self._drip(conn, body)
                return None
            return head + body + f")\r\n{tag} OK done\r\n".encode()
        return f"{tag} OK done\r\n".encode()  # LOGIN, UID STORE

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.fixture
def trickling(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[TricklingImap]:
    """``request.param``: what is trickled, or (what, "ssl" | "starttls")."""
    trickle, tls = request.param if isinstance(request.param, tuple) else (request.param, "plain")
    server = TricklingImap(trickle, tls, tmp_path)
    extra: dict[str, object] = {"use_ssl": tls == "ssl", "starttls": tls == "starttls"}
    if tls != "plain":
        extra["ssl_ca_file"] = str(server.cafile)
    conn = {
        "conn_type": "imap",
        "host": "127.0.0.1",
        "port": server.port,
        "login": "reader",
        "password": "secret",
        "extra": extra,
    }
    monkeypatch.setenv("AIRFLOW_CONN_BLUELABEL_IMAP_TRICKLE", json.dumps(conn))
    yield server
    server.close()


def read(context: AgentContext, tmp_path: Path, seconds: int = 3) -> dict[str, object]:
    context.settings = parse_settings(
        {"email_timeout": str(seconds), "imap_timeout": "2"}, tmp_path
    )
    request = AgentInput(config={"imap_conn_id": "bluelabel_imap_trickle", "folder": "INBOX"})
    return run_agent("email_agent", request, context)


@pytest.mark.parametrize(
    "trickling", ["message", ("message", "ssl"), ("message", "starttls")], indirect=True
)
def test_a_message_trickled_for_ever_is_cut_at_the_deadline(
    trickling: TricklingImap, context: AgentContext, tmp_path: Path
) -> None:
    started = time.monotonic()
    # 6 s: the first message (a sandboxed parse) must be read in full before the cut, also
    # on a loaded machine (3 s missed it there about one run in four)
    result = read(context, tmp_path, seconds=6)
    elapsed = time.monotonic() - started
    assert elapsed < 11, elapsed  # email_timeout's 6 s, not for ever
    assert result["message_count"] == 1 and result["waiting"] == 1, result
    assert result["failed"] == []
    assert context.store.get(result["content_ids"][0]).metadata["uid"] == 1  # type: ignore[index]
    stores = [c for c in trickling.commands if c.startswith("UID STORE")]
    assert stores == ["UID STORE 1 +FLAGS (\\Seen)"]  # the cut message stays unread
    assert ("STARTTLS" in trickling.commands) == (trickling.tls == "starttls")


@pytest.mark.parametrize("trickling", ["greeting", ("greeting", "ssl")], indirect=True)
def test_a_greeting_trickled_for_ever_is_one_line_at_the_deadline(
    trickling: TricklingImap, context: AgentContext, tmp_path: Path
) -> None:
    started = time.monotonic()
    with pytest.raises(IngestError) as caught:
        read(context, tmp_path)
    assert time.monotonic() - started < 8
    assert str(caught.value) == (
        "imap://bluelabel_imap_trickle: the mail server did not finish the login within 3 s "
        "([bluelabel] email_timeout)"
    )
    assert caught.value.permanent is False


@pytest.mark.parametrize("trickling", ["message"], indirect=True)
def test_a_message_ingested_past_the_deadline_is_still_filed(
    trickling: TricklingImap,
    context: AgentContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deadline passes while message 1 is being stored (its ingest made slow here): it
    is marked seen all the same, and the run stops before message 2."""
    from bluelabel.agents.mail import agent

    def slow_ingest(*args: Any, **kwargs: Any) -> Any:
        time.sleep(2.5)
        return ingest_message(*args, **kwargs)

    monkeypatch.setattr(agent, "ingest_message", slow_ingest)
    result = read(context, tmp_path, seconds=2)
    assert result["message_count"] == 1 and result["waiting"] == 1, result
    assert [c for c in trickling.commands if c.startswith("UID STORE")] == [
        "UID STORE 1 +FLAGS (\\Seen)"
    ]
    assert not any(c.startswith("UID FETCH 2 ") for c in trickling.commands)


@pytest.mark.parametrize("trickling", ["logout"], indirect=True)
def test_a_goodbye_trickled_for_ever_is_cut(
    trickling: TricklingImap, context: AgentContext, tmp_path: Path
) -> None:
    started = time.monotonic()
    result = read(context, tmp_path)
    assert time.monotonic() - started < 3 + 2 + 3  # the deadline, imap_timeout's grace
    assert result["message_count"] == 1 and result["waiting"] == 1  # UID 2: cut mid-body


@pytest.mark.parametrize("trickling", [("handshake", "starttls")], indirect=True)
def test_a_deadline_passing_in_the_starttls_handshake_cuts_the_tls_connection(
    trickling: TricklingImap, context: AgentContext, tmp_path: Path
) -> None:
    """The deadline passes while the plain socket is being wrapped (cutting it then cuts
    nothing); the TLS socket that follows is cut before its trickled login answer."""
    started = time.monotonic()
    with pytest.raises(IngestError, match="did not finish the login within 1 s"):
        read(context, tmp_path, seconds=1)
    assert time.monotonic() - started < 6
