"""A throwaway IMAP server: Debian's Dovecot on 127.0.0.1 with its own configuration, user,
maildir and self-signed certificate in a temporary folder; nothing of the system's Dovecot
configuration is read or touched. For the tests (one server a session) and the benchmarks.

Ports: two free loopback ports picked when it starts -- IMAP with STARTTLS, and IMAPS.
Callers use folders of their own (``server.folder(name)``), so they can share one server.
"""

from __future__ import annotations

import contextlib
import datetime
import imaplib
import json
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from devtools.waiting import free_port, wait_until

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bluelabel-test-imap")])
    now = datetime.datetime.now(datetime.timezone.utc)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class ImapServer:
    host: str
    port: int  # plain IMAP, STARTTLS offered
    ssl_port: int  # IMAPS
    user: str
    password: str
    cafile: Path
    log: Path

    def connection(self, *, mode: str = "starttls", **extra: object) -> dict[str, object]:
        """An Airflow connection (type imap) to this server, as ``AIRFLOW_CONN_*`` JSON takes
        it: ``starttls`` (the default), ``ssl`` or ``plain``; verified against the throwaway
        certificate through the extra ``ssl_ca_file``."""
        tls = {
            "starttls": {"use_ssl": False, "starttls": True},
            "ssl": {"use_ssl": True},
            "plain": {"use_ssl": False},
        }[mode]
        return {
            "conn_type": "imap",
            "host": self.host,
            "port": self.ssl_port if mode == "ssl" else self.port,
            "login": self.user,
            "password": self.password,
            "extra": {**tls, "ssl_ca_file": str(self.cafile), **extra},
        }

    def connection_env(self, name: str, mode: str = "starttls") -> dict[str, str]:
        """``AIRFLOW_CONN_<NAME>`` for :meth:`connection`."""
        return {f"AIRFLOW_CONN_{name.upper()}": json.dumps(self.connection(mode=mode))}

    @contextlib.contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        context = ssl.create_default_context(cafile=str(self.cafile))
        client = imaplib.IMAP4_SSL(self.host, self.ssl_port, ssl_context=context, timeout=10)
        client.login(self.user, self.password)
        try:
            yield client
        finally:
            client.logout()

    def folder(self, name: str, messages: Sequence[bytes] = (), *, seen: bool = False) -> str:
        """A fresh folder ``name`` (emptied if it exists) holding ``messages``."""
        with self.client() as client:
            client.delete(f'"{name}"')
            client.create(f'"{name}"')
            for raw in messages:
                flags = "(\\Seen)" if seen else None
                status, _ = client.append(f'"{name}"', flags, None, raw)
                assert status == "OK"
        return name

    def messages(self, name: str, criteria: str = "ALL") -> list[int]:
        with self.client() as client:
            status, _ = client.select(f'"{name}"')
            if status != "OK":
                return []
            _, data = client.uid("SEARCH", criteria)
            return [int(u) for u in (data[0] or b"").split()]


def _config(root: Path, server: ImapServer, cert: Path, key: Path, uid: int, gid: int) -> str:
    me = pwd.getpwuid(os.getuid()).pw_name
    unprivileged = (
        "" if os.getuid() == 0 else (f"default_internal_user = {me}\ndefault_login_user = {me}\n")
    )
    return f"""# throwaway configuration of the test session's IMAP server
base_dir = {root}/run
state_dir = {root}/state
instance_name = bluelabel-test-{server.port}
log_path = {server.log}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_fsync = never
mail_location = maildir:{root}/mail/%u
{unprivileged}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {server.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {server.ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


class ImapServerError(RuntimeError):
    """Dovecot is not installed or did not start; the message says why."""


@contextlib.contextmanager
def running_imap_server() -> Iterator[ImapServer]:
    """Dovecot on two free loopback ports until the block ends (then stopped, its folder gone)."""
    if not Path(DOVECOT).exists():
        raise ImapServerError("dovecot not found: apt-get install dovecot-imapd")
    # Not under pytest's temporary folder: Dovecot's own users must be able to reach it.
    root = Path(tempfile.mkdtemp(prefix="bluelabel-test-dovecot-"))
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    root.chmod(0o755)
    cert, key = certificate(root)
    server = ImapServer(
        host="127.0.0.1",
        port=free_port(),
        ssl_port=free_port(),
        user="bluelabel",
        password=secrets.token_urlsafe(12),
        cafile=cert,
        log=root / "dovecot.log",
    )
    (root / "passwd").write_text(f"{server.user}:{{PLAIN}}{server.password}\n")
    # As root, the mail user must be someone else: Dovecot never serves mail as root.
    uid, gid = (65534, 65534) if os.getuid() == 0 else (os.getuid(), os.getgid())
    os.chown(root / "mail", uid, gid)
    config = root / "dovecot.conf"
    config.write_text(_config(root, server, cert, key, uid, gid))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        def listening() -> bool:
            if process.poll() is not None:
                return True  # it died: stop waiting
            with contextlib.suppress(OSError):
                socket.create_connection((server.host, server.ssl_port), timeout=1).close()
                return True
            return False

        try:
            wait_until(listening, timeout=20, what="dovecot listening", interval=0.05)
        except AssertionError:
            process.kill()
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            log = server.log.read_text() if server.log.exists() else ""
            raise ImapServerError(f"dovecot did not start: {err} {log}"[-2000:])
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)
