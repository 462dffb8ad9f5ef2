"""Airflow's implementations of the core's ports (:mod:`bluelabel.ports`).

:func:`install` only plugs functions in; Airflow itself is imported when a port is first used,
so a CLI command on a local store never pays for it.
"""

from __future__ import annotations

from typing import Any

from bluelabel.ports import PORTS


def object_storage_path(url: str) -> Any:
    from airflow.sdk import ObjectStoragePath

    return ObjectStoragePath(url)


def llm_agent(conn_id: str, model_id: str | None, instructions: str) -> Any:
    from airflow.providers.common.ai.hooks.pydantic_ai import PydanticAIHook

    hook = PydanticAIHook(llm_conn_id=conn_id, model_id=model_id)
    return hook.create_agent(instructions=instructions)


def imap_login(conn_id: str, *, timeout: float, seconds: float | None = None) -> Any:
    from bluelabel.hooks.imap import login

    return login(conn_id, timeout=timeout, seconds=seconds)


def airflow_option(section: str, key: str) -> str | None:
    from airflow.configuration import conf

    value = conf.get(section, key, fallback=None)
    return None if value is None else str(value)


def config_secret(path: str) -> str | None:
    from airflow.configuration import conf

    value: str | None = conf._get_config_value_from_secret_backend(path)
    return value


def connection_uri(conn_id: str) -> str:
    """The connection as a URI: through the Task SDK in a task, else Airflow's secrets
    backends and metadata DB (the API server, the CLI)."""
    try:
        from airflow.sdk import BaseHook

        uri: str = BaseHook.get_connection(conn_id).get_uri()
        return uri
    except Exception:  # no task context here: ask Airflow's own lookup
        from airflow.models.connection import Connection

        return str(Connection.get_connection_from_secrets(conn_id).get_uri())


def install(*, configuration: bool = True) -> None:
    """Plug Airflow into every port not already filled (a test's own stays).

    ``configuration=False`` (the CLI) leaves settings to :mod:`bluelabel.cfgfile`, which reads
    them as Airflow does without importing it; Airflow's processes read its own ``conf``.
    """
    PORTS.remote_path = PORTS.remote_path or object_storage_path
    PORTS.llm_agent = PORTS.llm_agent or llm_agent
    PORTS.imap_login = PORTS.imap_login or imap_login
    PORTS.config_secret = PORTS.config_secret or config_secret
    PORTS.connection_uri = PORTS.connection_uri or connection_uri
    if configuration:
        PORTS.airflow_option = PORTS.airflow_option or airflow_option
