"""The email agent against a real IMAP server (the session's Dovecot on 127.0.0.1): STARTTLS
and SSL with a throwaway certificate, unseen/since/search, seen flags and the processed
folder, limits, deduplication, and every way the connection can fail."""

from __future__ import annotations

import imaplib
import json
from typing import Any

import pytest

from bluelabel.agents import AgentContext, AgentInput
from bluelabel.config import parse_settings
from bluelabel.errors import AgentInputError, IngestError
from devtools.mail_samples import (
    PLAIN_BODY,
    latin1_message,
    malformed_message,
    nested_message,
    oversized_attachment_message,
    report_message,
)
from tests.conftest import run_agent
from tests.mailserver import ImapServer


@pytest.fixture
def imap_conn(imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real Airflow connection (type imap) from the environment: STARTTLS, verified."""
    for name, value in imap_server.connection_env("bluelabel_imap_test").items():
        monkeypatch.setenv(name, value)
    return "bluelabel_imap_test"


def read(context: AgentContext, conn: str, folder: str, **config: Any) -> dict[str, Any]:
    request = AgentInput(config={"imap_conn_id": conn, "folder": folder, **config})
    return run_agent("email_agent", request, context)


def test_unseen_messages_are_stored_and_marked_seen(
    imap_server: ImapServer, imap_conn: str, context: AgentContext
) -> None:
    folder = imap_server.folder(
        "t-unseen",
        [
            report_message(1),
            latin1_message(),
            malformed_message(),
            oversized_attachment_message(300_000),
        ],
    )
    imap_server.folder("t-unseen-old", [])
    with imap_server.client() as client:  # one message read already
        client.append('"t-unseen"', "(\\Seen)", None, report_message(2))
    settings = parse_settings({"email_max_attachment_bytes": "100000"}, context.store.root)
    context.settings = settings
    result = read(context, imap_conn, folder)

    assert result["message_count"] == 4 and result["failed"] == [] and result["waiting"] == 0
    subjects = [m["metadata"]["subject"] for m in result["messages"]]
    assert subjects == [
        "Quarterly report 1",
        "Привет:café déjà vu",
        "Partly broken",
        "Big attachment",
    ]
    report, latin1, broken, big = result["messages"]
    store = context.store
    assert store.read_text(report["content_id"]) == f"{PLAIN_BODY}\nReport number 1."
    pdf = store.get(report["attachments"][0]["content_id"])
    assert pdf is not None and pdf.content_type == "pdf" and pdf.title == "Report 1"
    assert pdf.metadata["message_id"] == "<bluelabel-1@example.org>"
    assert pdf.metadata["folder"] == "t-unseen" and pdf.metadata["uid"] == 1
    assert store.read_text(latin1["content_id"]) == "Grüße aus Köln: 5 € für zwei Brötchen."
    assert len(broken["problems"]) == 2 and broken["attachments"][2]["content_id"]
    huge, small = big["attachments"]
    assert "[bluelabel] email_max_attachment_bytes" in huge["skipped"]
    assert small["content_id"] is not None
    assert len(result["content_ids"]) == 3 + 3 + 2 + 2
    assert imap_server.messages(folder, "UNSEEN") == []  # all marked seen
    assert json.dumps(result)  # plain JSON for XCom

    again = read(context, imap_conn, folder)
    assert again["message_count"] == 0 and again["content_ids"] == []


def test_ssl_processed_folder_since_and_a_count_limit(
    imap_server: ImapServer, context: AgentContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in imap_server.connection_env("bluelabel_imaps", mode="ssl").items():
        monkeypatch.setenv(name, value)
    folder = imap_server.folder("t-ssl", [report_message(n, batch="ssl") for n in range(5)])
    with imap_server.client() as client:  # received long ago: before `since`
        client.append('"t-ssl"', None, imaplib.Time2Internaldate(946684800), report_message(99))
    result = read(
        context, "bluelabel_imaps", folder, since="2d", max_messages=3, processed_folder="t-done"
    )
    assert result["message_count"] == 3 and result["waiting"] == 2
    assert result["after"] == "moved to t-done"
    assert len(imap_server.messages("t-done")) == 3
    assert len(imap_server.messages(folder)) == 3  # two left, and the old one
    rest = read(context, "bluelabel_imaps", folder, since="2d", processed_folder="t-done")
    assert rest["message_count"] == 2 and rest["waiting"] == 0
    assert [m["metadata"]["subject"] for m in rest["messages"]] == [
        "Quarterly report ssl3",
        "Quarterly report ssl4",
    ]


def test_the_same_message_twice_is_stored_once(
    imap_server: ImapServer, imap_conn: str, context: AgentContext
) -> None:
    imap_server.folder("t-dup-a", [report_message(7, batch="dup")])
    imap_server.folder("t-dup-b", [report_message(7, batch="dup")])
    first = read(context, imap_conn, "t-dup-a")
    second = read(context, imap_conn, "t-dup-b")
    assert second["messages"][0]["deduplicated"] is True
    assert sorted(second["deduplicated_ids"]) == sorted(first["content_ids"])


def test_search_keys_and_what_is_refused(
    imap_server: ImapServer, imap_conn: str, context: AgentContext
) -> None:
    folder = imap_server.folder("t-search", [report_message(1, batch="s"), latin1_message()])
    result = read(context, imap_conn, folder, search='FROM "juergen@example.org"')
    assert [m["metadata"]["subject"] for m in result["messages"]] == ["Привет:café déjà vu"]
    with pytest.raises(AgentInputError, match="printable ASCII"):
        read(context, imap_conn, folder, search="ALL\r\nA1 LOGOUT")
    with pytest.raises(IngestError, match="the server refused to open folder 'no-such-folder'"):
        read(context, imap_conn, "no-such-folder")
    with pytest.raises(AgentInputError, match="since='yesterday' is not an ISO date"):
        read(context, imap_conn, folder, since="yesterday")


@pytest.mark.parametrize(
    ("change", "message", "permanent"),
    [
        ({"password": "wrong"}, "the server refused", True),
        ({"extra": {"use_ssl": False, "starttls": True}}, "TLS certificate is not trusted", True),
        ({"port": 1}, "cannot reach the mail server", False),
    ],
)
def test_connection_failures_are_one_line(
    imap_server: ImapServer,
    context: AgentContext,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, Any],
    message: str,
    permanent: bool,
) -> None:
    conn = {**imap_server.connection(), **change}
    monkeypatch.setenv("AIRFLOW_CONN_BLUELABEL_IMAP_BAD", json.dumps(conn))
    with pytest.raises(IngestError, match=message) as caught:
        read(context, "bluelabel_imap_bad", "INBOX")
    assert caught.value.permanent is permanent
    assert imap_server.password not in str(caught.value)


def test_verification_off_and_no_connection(
    imap_server: ImapServer, context: AgentContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = imap_server.connection(mode="ssl")
    conn["extra"] = {"use_ssl": True, "ssl_context": "none"}  # no CA given: not verified
    monkeypatch.setenv("AIRFLOW_CONN_BLUELABEL_IMAP_NOVERIFY", json.dumps(conn))
    folder = imap_server.folder("t-noverify", [report_message(1, batch="nv")])
    assert read(context, "bluelabel_imap_noverify", folder)["message_count"] == 1
    with pytest.raises(IngestError, match="no Airflow connection 'no_such_imap'"):
        read(context, "no_such_imap", "INBOX")


def test_a_server_that_never_answers_times_out(
    context: AgentContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True).start()
    conn = {
        "conn_type": "imap",
        "host": "127.0.0.1",
        "port": listener.getsockname()[1],
        "login": "x",
        "password": "y",
        "extra": {"use_ssl": False, "starttls": True, "timeout": 1},
    }
    monkeypatch.setenv("AIRFLOW_CONN_BLUELABEL_IMAP_SILENT", json.dumps(conn))
    with pytest.raises(IngestError):  # the hook and Airflow's connections, imported once
        read(context, "no_such_imap", "INBOX")
    started = time.monotonic()
    try:
        with pytest.raises(IngestError, match="cannot reach the mail server: timed out") as caught:
            read(context, "bluelabel_imap_silent", "INBOX")
    finally:
        for sock in [*held, listener]:
            sock.close()
    assert caught.value.permanent is False  # the task's retries may get through
    assert time.monotonic() - started < 15  # the connection's 1 s, not imap_timeout's 30 s


def test_move_without_the_move_extension_copies_and_expunges_one_uid(
    imap_server: ImapServer, imap_conn: str
) -> None:
    from bluelabel.agents.mail.mailbox import open_mailbox

    folder = imap_server.folder("t-copy", [report_message(n, batch="cp") for n in range(3)])
    with open_mailbox(imap_conn, timeout=10, max_literal=1 << 20) as mailbox:
        mailbox._capabilities = frozenset({"IMAP4REV1", "UIDPLUS"})  # as a server without MOVE
        mailbox.select(folder)
        first, second, third = mailbox.search("ALL")
        with imap_server.client() as other:  # another client's deletion must stay unexpunged
            other.select(f'"{folder}"')
            other.uid("STORE", str(third), "+FLAGS", "(\\Deleted)")
        mailbox.move(second, "t-copy-done")
    assert imap_server.messages(folder) == [first, third]
    assert len(imap_server.messages("t-copy-done")) == 1


def test_a_malformed_server_answer_is_one_line() -> None:
    """A server (or something in between) that answers SELECT or SEARCH with garbage: one
    line naming the answer, not a ValueError traceback. (Dovecot cannot be made to send it;
    this client object answers as such a server would, through imaplib's return shape.)"""
    from bluelabel.agents.mail.mailbox import Mailbox

    class GarbageServer:
        def select(self, folder: str) -> tuple[str, list[bytes]]:
            return "OK", [b"lots"]

        def uid(self, command: str, *args: str) -> tuple[str, list[bytes]]:
            return "OK", [b"1 2 three"]

    mailbox = Mailbox(GarbageServer(), "imap://127.0.0.1/INBOX")  # type: ignore[arg-type]
    with pytest.raises(IngestError, match="malformed message count: 'lots'"):
        mailbox.select("INBOX")
    with pytest.raises(IngestError, match="malformed message UID: 'three'"):
        mailbox.search("ALL")


def test_a_literal_over_the_limit_is_refused_before_it_is_read(
    imap_server: ImapServer, imap_conn: str
) -> None:
    """imaplib reads as many bytes as the server announces: the announcement is checked
    first (here a real message's literal against a 500-byte bound)."""
    from bluelabel.agents.mail.mailbox import open_mailbox
    from bluelabel.errors import TransientIngestError

    folder = imap_server.folder("t-literal", [report_message(1, batch="lit")])
    with open_mailbox(imap_conn, timeout=10, max_literal=500) as mailbox:
        mailbox.select(folder)
        (uid,) = mailbox.search("ALL")
        with pytest.raises(TransientIngestError, match=r"announced [\d,]+ bytes at once, over"):
            mailbox.fetch(uid, 1_000_000)


def test_a_poison_message_is_reported_once_and_skipped_after(
    imap_server: ImapServer, imap_conn: str, context: AgentContext
) -> None:
    """Issue 20: a message/rfc822 nested 1,000 deep between two good messages, read with
    ``search: all`` (the seen flag alone would not keep it out). Both good ones are stored,
    the poisoned one is reported once with its reason and flagged; the next run skips it."""
    folder = imap_server.folder(
        "t-poison",
        [report_message(1, batch="p"), nested_message(1000), report_message(2, batch="p")],
    )
    first = read(context, imap_conn, folder, search="all")
    assert [m["metadata"]["subject"] for m in first["messages"]] == [
        "Quarterly report p1",
        "Quarterly report p2",
    ]
    assert all(context.store.get(m["content_id"]) for m in first["messages"])
    (failed,) = first["failed"]
    assert failed["uid"] == "2" and "\n" not in failed["reason"], failed
    assert "nest too deeply (more than 100 levels)" in failed["reason"], failed
    assert imap_server.messages(folder, "KEYWORD $BluelabelFailed") == [2]

    second = read(context, imap_conn, folder, search="all")
    assert second["failed"] == [] and "UNKEYWORD $BluelabelFailed" in second["search"]
    assert [m["deduplicated"] for m in second["messages"]] == [True, True]


def test_a_poison_message_goes_to_the_quarantine_folder(
    imap_server: ImapServer,
    imap_conn: str,
    context: AgentContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Any exception reading one message -- not only Bluelabel's own errors (here the one the
    standard library's generator raised) -- is that message's failure; with a quarantine
    folder named it is moved there, flagged, and the run goes on."""
    from bluelabel.agents.mail import agent

    real = agent.ingest_message

    def fragile(raw: bytes, **kwargs: Any) -> Any:
        if b"Quarterly report q2" in raw:
            raise AttributeError("'list' object has no attribute 'encode'")
        return real(raw, **kwargs)

    monkeypatch.setattr(agent, "ingest_message", fragile)
    folder = imap_server.folder("t-quarantine", [report_message(n, batch="q") for n in (1, 2, 3)])
    result = read(context, imap_conn, folder, quarantine_folder="t-quarantined")
    assert [m["metadata"]["subject"] for m in result["messages"]] == [
        "Quarterly report q1",
        "Quarterly report q3",
    ]
    (failed,) = result["failed"]
    assert failed["reason"] == (
        f"imap://{imap_conn}/{folder};UID=2: cannot be read "
        "(AttributeError: 'list' object has no attribute 'encode')"
    )
    assert len(imap_server.messages(folder)) == 2
    assert imap_server.messages("t-quarantined", "KEYWORD $BluelabelFailed") == [1]
