"""The catalog: documents, their tags, provenance, and the full-text index of the dialect.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bluelabel_documents",
        sa.Column("content_id", sa.String(128), primary_key=True),
        # SQLite: the stable rowid of the document's full-text row (FTS5 is keyed by integers)
        sa.Column("doc", sa.BigInteger, nullable=True, unique=True),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
        sa.Column("ingested_at", sa.String(32), nullable=False),
        sa.Column("pages", sa.Integer, nullable=True),
        sa.Column("length", sa.BigInteger, nullable=False),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("record", sa.Text, nullable=False),
    )
    op.create_index(
        "bluelabel_documents_time", "bluelabel_documents", ["ingested_at", "content_id"]
    )
    op.create_index(
        "bluelabel_documents_type_time", "bluelabel_documents", ["content_type", "ingested_at"]
    )
    op.create_table(
        "bluelabel_tags",
        sa.Column("tag", sa.String(200), primary_key=True),
        sa.Column("content_id", sa.String(128), primary_key=True),
    )
    op.create_index("bluelabel_tags_document", "bluelabel_tags", ["content_id"])
    op.create_table(
        "bluelabel_provenance",
        sa.Column("content_id", sa.String(128), primary_key=True),
        sa.Column("dag_id", sa.String(250), primary_key=True),
        sa.Column("run_id", sa.String(250), primary_key=True),
        sa.Column("task_id", sa.String(250), primary_key=True),
        sa.Column("map_index", sa.Integer, primary_key=True),
        sa.Column("try_number", sa.Integer, primary_key=True),
        sa.Column("ingested_at", sa.String(32), nullable=False),
    )
    op.create_index("bluelabel_provenance_dag", "bluelabel_provenance", ["dag_id", "content_id"])
    if op.get_bind().dialect.name == "postgresql":
        # Title and source weigh most (A), then the summary (B), then the body (D).
        op.add_column("bluelabel_documents", sa.Column("body", sa.Text, nullable=True))
        op.execute("ALTER TABLE bluelabel_documents ADD COLUMN search tsvector")
        op.execute(
            "CREATE INDEX bluelabel_documents_search ON bluelabel_documents USING gin (search)"
        )
        op.execute("CREATE INDEX bluelabel_documents_source ON bluelabel_documents (lower(source))")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE bluelabel_documents_fts USING fts5(title, summary, text, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        # Relevance: title matches weigh most, then the summary, then the body.
        op.execute(
            "INSERT INTO bluelabel_documents_fts (bluelabel_documents_fts, rank) "
            "VALUES ('rank', 'bm25(10.0, 4.0, 1.0)')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE bluelabel_documents_fts")
    op.drop_table("bluelabel_provenance")
    op.drop_table("bluelabel_tags")
    op.drop_table("bluelabel_documents")
