"""Stores whose catalog is SQLite (beside the store) or PostgreSQL (127.0.0.1, a database of
this test session; skipped when no server answers)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bluelabel.store import KnowledgeStore
from bluelabel.store.catalog_db import HEAD

PG_SERVER = os.environ.get("BLUELABEL_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432")
#: One database per schema version (a checkout with a newer migration must not move a database
#: an older one uses: it could not open it again) and per xdist worker; ``BLUELABEL_TEST_PG_DB``
#: names another prefix (several checkouts testing on one server).
PG_DATABASE = "_".join(
    (
        os.environ.get("BLUELABEL_TEST_PG_DB", "bluelabel_catalog_test"),
        HEAD,
        os.environ.get("PYTEST_XDIST_WORKER", "main"),
    )
)


def pg_url() -> str:
    """The test database, created once (skips the test without a server)."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    server = sqlalchemy.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.execute(
                sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": PG_DATABASE}
            ).first()
            if not exists:
                conn.execute(sqlalchemy.text(f'CREATE DATABASE "{PG_DATABASE}"'))
    except sqlalchemy.exc.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {PG_SERVER}: {exc.orig}")
    finally:
        server.dispose()
    return f"{PG_SERVER}/{PG_DATABASE}"


def empty_pg_catalog() -> str:
    from sqlalchemy import text

    from bluelabel.store.catalog import Catalog

    url = pg_url()
    with Catalog(url).writing() as conn:  # migrated; emptied for this test
        conn.execute(
            text(
                "TRUNCATE bluelabel_documents, bluelabel_tags, bluelabel_provenance, "
                "bluelabel_digests, bluelabel_tries"
            )
        )
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KnowledgeStore]:
    """A store whose catalog is each of the two dialects in turn."""
    url = empty_pg_catalog() if request.param == "postgresql" else None
    yield KnowledgeStore(tmp_path / "store", catalog=url)
