"""Alembic environment of the knowledge store's catalog: run on the connection the catalog
hands over (``config.attributes["connection"]``), with its own version table, so the catalog
can share a database with other applications."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table="bluelabel_alembic_version")
with context.begin_transaction():
    context.run_migrations()
