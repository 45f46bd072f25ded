"""Tables, as SQLAlchemy Core metadata. Times are integer epoch seconds (UTC) everywhere."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

# SQLite only aliases INTEGER PRIMARY KEY to the rowid; BigInteger renders as BIGINT there.
Id = BigInteger().with_variant(Integer(), "sqlite")

account = Table(
    "account",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("access_key_id", String(64), nullable=False, unique=True),
    Column("access_key_secret", String(128), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", BigInteger, nullable=False),
)

domain = Table(
    "domain",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(253), nullable=False, unique=True),
    Index("ix_domain_account", "account_id", "name"),
)

domain_group = Table(
    "domain_group",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    UniqueConstraint("account_id", "name", name="uq_group_account_name"),
)

group_member = Table(
    "group_member",
    metadata,
    Column("group_id", Id, ForeignKey("domain_group.id", ondelete="CASCADE"), nullable=False),
    Column("domain_id", Id, ForeignKey("domain.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("group_id", "domain_id"),
)

usage_sample = Table(
    "usage_sample",
    metadata,
    Column("domain_id", Id, nullable=False),
    Column("region", SmallInteger, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("traffic_bytes", BigInteger, nullable=False, default=0),
    Column("static_https", BigInteger, nullable=False, default=0),
    Column("dynamic_http", BigInteger, nullable=False, default=0),
    Column("dynamic_https", BigInteger, nullable=False, default=0),
    PrimaryKeyConstraint("domain_id", "region", "ts"),
    sqlite_with_rowid=False,
)

export_task = Table(
    "export_task",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(256), nullable=False, default=""),
    Column("export_type", String(8), nullable=False),
    Column("start_ts", BigInteger, nullable=False),
    Column("end_ts", BigInteger, nullable=False),
    Column("scope", String(8), nullable=False),
    Column("domains", Text, nullable=False, default=""),
    Column("group_name", String(128), nullable=False, default=""),
    Column("language", String(8), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("file_format", String(8), nullable=False, server_default="xlsx"),
    Column("client_token", String(64), nullable=True),
    Column("params_digest", String(64), nullable=False, default=""),
    Column("status", String(8), nullable=False),
    Column("progress", SmallInteger, nullable=False, default=0),
    Column("error_message", Text, nullable=False, default=""),
    Column("file_key", String(512), nullable=False, default=""),
    Column("file_size", BigInteger, nullable=False, default=0),
    Column("row_count", BigInteger, nullable=False, default=0),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # Queue columns: a `created` row is claimable once run_at has come and no live lease holds it.
    Column("run_at", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expires_at", BigInteger, nullable=True),
    Index("ix_task_account_created", "account_id", "created_at"),
    Index("ix_task_queue", "status", "run_at"),
    # At most one task per ClientToken and account (a token older than the idempotency window
    # is cleared from its task before the token is used again).
    Index(
        "uq_task_client_token",
        "account_id",
        "client_token",
        unique=True,
        postgresql_where=text("client_token IS NOT NULL"),
        sqlite_where=text("client_token IS NOT NULL"),
    ),
    # Never reuse the id of a deleted task: ids name files and appear in old download links.
    sqlite_autoincrement=True,
)

signature_nonce = Table(
    "signature_nonce",
    metadata,
    Column("access_key_id", String(64), nullable=False),
    Column("nonce", String(128), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("access_key_id", "nonce"),
    Index("ix_nonce_expires", "expires_at"),
)

# Access logs already added to usage_sample, one row per (log content, domain) so that a file
# read again adds nothing, yet a domain given to the account later can still be taken from it.
ingested_log = Table(
    "ingested_log",
    metadata,
    Column("account_id", Id, ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
    # SHA-256 (hex) of the decompressed content: names the file whatever it is called.
    Column("file_digest", String(64), nullable=False),
    Column("domain_id", Id, ForeignKey("domain.id", ondelete="CASCADE"), nullable=False),
    Column("file_name", String(512), nullable=False),
    Column("lines", BigInteger, nullable=False),
    Column("traffic_bytes", BigInteger, nullable=False),
    Column("static_https", BigInteger, nullable=False),
    Column("ingested_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "file_digest", "domain_id"),
)

# The web console's operators (password hashed with Argon2id) and sessions of both kinds.
operator = Table(
    "operator",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

console_session = Table(
    "console_session",
    metadata,
    # SHA-256 (hex) of the cookie's token: a read of the table does not yield live sessions.
    Column("token_hash", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("principal_id", Id, nullable=False),
    # The AccessKey ID signed in with (customers) or the operator's name: a rotated key ends it.
    Column("credential", String(64), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("seen_at", BigInteger, nullable=False),
    Index("ix_console_session_principal", "kind", "principal_id"),
)

# Failed console sign-ins, per client address and per key or operator name, for throttling.
signin_attempt = Table(
    "signin_attempt",
    metadata,
    Column("subject", String(200), nullable=False),
    Column("at", BigInteger, nullable=False),
    Index("ix_signin_attempt_subject", "subject", "at"),
)

# One webhook per account: where its events go and the key that signs them.
webhook_endpoint = Table(
    "webhook_endpoint",
    metadata,
    Column("account_id", Id, ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
    Column("url", String(2048), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# The outbox: one row per event, written in the transaction that finishes the task, so an
# event exists exactly when the finish does; the delivery loop claims due rows with a lease.
webhook_event = Table(
    "webhook_event",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", Id, ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
    # No foreign key: a task deleted or purged before delivery still has its event delivered.
    Column("task_id", BigInteger, nullable=False),
    Column("type", String(32), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger, nullable=True),
    Column("last_error", Text, nullable=False, default=""),
    Index("ix_webhook_event_due", "status", "next_attempt_at"),
    Index("ix_webhook_event_account", "account_id", "created_at"),
)

# Every delivery attempt, for `cdnexport webhook deliveries`.
webhook_delivery = Table(
    "webhook_delivery",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", String(40), nullable=False),
    Column("account_id", Id, ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("url", String(2048), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=False, default=""),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_webhook_delivery_account", "account_id", "at"),
)
