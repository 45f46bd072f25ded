"""One task per (account, ClientToken): a partial unique index in place of the plain one.

Two Creates racing with one ClientToken used to both pass the look-up and insert two tasks on
PostgreSQL; the index makes the second insert fail, and Create then answers the first task.
Duplicates left by that race are kept, but only the newest still carries the token.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_HAS_TOKEN = sa.text("client_token IS NOT NULL")


def upgrade() -> None:
    op.execute(
        "UPDATE export_task SET client_token = NULL WHERE client_token IS NOT NULL AND id NOT IN "
        "(SELECT MAX(id) FROM export_task WHERE client_token IS NOT NULL "
        "GROUP BY account_id, client_token)"
    )
    op.drop_index("ix_task_client_token", table_name="export_task")
    op.create_index(
        "uq_task_client_token",
        "export_task",
        ["account_id", "client_token"],
        unique=True,
        postgresql_where=_HAS_TOKEN,
        sqlite_where=_HAS_TOKEN,
    )


def downgrade() -> None:
    op.drop_index("uq_task_client_token", table_name="export_task")
    op.create_index("ix_task_client_token", "export_task", ["account_id", "client_token"])
