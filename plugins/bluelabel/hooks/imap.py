"""Airflow's IMAP hook (``apache-airflow-providers-imap``), with STARTTLS, a CA file and a
timeout: the connection is the provider's (type ``imap``, default ``imap_default``), its
extras keep their meaning, and three are added.

Connection fields: host, port (default 993 with SSL, else 143), login, password. Extras:

- ``use_ssl`` (the provider's, default true): TLS from the first byte (IMAPS).
- ``starttls`` (default false): with ``use_ssl: false``, upgrade a plain connection with
  STARTTLS; a server that does not offer it is refused, never used in the clear.
- ``ssl_context`` (the provider's): ``"default"`` verifies the server's certificate against
  the system's CAs; ``"none"`` turns verification off (tests against a throwaway server only).
- ``ssl_ca_file``: a PEM file of the CA (or the self-signed certificate) to verify against.
- ``timeout``: seconds to wait for the server at any one moment (default
  ``[bluelabel] imap_timeout``).

A read timeout does not bound a server that trickles its answer a byte at a time, each byte
within the timeout: a :class:`~bluelabel.watchdog.SocketWatchdog` given to the hook cuts the
connection (a shutdown of its socket, from a thread of its own, which ends the blocked read)
when a command runs past the deadline.
"""

from __future__ import annotations

import contextlib
import imaplib
import socket
import ssl
from typing import Any

from airflow.providers.imap.hooks.imap import ImapHook
from airflow.sdk.exceptions import AirflowNotFoundException

from bluelabel.booleans import parse_bool
from bluelabel.errors import IngestError, TransientIngestError
from bluelabel.watchdog import SocketWatchdog


class _Watched(imaplib.IMAP4):
    watchdog: SocketWatchdog | None = None

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock: socket.socket = super()._create_socket(timeout)  # type: ignore[misc]  # not in typeshed
        if self.watchdog is not None:
            self.watchdog.watch(lambda: getattr(self, "sock", None) or sock)
        return sock

    def starttls(self, ssl_context: Any = None) -> Any:
        answer = super().starttls(ssl_context)
        if self.watchdog is not None:  # cut during the handshake: the TLS socket now
            self.watchdog.watch(lambda: self.sock)
        return answer


class _Client(_Watched):
    def __init__(
        self, host: str, port: int, *, timeout: float, watchdog: SocketWatchdog | None
    ) -> None:
        self.watchdog = watchdog
        super().__init__(host, port, timeout=timeout)


class _SSLClient(_Watched, imaplib.IMAP4_SSL):
    def __init__(
        self,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext,
        timeout: float,
        watchdog: SocketWatchdog | None,
    ) -> None:
        self.watchdog = watchdog
        imaplib.IMAP4_SSL.__init__(self, host, port, ssl_context=ssl_context, timeout=timeout)


class MailboxHook(ImapHook):
    """:class:`ImapHook` with STARTTLS, ``ssl_ca_file``, a timeout on every read and, given a
    :class:`~bluelabel.watchdog.SocketWatchdog`, a deadline for the whole connection."""

    def __init__(
        self,
        imap_conn_id: str = ImapHook.default_conn_name,
        timeout: float = 30,
        watchdog: SocketWatchdog | None = None,
    ) -> None:
        super().__init__(imap_conn_id=imap_conn_id)
        self.timeout = timeout
        self.watchdog = watchdog

    def _ssl_context(self, extra: dict[str, Any]) -> ssl.SSLContext:
        mode = str(extra.get("ssl_context") or "default")
        if mode not in ("default", "none"):
            raise IngestError(
                f"connection {self.imap_conn_id!r}",
                f"extra ssl_context must be 'default' or 'none', not {mode!r}",
            )
        context = ssl.create_default_context(cafile=extra.get("ssl_ca_file") or None)
        if mode == "none":
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def get_conn(self) -> MailboxHook:
        """Connect and log in (once); ``mail_client`` is then an ``imaplib.IMAP4``."""
        if self.mail_client is None:
            conn = self.get_connection(self.imap_conn_id)
            extra = conn.extra_dejson
            timeout = float(extra.get("timeout") or self.timeout)
            host = conn.host or ""
            client: imaplib.IMAP4
            if _flag(self.imap_conn_id, extra, "use_ssl", True):
                client = _SSLClient(
                    host,
                    conn.port or 993,
                    ssl_context=self._ssl_context(extra),
                    timeout=timeout,
                    watchdog=self.watchdog,
                )
            else:
                client = _Client(host, conn.port or 143, timeout=timeout, watchdog=self.watchdog)
                if _flag(self.imap_conn_id, extra, "starttls", False):
                    client.starttls(self._ssl_context(extra))
                else:
                    self.log.warning(
                        "IMAP connection %r uses neither SSL nor STARTTLS: the password "
                        "travels in the clear",
                        self.imap_conn_id,
                    )
            self.mail_client = client
            if conn.login and conn.password:
                client.login(conn.login, conn.password)
        return self


def _flag(conn_id: str, extra: dict[str, Any], key: str, default: bool) -> bool:
    """A yes/no extra of the connection; a value that is neither is refused (never taken as
    "no": ``use_ssl: "maybe"`` must not send the password in the clear)."""
    value = extra.get(key, default)
    try:
        return parse_bool(str(value) if type(value) is int else value)
    except ValueError:
        raise IngestError(
            f"connection {conn_id!r}", f"extra {key} must be true or false, not {value!r}"
        ) from None


def login(conn_id: str, *, timeout: float, seconds: float | None = None) -> imaplib.IMAP4:
    """A logged-in client on the connection ``conn_id``: one line for each way it fails,
    permanent (no such connection, login refused, untrusted certificate) or transient.
    ``seconds``: the client's ``watchdog`` cuts a command (the login included) still running
    that long from now (the caller cancels it when done)."""
    where = f"imap://{conn_id}"
    watchdog = (
        SocketWatchdog(seconds, grace=timeout, name="bluelabel-imap-watchdog")
        if seconds is not None
        else None
    )
    hook = MailboxHook(conn_id, timeout=timeout, watchdog=watchdog)
    try:
        with watchdog.exchange() if watchdog is not None else contextlib.nullcontext():
            return _logged_in(hook, where, watchdog)
    except BaseException:
        if watchdog is not None:
            watchdog.cancel()
        raise


def _logged_in(hook: MailboxHook, where: str, watchdog: SocketWatchdog | None) -> imaplib.IMAP4:
    try:
        hook.get_conn()
    except (AirflowNotFoundException, imaplib.IMAP4.error, OSError, EOFError) as exc:
        raise _login_failure(hook.imap_conn_id, where, exc, watchdog) from None
    assert hook.mail_client is not None
    return hook.mail_client


def _login_failure(
    conn_id: str, where: str, exc: BaseException, watchdog: SocketWatchdog | None
) -> IngestError:
    if isinstance(exc, AirflowNotFoundException):
        return IngestError(where, f"no Airflow connection {conn_id!r} (create one of type imap)")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return IngestError(
            where,
            f"the server's TLS certificate is not trusted ({exc.verify_message}); point the "
            "connection's extra ssl_ca_file at its CA",
        )
    if watchdog is not None and watchdog.expired:
        return TransientIngestError(
            where,
            f"the mail server did not finish the login within {watchdog.seconds:g} s "
            "([bluelabel] email_timeout)",
        )
    if isinstance(exc, imaplib.IMAP4.abort):
        return TransientIngestError(where, f"the mail server broke the connection: {exc}")
    if isinstance(exc, imaplib.IMAP4.error):  # login refused, STARTTLS not offered
        return IngestError(where, f"the server refused: {str(exc)[:200]}")
    return TransientIngestError(where, f"cannot reach the mail server: {exc}")  # OSError, EOF
