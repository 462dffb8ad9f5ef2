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
"""

from __future__ import annotations

import imaplib
import ssl
from typing import Any

from airflow.providers.imap.hooks.imap import ImapHook
from airflow.sdk.exceptions import AirflowNotFoundException

from bluelabel.errors import IngestError, TransientIngestError


class MailboxHook(ImapHook):
    """:class:`ImapHook` with STARTTLS, ``ssl_ca_file`` and a timeout on every read."""

    def __init__(self, imap_conn_id: str = ImapHook.default_conn_name, timeout: float = 30) -> None:
        super().__init__(imap_conn_id=imap_conn_id)
        self.timeout = timeout

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
            if _true(extra.get("use_ssl", True)):
                client = imaplib.IMAP4_SSL(
                    host, conn.port or 993, ssl_context=self._ssl_context(extra), timeout=timeout
                )
            else:
                client = imaplib.IMAP4(host, conn.port or 143, timeout=timeout)
                if _true(extra.get("starttls", False)):
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


def _true(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def login(conn_id: str, *, timeout: float) -> imaplib.IMAP4:
    """A logged-in client on the connection ``conn_id``: one line for each way it fails,
    permanent (no such connection, login refused, untrusted certificate) or transient."""
    where = f"imap://{conn_id}"
    hook = MailboxHook(conn_id, timeout=timeout)
    try:
        hook.get_conn()
    except AirflowNotFoundException:
        raise IngestError(
            where, f"no Airflow connection {conn_id!r} (create one of type imap)"
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise IngestError(
            where,
            f"the server's TLS certificate is not trusted ({exc.verify_message}); point the "
            "connection's extra ssl_ca_file at its CA",
        ) from None
    except imaplib.IMAP4.abort as exc:
        raise TransientIngestError(where, f"the mail server broke the connection: {exc}") from None
    except imaplib.IMAP4.error as exc:  # login refused, STARTTLS not offered
        raise IngestError(where, f"the server refused: {str(exc)[:200]}") from None
    except (OSError, EOFError) as exc:  # ssl.SSLError is an OSError
        raise TransientIngestError(where, f"cannot reach the mail server: {exc}") from None
    assert hook.mail_client is not None
    return hook.mail_client
