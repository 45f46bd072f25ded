"""Access logs already added to usage samples (``ingested_log``), so a re-read adds nothing."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ingested_log",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("file_digest", sa.String(64), nullable=False),
        sa.Column("domain_id", Id, nullable=False),
        sa.Column("file_name", sa.String(512), nullable=False),
        sa.Column("lines", sa.BigInteger, nullable=False),
        sa.Column("traffic_bytes", sa.BigInteger, nullable=False),
        sa.Column("static_https", sa.BigInteger, nullable=False),
        sa.Column("ingested_at", sa.BigInteger, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["domain_id"], ["domain.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "file_digest", "domain_id"),
    )


def downgrade() -> None:
    op.drop_table("ingested_log")
