"""Delivery: the detail file's format (``file_format``), per-account webhooks, the outbox of
their events and the log of delivery attempts."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A plain ADD COLUMN with a default: SQLite and PostgreSQL both fill existing rows.
    op.add_column(
        "export_task",
        sa.Column("file_format", sa.String(8), nullable=False, server_default="xlsx"),
    )


def downgrade() -> None:
    with op.batch_alter_table("export_task") as batch:
        batch.drop_column("file_format")
