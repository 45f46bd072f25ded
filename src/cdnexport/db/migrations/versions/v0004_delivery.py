"""Delivery: the detail file's format (``file_format``), per-account webhooks, the outbox of
their events and the log of delivery attempts."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A plain ADD COLUMN with a default: SQLite and PostgreSQL both fill existing rows.
    op.add_column(
        "export_task",
        sa.Column("file_format", sa.String(8), nullable=False, server_default="xlsx"),
    )
    op.create_table(
        "webhook_endpoint",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_table(
        "webhook_event",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("task_id", sa.BigInteger, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=False),
        sa.Column("delivered_at", sa.BigInteger, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_event_due", "webhook_event", ["status", "next_attempt_at"])
    op.create_index("ix_webhook_event_account", "webhook_event", ["account_id", "created_at"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", Id, nullable=False, autoincrement=True),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_delivery_account", "webhook_delivery", ["account_id", "at"])


def downgrade() -> None:
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_event")
    op.drop_table("webhook_endpoint")
    with op.batch_alter_table("export_task") as batch:
        batch.drop_column("file_format")
