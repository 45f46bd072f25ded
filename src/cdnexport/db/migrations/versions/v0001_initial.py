"""Initial schema: accounts, domains, groups, usage samples, export tasks and nonces.

On PostgreSQL ``usage_sample`` is range-partitioned by month on ``ts``, with a default partition
for rows outside every month, and ``cdnexport_usage_partitions`` keeps the monthly partitions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# SQLite only aliases INTEGER PRIMARY KEY to the rowid; BigInteger renders as BIGINT there.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Creates the monthly partitions from keep_after's month to months_ahead after now_ts's month
# (moving rows out of the default partition first), drops the ones that end before keep_after,
# and returns how many it dropped. Month bounds are UTC epoch seconds.
PARTITION_FUNCTION = """
CREATE FUNCTION cdnexport_usage_partitions(now_ts bigint, keep_after bigint, months_ahead integer)
RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
    month timestamp := date_trunc('month', to_timestamp(keep_after) AT TIME ZONE 'UTC');
    last_month timestamp := date_trunc('month', to_timestamp(now_ts) AT TIME ZONE 'UTC')
        + make_interval(months => months_ahead);
    part text;
    part_oid regclass;
    lo bigint;
    hi bigint;
    dropped integer := 0;
BEGIN
    -- Workers run this concurrently; CREATE TABLE would race without the lock.
    PERFORM pg_advisory_xact_lock(hashtext('cdnexport_usage_partitions'));
    FOR part, part_oid IN
        SELECT child.relname, child.oid::regclass
        FROM pg_inherits AS link JOIN pg_class AS child ON child.oid = link.inhrelid
        WHERE link.inhparent = 'usage_sample'::regclass
          AND child.relname ~ '^usage_sample_p[0-9]{6}$'
    LOOP
        hi := extract(epoch FROM
            to_date(substr(part, 15) || '01', 'YYYYMMDD')::timestamp + interval '1 month');
        IF hi <= keep_after THEN
            EXECUTE format('DROP TABLE %s', part_oid);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    DELETE FROM usage_sample_default WHERE ts < keep_after;
    WHILE month <= last_month LOOP
        lo := extract(epoch FROM month);
        hi := extract(epoch FROM month + interval '1 month');
        part := 'usage_sample_p' || to_char(month, 'YYYYMM');
        IF to_regclass(quote_ident(part)) IS NULL THEN
            IF EXISTS (SELECT 1 FROM usage_sample_default WHERE ts >= lo AND ts < hi) THEN
                EXECUTE format('CREATE TABLE %I (LIKE usage_sample INCLUDING ALL)', part);
                EXECUTE format(
                    'WITH moved AS (DELETE FROM usage_sample_default '
                    'WHERE ts >= %s AND ts < %s RETURNING *) INSERT INTO %I SELECT * FROM moved',
                    lo, hi, part);
                EXECUTE format(
                    'ALTER TABLE usage_sample ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
                    part, lo, hi);
            ELSE
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF usage_sample FOR VALUES FROM (%s) TO (%s)',
                    part, lo, hi);
            END IF;
        END IF;
        month := month + interval '1 month';
    END LOOP;
    RETURN dropped;
END
$fn$
"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "account",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("access_key_id", sa.String(64), nullable=False, unique=True),
        sa.Column("access_key_secret", sa.String(128), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "domain",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("name", sa.String(253), nullable=False, unique=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_domain_account", "domain", ["account_id", "name"])
    op.create_table(
        "domain_group",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.UniqueConstraint("account_id", "name", name="uq_group_account_name"),
    )
    op.create_table(
        "group_member",
        sa.Column("group_id", Id, nullable=False),
        sa.Column("domain_id", Id, nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["domain_group.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["domain_id"], ["domain.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "domain_id"),
    )
    op.create_table(
        "usage_sample",
        sa.Column("domain_id", Id, nullable=False),
        sa.Column("region", sa.SmallInteger, nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("traffic_bytes", sa.BigInteger, nullable=False),
        sa.Column("static_https", sa.BigInteger, nullable=False),
        sa.Column("dynamic_http", sa.BigInteger, nullable=False),
        sa.Column("dynamic_https", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("domain_id", "region", "ts"),
        sqlite_with_rowid=False,
        postgresql_partition_by="RANGE (ts)",
    )
    op.create_table(
        "export_task",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("export_type", sa.String(8), nullable=False),
        sa.Column("start_ts", sa.BigInteger, nullable=False),
        sa.Column("end_ts", sa.BigInteger, nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("domains", sa.Text, nullable=False),
        sa.Column("group_name", sa.String(128), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("client_token", sa.String(64), nullable=True),
        sa.Column("params_digest", sa.String(64), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("progress", sa.SmallInteger, nullable=False),
        sa.Column("error_message", sa.Text, nullable=False),
        sa.Column("file_key", sa.String(512), nullable=False),
        sa.Column("file_size", sa.BigInteger, nullable=False),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("run_at", sa.BigInteger, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", sa.BigInteger, nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        # Never reuse the id of a deleted task: ids name files and appear in old download links.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_task_account_created", "export_task", ["account_id", "created_at"])
    op.create_index("ix_task_queue", "export_task", ["status", "run_at"])
    op.create_index("ix_task_client_token", "export_task", ["account_id", "client_token"])
    op.create_table(
        "signature_nonce",
        sa.Column("access_key_id", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("access_key_id", "nonce"),
    )
    op.create_index("ix_nonce_expires", "signature_nonce", ["expires_at"])
    if postgres:
        op.execute("CREATE TABLE usage_sample_default PARTITION OF usage_sample DEFAULT")
        op.execute(PARTITION_FUNCTION)
        # The current month and the next two; the retention job adds the rest.
        op.execute(
            "SELECT cdnexport_usage_partitions("
            "extract(epoch FROM now())::bigint, extract(epoch FROM now())::bigint, 2)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION cdnexport_usage_partitions(bigint, bigint, integer)")
    for table in (
        "signature_nonce",
        "export_task",
        "usage_sample",
        "group_member",
        "domain_group",
        "domain",
        "account",
    ):
        op.drop_table(table)
