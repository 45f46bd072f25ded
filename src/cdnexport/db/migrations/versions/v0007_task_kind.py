"""The task's family (``kind``: detail or summary), so PDF summaries share the queue and workers
with detail exports while each family lists only its own tasks."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A plain ADD COLUMN with a default: SQLite and PostgreSQL both fill existing rows.
    op.add_column(
        "export_task", sa.Column("kind", sa.String(8), nullable=False, server_default="detail")
    )
    op.drop_index("ix_task_account_created", table_name="export_task")
    op.create_index(
        "ix_task_account_kind_created", "export_task", ["account_id", "kind", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_task_account_kind_created", table_name="export_task")
    op.create_index("ix_task_account_created", "export_task", ["account_id", "created_at"])
    with op.batch_alter_table("export_task") as batch:
        batch.drop_column("kind")
