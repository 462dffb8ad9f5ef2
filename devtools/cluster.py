"""``make cluster`` / ``make cluster-stop``: Airflow's distributed engine as local processes.

CeleryExecutor on this machine's Redis (its own db number), a PostgreSQL metadata DB of its
own (created if missing), and one process per component -- api-server, scheduler,
dag-processor, triggerer, worker-1..N -- all on 127.0.0.1, log servers off (every component
reads the task logs from the shared log folder). The settings common to every deployment are
``docker/airflow.env``, which docker compose reads too; this module adds this machine's
addresses, paths and secrets.

    python -m devtools.cluster start|stop|status

Environment: ``CLUSTER_HOME`` (default ``cluster_home/``), ``CLUSTER_PORT`` (8080),
``CLUSTER_DB`` (``bluelabel_cluster``), ``CLUSTER_REDIS_DB`` (5), ``CLUSTER_WORKERS`` (1),
``CLUSTER_DAGS`` (the repository's ``dags/``), ``CLUSTER_POSTGRES``
(``postgresql+psycopg2://postgres@127.0.0.1:5432``), ``CLUSTER_REDIS``
(``redis://127.0.0.1:6379``).

Each component is started as the leader of a session of its own, named by its pid file with
its start time beside it (devtools/pidfiles.py): that is how ``stop`` finds exactly what it
started, children included, and nothing else, and how tests find orphans of a killed one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from devtools.pidfiles import PidFile, send, session_members, spawn

REPO = Path(__file__).resolve().parents[1]
SHARED_CONFIG = REPO / "docker" / "airflow.env"
BIN = Path(sys.executable).parent
ADMIN_USER = "admin"
START_TIMEOUT = 240.0
STOP_TIMEOUT = 45.0


class ClusterError(Exception):
    """The cluster could not be started or checked; the message says which part and why."""


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines (``#`` comments, blank lines), as docker compose's env_file."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ClusterError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        values[key] = value
    return values


@dataclass(frozen=True)
class ClusterSettings:
    home: Path
    port: int = 8080
    database: str = "bluelabel_cluster"
    redis_db: int = 5
    workers: int = 1
    dags: Path = REPO / "dags"
    postgres: str = "postgresql+psycopg2://postgres@127.0.0.1:5432"
    redis: str = "redis://127.0.0.1:6379"
    #: extra environment for every component (tests: connections, an S3 store)
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ClusterSettings:
        def number(name: str, default: int) -> int:
            raw = environ.get(name) or str(default)
            if not raw.isdigit():
                raise ClusterError(f"{name}={raw!r}: expected a whole number")
            return int(raw)

        return cls(
            home=Path(environ.get("CLUSTER_HOME") or "cluster_home").resolve(),
            port=number("CLUSTER_PORT", 8080),
            database=environ.get("CLUSTER_DB") or "bluelabel_cluster",
            redis_db=number("CLUSTER_REDIS_DB", 5),
            workers=max(1, number("CLUSTER_WORKERS", 1)),
            dags=Path(environ.get("CLUSTER_DAGS") or REPO / "dags").resolve(),
            postgres=environ.get("CLUSTER_POSTGRES") or cls.postgres,
            redis=environ.get("CLUSTER_REDIS") or cls.redis,
        )

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", self.database):
            raise ClusterError(f"CLUSTER_DB={self.database!r}: use lower-case letters, digits, _")


@dataclass(frozen=True)
class Started:
    """What ``start`` prints: where to reach the cluster and where its data is."""

    api: str
    user: str
    password_file: Path
    inbox: Path
    store: str

    def lines(self) -> list[str]:
        return [
            f"api: {self.api}",
            f"user: {self.user}",
            f"password-file: {self.password_file}",
            f"inbox: {self.inbox}",
            f"store: {self.store}",
        ]


class Cluster:
    def __init__(self, settings: ClusterSettings) -> None:
        self.settings = settings
        home = settings.home
        self.pids, self.logs = home / "pids", home / "logs"
        self.inbox, self.store = home / "inbox", home / "store"
        self.password_file = home / "admin-password"
        self.api = f"http://127.0.0.1:{settings.port}"
        self._spawned: dict[str, datetime] = {}  # component -> when this object started it

    # ----------------------------------------------------------------- configuration
    @property
    def database_url(self) -> str:
        return f"{self.settings.postgres}/{self.settings.database}"

    @property
    def catalog_database(self) -> str:
        """The knowledge store's catalog: its own database on the same server."""
        return f"{self.settings.database}_catalog"

    @property
    def catalog_uri(self) -> str:
        """The catalog as an Airflow connection URI (``AIRFLOW_CONN_BLUELABEL_CATALOG``)."""
        server = self.settings.postgres.replace("postgresql+psycopg2://", "postgresql://", 1)
        return f"{server}/{self.catalog_database}"

    @property
    def broker_url(self) -> str:
        return f"{self.settings.redis}/{self.settings.redis_db}"

    def environment(self) -> dict[str, str]:
        """The components' environment: the caller's, minus any Airflow or Bluelabel setting
        of its own (they would leak a different deployment in), plus the shared file and the
        settings of this machine."""
        home = self.settings.home
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW", "BLUELABEL_", "CLUSTER_"))
        }
        return {
            **inherited,
            "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
            **read_env_file(SHARED_CONFIG),
            **self._secrets(),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.settings.dags),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),  # the plugin: entry point
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.database_url,
            "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{self.database_url}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.settings.port),
            "AIRFLOW__API__BASE_URL": self.api,
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.logs / "airflow"),
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__BLUELABEL__STORE": str(self.store),
            # tasks, the CLI and the API server share the catalog on PostgreSQL (an S3 store
            # needs it; the local one uses it too, as a deployment would)
            "AIRFLOW_CONN_BLUELABEL_CATALOG": self.catalog_uri,
            "AIRFLOW__BLUELABEL__CATALOG_CONN_ID": "bluelabel_catalog",
            "AIRFLOW__BLUELABEL__INBOX": str(self.inbox / "batch"),
            "AIRFLOW__BLUELABEL__ALLOWED_ROOTS": str(self.inbox),
            "AIRFLOW__BLUELABEL__OUTBOX": str(home / "outbox"),
            "AIRFLOW__BLUELABEL__WORKFLOW_CACHE": str(home / "workflow-cache"),
            **self.settings.extra_env,
        }

    def _secrets(self) -> dict[str, str]:
        """One fernet key, JWT secret and session key for every component, kept in the home
        (tokens stay valid and connections readable across restarts)."""
        path = self.settings.home / "secrets.json"
        if not path.exists():
            from cryptography.fernet import Fernet

            path.parent.mkdir(parents=True, exist_ok=True)
            values = {
                "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            }
            _write_private(path, json.dumps(values, indent=2))
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded

    def components(self) -> dict[str, list[str]]:
        airflow = str(BIN / "airflow")
        parts = {
            "api-server": [airflow, "api-server", "--host", "127.0.0.1"],
            "scheduler": [airflow, "scheduler", "--skip-serve-logs"],
            "dag-processor": [airflow, "dag-processor"],
            "triggerer": [airflow, "triggerer", "--skip-serve-logs"],
        }
        parts["api-server"] += ["--port", str(self.settings.port)]
        for n in range(1, self.settings.workers + 1):
            parts[f"worker-{n}"] = [
                airflow, "celery", "worker", "--skip-serve-logs",
                "--celery-hostname", f"worker-{n}@bluelabel",
            ]  # fmt: skip
        return parts

    # ----------------------------------------------------------------- processes
    def pid_file(self, name: str) -> PidFile:
        return PidFile(self.pids, name)

    def pid_of(self, name: str) -> int | None:
        """The pid of component ``name`` if it runs and is the process this cluster started."""
        return self.pid_file(name).running()

    def running(self) -> dict[str, int]:
        return {name: pid for name in self.components() if (pid := self.pid_of(name))}

    def processes(self, component: str | None = None) -> list[int]:
        """Every live process of this cluster's components (or of one), children included,
        also those whose component has died."""
        names = self.components() if component is None else [component]
        return session_members({s for n in names if (s := self.pid_file(n).session())})

    # ----------------------------------------------------------------- start
    def start(self, *, fresh: bool = False) -> Started:
        """Start what is not running and wait until every component is healthy.

        ``fresh``: drop and re-create the database and empty the Redis db first (tests)."""
        running = self.running()
        missing = [name for name in self.components() if name not in running]
        if missing:
            for folder in (self.pids, self.logs, self.inbox / "batch", self.store):
                folder.mkdir(parents=True, exist_ok=True)
            (self.settings.home / "plugins").mkdir(exist_ok=True)
            if fresh and not running:
                self._reset()
            self._prepare()
            env = self.environment()
            for name in missing:
                self._spawn(name, env)
        self._wait_healthy()
        return Started(self.api, ADMIN_USER, self.password_file, self.inbox, str(self.store))

    def _reset(self) -> None:
        import redis

        with _admin_cursor(self.settings.postgres) as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{self.settings.database}" WITH (FORCE)')
            cur.execute(f'DROP DATABASE IF EXISTS "{self.catalog_database}" WITH (FORCE)')
        redis.Redis.from_url(self.broker_url).flushdb()
        (self.settings.home / "migrated").unlink(missing_ok=True)

    def _prepare(self) -> None:
        """The database (created if missing), its schema and the admin user, once."""
        with _admin_cursor(self.settings.postgres) as cur:
            for database in (self.settings.database, self.catalog_database):
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{database}"')
        stamp = self.settings.home / "migrated"
        if stamp.exists() and stamp.read_text() == self.database_url:
            return
        self._airflow("db", "migrate")
        if not self.password_file.exists():
            _write_private(self.password_file, secrets.token_urlsafe(18) + "\n")
        password = self.password_file.read_text().strip()
        created = self._airflow(
            "users", "create", "--username", ADMIN_USER, "--password", password,
            "--role", "Admin", "--firstname", "Bluelabel", "--lastname", "Admin",
            "--email", "admin@localhost",
        )  # fmt: skip
        if "already exist" in created:
            self._airflow("users", "reset-password", "--username", ADMIN_USER,
                          "--password", password)  # fmt: skip
        stamp.write_text(self.database_url)

    def _airflow(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "airflow"), *args],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=600,
            cwd=self.settings.home,
        )
        if done.returncode:
            raise ClusterError(f"airflow {args[0]} {args[1]} failed:\n{done.stderr[-3000:]}")
        return done.stdout + done.stderr

    def _spawn(self, name: str, env: dict[str, str]) -> None:
        # its own session: stop() finds its children too, and tests its orphans
        self._spawned[name] = datetime.now(timezone.utc)
        pid = spawn(self.components()[name], env, self.logs / f"{name}.log", self.settings.home)
        self.pid_file(name).record(pid)

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        waiting = set(self.components())
        while waiting:
            for name in sorted(waiting):
                if self.pid_of(name) is None:
                    raise ClusterError(f"{name} exited; see {self.logs / f'{name}.log'}")
            waiting -= self._healthy(waiting)
            if not waiting:
                break
            if time.monotonic() > deadline:
                raise ClusterError(f"not healthy after {START_TIMEOUT:.0f} s: {sorted(waiting)}")
            time.sleep(1)
        # The API server builds its execution API on the first request to it: a task's first
        # call would wait for that past its 5 s timeout and retry. Make that request here.
        with urllib.request.urlopen(f"{self.api}/execution/health", timeout=60) as response:
            response.read()

    def _healthy(self, names: set[str]) -> set[str]:
        healthy: set[str] = set()
        try:
            with urllib.request.urlopen(f"{self.api}/api/v2/monitor/health", timeout=5) as r:
                health = json.loads(r.read())
        except (urllib.error.URLError, OSError, ValueError):
            return healthy
        healthy.add("api-server")
        for name, key in (
            ("scheduler", "scheduler"),
            ("dag-processor", "dag_processor"),
            ("triggerer", "triggerer"),
        ):
            job = health.get(key) or {}
            beat = job.get(f"latest_{key}_heartbeat")
            # a component just restarted: the heartbeat must be its own, not its dead twin's
            fresh = beat is not None and datetime.fromisoformat(beat) >= self._spawned.get(
                name, datetime.min.replace(tzinfo=timezone.utc)
            )
            if job.get("status") == "healthy" and fresh:
                healthy.add(name)
        workers = sorted(n for n in names if n.startswith("worker-"))
        if workers:
            from celery import Celery

            app = Celery(broker=self.broker_url)
            replies = app.control.ping([f"{n}@bluelabel" for n in workers], timeout=2.0)
            healthy |= {host.split("@")[0] for reply in replies for host in reply}
        return healthy

    # ----------------------------------------------------------------- stop
    def stop(self) -> list[str]:
        """Stop the components this cluster started (and their children); return their names."""
        started = self.running()
        for pid in started.values():
            send(pid, signal.SIGTERM)  # warm shutdown: the worker finishes its tasks
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline and any(self.pid_of(n) for n in started):
            time.sleep(0.5)
        for pid in self.processes():  # what did not stop in time, and orphaned children
            send(pid, signal.SIGKILL)
        for name in self.components():
            self.pid_file(name).remove()
        return sorted(started)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


@contextlib.contextmanager
def _admin_cursor(server: str) -> Iterator[Any]:
    """A cursor on the server's ``postgres`` database, autocommit (CREATE DATABASE needs it)."""
    import psycopg2
    from sqlalchemy.engine import make_url

    url = make_url(f"{server}/postgres")
    conn = psycopg2.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, dbname="postgres"
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in (["start"], ["stop"], ["status"]):
        print("usage: python -m devtools.cluster start|stop|status", file=sys.stderr)
        return 2
    cluster = Cluster(ClusterSettings.from_environment())
    try:
        if args == ["start"]:
            print("\n".join(cluster.start().lines()))
        elif args == ["stop"]:
            stopped = cluster.stop()
            print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
        else:
            running = cluster.running()
            for name in cluster.components():
                pid = running.get(name)
                print(f"{name}: {f'running, pid {pid}' if pid else 'stopped'}")
            return 0 if len(running) == len(cluster.components()) else 1
    except ClusterError as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
