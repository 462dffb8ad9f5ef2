"""Fetching a URL safely: http(s) only, each hop's address checked, timeouts, byte limit.

Connections go to the address that was checked (not re-resolved), so a name that resolves to a
public address at check time cannot reach a private one at connect time. The total deadline
covers everything (connect, status line, headers, redirects, body): a watchdog shuts the
socket when it passes, so a server that trickles its headers a byte at a time cannot hold a
task forever. Failures say whether a retry may help (timeouts, 5xx, resets) or not.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

from bluelabel import __version__
from bluelabel.agents.formats.charset import decode_declared
from bluelabel.errors import IngestError, TransientIngestError
from bluelabel.watchdog import SocketWatchdog

USER_AGENT = f"bluelabel-airflow/{__version__}"


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch. ``allow_private``: permit private/loopback/link-local hosts."""

    timeout: float = 20.0  # per connect/read
    total_timeout: float = 60.0  # the whole fetch, redirects included
    max_bytes: int = 50_000_000
    max_redirects: int = 5
    allow_private: bool = False


@dataclass
class FetchResult:
    url: str  # after redirects
    status: int
    content_type: str
    charset: str | None
    size: int
    redirects: list[str]


def _check_address(url: str, host: str, port: int, policy: FetchPolicy) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        message = f"cannot resolve host {host!r}: {exc.strerror}"
        if exc.errno in (socket.EAI_AGAIN, getattr(socket, "EAI_SYSTEM", None)):
            raise TransientIngestError(url, message) from None
        raise IngestError(url, message) from None
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        public = not (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        )
        if not public and not policy.allow_private:
            raise IngestError(
                url,
                f"refused: {host} resolves to non-public address {address} "
                "(set allow_private_urls to permit it)",
            )
    return str(infos[0][4][0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = raw  # the watchdog can end a handshake that trickles
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def fetch_url(url: str, sink: BinaryIO, policy: FetchPolicy) -> FetchResult:
    """Download ``url`` into ``sink``; raise :class:`IngestError` naming the URL and reason."""
    watchdog = SocketWatchdog(policy.total_timeout, name="bluelabel-fetch-watchdog")
    try:
        with watchdog.exchange():  # one exchange: the whole fetch, redirects included
            return _fetch(url, sink, policy, watchdog)
    finally:
        watchdog.cancel()


def _fetch(url: str, sink: BinaryIO, policy: FetchPolicy, watchdog: SocketWatchdog) -> FetchResult:
    redirects: list[str] = []
    current = url
    while True:
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https"):
            raise IngestError(
                url, f"only http and https URLs are allowed, not {parts.scheme or 'a bare path'!r}"
            )
        if not parts.hostname:
            raise IngestError(url, "the URL has no host")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _check_address(url, parts.hostname, port, policy)
        connection_type = (
            _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
        )
        remaining = watchdog.seconds_left
        if remaining <= 0:
            raise TransientIngestError(url, f"timed out after {policy.total_timeout:g} s")
        connection = connection_type(address, parts.hostname, port, min(policy.timeout, remaining))
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        watchdog.watch(functools.partial(getattr, connection, "sock"))  # this hop's socket
        try:
            connection.connect()
            connection.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                response.close()
                if not location:
                    raise IngestError(url, f"HTTP {response.status} redirect without a Location")
                if len(redirects) >= policy.max_redirects:
                    raise IngestError(url, f"too many redirects (more than {policy.max_redirects})")
                current = urljoin(current, location)
                if current in redirects or current == url:
                    raise IngestError(url, f"redirect loop at {current}")
                redirects.append(current)
                continue
            if response.status >= 400:
                status = f"HTTP {response.status} {response.reason}"
                if response.status >= 500 or response.status in (408, 429):
                    raise TransientIngestError(url, status)
                raise IngestError(url, status)
            encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
            if encoding not in ("identity", ""):
                raise IngestError(
                    url,
                    f"the server sent a compressed response (Content-Encoding: {encoding}), "
                    "which was not asked for",
                )
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                raise IngestError(
                    url,
                    f"response is {int(declared)} bytes, over the {policy.max_bytes}-byte limit",
                )
            size = 0
            while True:
                remaining = watchdog.seconds_left
                if remaining <= 0:
                    raise TransientIngestError(url, f"timed out after {policy.total_timeout:g} s")
                if connection.sock is not None:
                    connection.sock.settimeout(min(policy.timeout, remaining))
                block = response.read1(65536)  # what has arrived, not a full block
                if not block:
                    break
                size += len(block)
                if size > policy.max_bytes:
                    raise IngestError(url, f"response is over the {policy.max_bytes}-byte limit")
                sink.write(block)
            message = Message()
            message["content-type"] = response.getheader("Content-Type", "application/octet-stream")
            return FetchResult(
                url=current,
                status=response.status,
                content_type=message.get_content_type(),
                charset=message.get_content_charset(),
                size=size,
                redirects=redirects,
            )
        except TimeoutError:
            if watchdog.expired or watchdog.seconds_left <= 0:
                raise TransientIngestError(
                    url, f"timed out after {policy.total_timeout:g} s"
                ) from None
            raise TransientIngestError(
                url, f"timed out (no answer within {policy.timeout:g} s)"
            ) from None
        except ssl.SSLError as exc:
            if watchdog.expired or watchdog.seconds_left <= 0:
                raise TransientIngestError(
                    url, f"timed out after {policy.total_timeout:g} s"
                ) from None
            raise IngestError(url, f"TLS error: {exc.reason or exc}") from None
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            if watchdog.expired or watchdog.seconds_left <= 0:
                raise TransientIngestError(
                    url, f"timed out after {policy.total_timeout:g} s"
                ) from None
            raise TransientIngestError(url, f"connection failed: {exc}") from None
        finally:
            connection.close()


#: Content types read as text; anything else must look like text to be accepted.
TEXT_TYPES = ("application/xhtml+xml", "application/xml", "application/json")


def is_text_type(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type in TEXT_TYPES


def decode_body(raw: bytes, charset: str | None) -> str:
    """The body as text in its declared charset (UTF-8 when none or an unusable one)."""
    return decode_declared(raw, charset)


def looks_like_pdf(path: Path, content_type: str) -> bool:
    if content_type == "application/pdf":
        return True
    with path.open("rb") as handle:
        return handle.read(5) == b"%PDF-"
