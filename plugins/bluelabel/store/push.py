"""Live progress pushed through the catalog's PostgreSQL database: a task notifies
(``NOTIFY``) each value on :data:`CHANNEL`, every API-server process listens (``LISTEN``)
there, so a value reaches the browsers without anyone polling.

With ``[bluelabel] catalog_conn_id`` every store's catalog is a schema of one database, and
PostgreSQL's channels are per database: one listener per API-server process hears every task.
An embedded (SQLite) catalog has no such channel; progress then goes through the task state
store alone, which the API servers poll (:mod:`bluelabel.web.progress_feed`).

A notification is delivered only to sessions listening when it is sent and is lost with them;
the task state store keeps the last value, for a restarted API server and Airflow's own tab.
"""

from __future__ import annotations

import json
import logging
import select
from collections.abc import Callable, Iterator
from typing import Any

from bluelabel.store.catalog_db import engine_for

log = logging.getLogger(__name__)

CHANNEL = "bluelabel_progress"
#: PostgreSQL refuses a payload of 8,000 bytes or more; a progress value is ~250.
MAX_PAYLOAD_BYTES = 7_900


def pushes(url: str | None) -> bool:
    """Whether a catalog at ``url`` can push (PostgreSQL)."""
    return bool(url) and str(url).startswith("postgresql")


def notify(url: str, value: dict[str, Any]) -> None:
    """Send ``value`` (JSON) to every API server listening on the catalog's database."""
    from sqlalchemy import text

    payload = json.dumps(value, separators=(",", ":"))
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"progress value of {len(payload)} characters is too large to push")
    with engine_for(url).connect() as conn:
        conn.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
        )
        conn.commit()


def listen(url: str, *, wait: float, stop: Callable[[], bool]) -> Iterator[list[dict[str, Any]]]:
    """The values notified on the catalog's database, a batch at a time, as they come: an
    empty batch after ``wait`` seconds without any (so the caller can do its rounds), until
    ``stop()`` answers true. The connection is the listener's own (not returned to the pool)."""
    raw = engine_for(url).raw_connection()
    try:
        connection = raw.driver_connection  # psycopg2's
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")
        while not stop():
            if select.select([connection], [], [], wait) == ([], [], []):
                yield []
                continue
            connection.poll()
            batch = []
            while connection.notifies:
                payload = connection.notifies.pop(0).payload
                try:
                    value = json.loads(payload)
                except ValueError:
                    log.warning("bluelabel: a progress notification not in JSON: %.200s", payload)
                    continue
                if isinstance(value, dict):
                    batch.append(value)
            yield batch
    finally:
        raw.invalidate()  # LISTEN and autocommit stay with the connection: never reuse it
