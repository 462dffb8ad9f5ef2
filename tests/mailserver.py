"""The session's IMAP server: one Dovecot on 127.0.0.1 for every email test
(:mod:`devtools.imap_server`; ``.ci/run`` installs dovecot-imapd)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.imap_server import ImapServer, ImapServerError, running_imap_server

__all__ = ["ImapServer", "imap_server"]


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """Dovecot on two free loopback ports for the whole session, stopped at its end."""
    try:
        with running_imap_server() as server:
            yield server
    except ImapServerError as exc:
        pytest.fail(f"{exc} (.ci/run installs it)")
