"""Digests: who made each published digest and what it covers (its readers' permissions).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bluelabel_digests",
        # the file name without its suffix: every format of one digest shares it
        sa.Column("name", sa.String(250), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),  # "digest" or "periodic"
        sa.Column("dag_id", sa.String(250), nullable=True),  # None: made outside Airflow
        sa.Column("run_id", sa.String(250), nullable=True),
        # a periodic digest: the DAGs whose runs or documents it shows (JSON list)
        sa.Column("covered_dag_ids", sa.Text, nullable=False, server_default="[]"),
        # it shows a document no Airflow run ingested (the CLI's)
        sa.Column("unattributed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bluelabel_digests")
