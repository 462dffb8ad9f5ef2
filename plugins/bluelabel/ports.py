"""What the Airflow-free core needs from Airflow, asked for through ports the Airflow layer fills.

The agents and the store never import Airflow, not even lazily. Where they need something only
Airflow has -- an object-store path resolved through Airflow's connections, an LLM agent built
from a ``pydanticai`` connection, a logged-in IMAP client from an ``imap`` connection -- they
call the port here; :func:`bluelabel.airflow_ports.install` (the operators, the plugin's API,
the CLI) plugs Airflow's implementation in, and tests can plug in their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bluelabel.errors import BluelabelError


class PortMissing(BluelabelError):
    """The core was asked for something only the Airflow layer provides, and none is plugged in."""


@dataclass
class Ports:
    #: ``url -> path`` for object-store URLs (``s3://conn@bucket/prefix``): Airflow's
    #: ``ObjectStoragePath``
    remote_path: Callable[[str], Any] | None = None
    #: ``(conn_id, model_id, instructions) -> agent`` with ``run_sync(prompt, model_settings=)``
    llm_agent: Callable[[str, str | None, str], Any] | None = None
    #: ``(conn_id, timeout=, seconds=) -> imaplib.IMAP4``: logged in on an IMAP connection
    imap_login: Callable[..., Any] | None = None
    #: ``(section, key) -> str | None``: a configuration value as this process's Airflow
    #: reads it (``conf.get``). Unset (the CLI): :mod:`bluelabel.cfgfile` reads the
    #: environment and ``airflow.cfg`` the same way, without importing Airflow.
    airflow_option: Callable[[str, str], str | None] | None = None
    #: ``secret path -> str | None``: a configuration value from Airflow's secrets backend
    #: (``AIRFLOW__SECTION__KEY_SECRET`` of a sensitive key): Airflow is imported for it
    config_secret: Callable[[str], str | None] | None = None
    #: ``conn_id -> URI``: an Airflow connection (the catalog's database) as a URI, looked up
    #: the way this process's Airflow looks connections up
    connection_uri: Callable[[str], str] | None = None


PORTS = Ports()

_NEEDS = {
    "remote_path": "an object-store URL (s3://...) is opened through Airflow's ObjectStoragePath",
    "llm_agent": "LLM summaries use an Airflow connection of type pydanticai",
    "imap_login": "a mailbox is read through an Airflow connection of type imap",
    "config_secret": "a configuration value named by a _SECRET variant is in Airflow's "
    "secrets backend",
    "connection_uri": "the catalog's connection ([bluelabel] catalog_conn_id) is looked up "
    "through Airflow (or set AIRFLOW_CONN_<ID> to its URI)",
}


def port(name: str) -> Callable[..., Any]:
    """The implementation plugged into port ``name``; :class:`PortMissing` when there is none."""
    implementation: Callable[..., Any] | None = getattr(PORTS, name)
    if implementation is None:
        raise PortMissing(
            f"{_NEEDS[name]}, and this process has no Airflow integration installed "
            "(bluelabel.airflow_ports.install())"
        )
    return implementation
