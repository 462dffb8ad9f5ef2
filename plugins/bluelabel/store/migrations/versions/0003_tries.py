"""The run ledger: one row per Bluelabel task try (before: one JSON file per try in ``runs/``).

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-11
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bluelabel_tries",
        sa.Column("dag_id", sa.String(250), primary_key=True),
        sa.Column("run_id", sa.String(250), primary_key=True),
        sa.Column("task_id", sa.String(250), primary_key=True),
        sa.Column("map_index", sa.Integer, primary_key=True),
        sa.Column("try_number", sa.Integer, primary_key=True),
        sa.Column("dag_display_name", sa.Text, nullable=True),  # None: an imported old record
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32), nullable=True),  # None: no report (yet)
        # when a try that is still "running" is judged stopped (its time limit, plus slack)
        sa.Column("deadline_at", sa.String(32), nullable=True),
        # "running" until the metrics listener reports the try: success, failed, skipped
        sa.Column("outcome", sa.String(20), nullable=False, server_default="running"),
        sa.Column("record", sa.Text, nullable=False, server_default="{}"),  # JSON
    )
    # The period query: tries that finished in it, and tries still running past their deadline.
    op.create_index("bluelabel_tries_finished", "bluelabel_tries", ["finished_at"])
    op.create_index("bluelabel_tries_deadline", "bluelabel_tries", ["outcome", "deadline_at"])


def downgrade() -> None:
    op.drop_table("bluelabel_tries")
