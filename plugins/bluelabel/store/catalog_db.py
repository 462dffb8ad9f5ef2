"""Where the knowledge store's catalog lives, and its schema: the engine of one URL per
process (after a fork, a fresh pool), Airflow connections as SQLAlchemy URLs (``AIRFLOW_CONN_<ID>``
read without importing Airflow), and Alembic migrations on first use, under a lock (a
PostgreSQL advisory lock; a lock file beside an SQLite catalog) so concurrent first users
migrate once."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bluelabel.errors import StoreError

#: The schema version the code expects (the newest file in ``store/migrations/versions``).
HEAD = "0003"
SQLITE_NAME = "catalog.sqlite3"

#: A process's engines, the most recently used last; past :data:`MAX_ENGINES` (a process that
#: opens many stores: tests, tools) the least recently used one is closed.
_engines: dict[str, Any] = {}
MAX_ENGINES = 8
_engines_lock = threading.Lock()
_migrated: set[str] = set()


def _after_fork() -> None:
    # A forked worker must not share its parent's connections (their sockets, SQLite locks).
    for engine in _engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork)


def connection_url(conn_id: str) -> str:
    """The SQLAlchemy URL of Airflow connection ``conn_id``: ``AIRFLOW_CONN_<ID>`` (a URI, as
    Airflow takes it) when set, else Airflow's own lookup (through :mod:`bluelabel.ports`)."""
    from bluelabel.ports import port

    uri = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if uri and uri.lstrip().startswith("{"):
        uri = _uri_of_json(json.loads(uri))
    if not uri:
        uri = port("connection_uri")(conn_id)
    scheme, sep, rest = uri.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgres", "postgresql", "sqlite"):
        raise StoreError(
            f"[bluelabel] catalog_conn_id = {conn_id}: connection is not PostgreSQL "
            f"({scheme or uri[:20]}://...); the catalog needs a postgresql:// connection"
        )
    if scheme.split("+")[0] in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg2"
        rest = rest.split("?", 1)[0] if "__extra__" in rest else rest
    return f"{scheme}://{rest}"


def _uri_of_json(data: dict[str, Any]) -> str:
    user = data.get("login") or ""
    password = f":{data['password']}" if data.get("password") else ""
    port = f":{data['port']}" if data.get("port") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgresql://{auth}{data.get('host', '')}{port}/{data.get('schema', '')}"


def store_schema(store_root: Any) -> str:
    """The PostgreSQL schema of a store's catalog in a shared database: one per store (a run
    may name another store than the configured one, e.g. on S3, and its documents must not be
    found in the configured store's catalog), named after the store's location."""
    return "bluelabel_" + hashlib.sha256(str(store_root).encode()).hexdigest()[:16]


def catalog_url(store_root: Any, is_local: bool, conn_id: str) -> str:
    """Where the catalog of a store is: the store's own schema (:func:`store_schema`) of the
    connection's database, or SQLite beside it."""
    if conn_id:
        url = connection_url(conn_id)
        if not url.startswith("postgresql"):
            return url
        schema = store_schema(store_root)
        return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    if not is_local:
        raise StoreError(
            f"the knowledge store {store_root} is not a local folder, so its catalog cannot be "
            "embedded: set [bluelabel] catalog_conn_id to a PostgreSQL connection "
            "(e.g. AIRFLOW_CONN_BLUELABEL_CATALOG=postgresql://user@host/db)"
        )
    return f"sqlite:///{Path(store_root) / SQLITE_NAME}"


def _sqlite_engine(url: str) -> Any:
    from sqlalchemy import create_engine, event

    path = Path(url[len("sqlite:///") :])
    with contextlib.suppress(OSError):  # a read-only store: said by the first write
        path.parent.mkdir(parents=True, exist_ok=True)
    # A store on a read-only file system is still read (digests, search): WAL would need to
    # write its shared-memory file, so the catalog is opened as immutable instead.
    read_only = path.exists() and not os.access(path.parent, os.W_OK)
    if read_only:
        import sqlite3

        engine = create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(
                f"file:{path}?immutable=1", uri=True, check_same_thread=False
            ),
        )
    else:
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _connect(dbapi: Any, _record: Any) -> None:
        dbapi.isolation_level = None  # transactions begin where we say, as we say
        if not read_only:
            dbapi.execute("PRAGMA journal_mode = WAL")
            dbapi.execute("PRAGMA synchronous = NORMAL")
        dbapi.execute("PRAGMA busy_timeout = 60000")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # A writer takes the write lock at once: two readers upgrading to writers deadlock.
        write = conn.get_execution_options().get("write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def engine_for(url: str) -> Any:
    """This process's engine of ``url``, the schema migrated to the latest version."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                engine = _sqlite_engine(url)
            else:
                from sqlalchemy import create_engine

                engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=20)
            _engines[url] = engine
            while len(_engines) > MAX_ENGINES:
                oldest = next(iter(_engines))
                _engines.pop(oldest).dispose()
                _migrated.discard(oldest)
        else:
            _engines[url] = _engines.pop(url)  # most recently used
        if url not in _migrated:
            migrate(engine)
            _migrated.add(url)
    return engine


def _version(conn: Any) -> str | None:
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table("bluelabel_alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM bluelabel_alembic_version")).first()
    return None if row is None else str(row[0])


@contextlib.contextmanager
def _migration_lock(engine: Any, conn: Any) -> Iterator[None]:
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(4242022)"))
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(4242022)"))
        return
    with open(f"{engine.url.database}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _schema_of(url: Any) -> str | None:
    """The schema a PostgreSQL URL's ``options=-csearch_path=...`` names, if any."""
    options = str(url.query.get("options", "")) if url.get_backend_name() == "postgresql" else ""
    prefix = "-csearch_path="
    if not options.startswith(prefix):
        return None
    schema = options[len(prefix) :]
    if not schema.replace("_", "").isalnum():
        raise StoreError(f"catalog schema {schema!r}: letters, digits and _ only")
    return schema


def migrate(engine: Any) -> None:
    """Bring the schema to :data:`HEAD` with Alembic (nothing to do: one small query)."""
    try:
        with engine.connect() as conn:
            if _version(conn) == HEAD:
                conn.rollback()
                return
            conn.rollback()
        from alembic import command
        from alembic.config import Config

        with engine.connect() as conn, _migration_lock(engine, conn):
            schema = _schema_of(engine.url)
            if schema:  # the store's own schema (search_path), made before its tables
                conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            conn.commit()
            config = Config()
            config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            conn.commit()
    except Exception as exc:
        if isinstance(exc, StoreError):
            raise
        raise StoreError(
            f"cannot open the knowledge store's catalog {engine.url!r}: {exc}"
        ) from exc
