"""Schema migrations with Alembic: apply them (``cdnexport migrate``) and check them at start-up.

The service runs only on a schema revision it knows: the embedded SQLite database is brought to
the newest revision by itself, PostgreSQL is migrated by the operator, and an unknown revision
(written by a newer cdnexport) stops the service with a message naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, inspect, text

from cdnexport.db import partitions

if TYPE_CHECKING:
    from cdnexport.db.engine import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The tables of the one schema that was created before migrations existed (schema_version 1).
LEGACY_REVISION = "0001"
# Serializes concurrent `migrate` runs on PostgreSQL (an arbitrary, fixed key).
PG_LOCK_KEY = 0x63646E6578
# The bootstrap did not partition usage samples, so a PostgreSQL database of its making is not
# adopted (SQLite ones are).
LEGACY_PG = (
    "the database was created by a cdnexport older than schema migrations; "
    "create a new database and run `cdnexport migrate`"
)


class SchemaError(RuntimeError):
    """The database schema is not one this cdnexport can run on."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    # Read directly: Alembic's MigrationContext logs two INFO lines per look, at every start.
    if not inspect(conn).has_table("alembic_version"):
        return None
    found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(found) > 1:
        raise SchemaError(f"the database has several schema revisions: {sorted(found)}")
    return str(found[0]) if found else None


def upgrade(db: Database) -> str:
    """Apply every pending revision in one transaction; returns the revision reached."""
    with db.write() as conn:
        if not db.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        found = current_revision(conn)
        if found is None and _is_legacy(conn):
            if not db.is_sqlite:
                raise SchemaError(LEGACY_PG)
            _adopt_legacy(conn)
        _require_known(found)
        head = head_revision()
        if found != head:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    return head


def migrate_database(db: Database, now: int, usage_keep_after: int) -> str:
    """``cdnexport migrate``: apply every pending revision, then on PostgreSQL create the usage
    partitions from ``usage_keep_after`` to two months ahead; returns the revision reached."""
    revision = upgrade(db)
    if not db.is_sqlite:
        with db.write() as conn:
            partitions.maintain(conn, now, usage_keep_after)
    return revision


def check(db: Database) -> None:
    """Raise SchemaError unless the database is at the newest revision."""
    with db.read() as conn:
        found = current_revision(conn)
        legacy = found is None and _is_legacy(conn)
    head = head_revision()
    if found == head:
        return
    _require_known(found)
    if legacy:
        raise SchemaError(LEGACY_PG)
    if found is None:
        raise SchemaError("the database has no cdnexport schema; run `cdnexport migrate` first")
    raise SchemaError(
        f"the database schema is at revision {found}, this cdnexport needs {head}; "
        "run `cdnexport migrate`"
    )


def prepare(db: Database) -> None:
    """At start-up: migrate the embedded SQLite database, check any other one."""
    if db.is_sqlite:
        upgrade(db)
    else:
        check(db)


def _require_known(found: str | None) -> None:
    if found is None:
        return
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(found)
    except CommandError as exc:
        raise SchemaError(
            f"the database schema is at revision {found!r}, which this cdnexport does not "
            f"know (its newest is {head_revision()!r}); run a cdnexport at least as new as the "
            "one that migrated it"
        ) from exc


def _is_legacy(conn: Connection) -> bool:
    return inspect(conn).has_table("schema_version")


def _adopt_legacy(conn: Connection) -> None:
    """Stamp a SQLite database made by the pre-migration bootstrap (``schema_version`` = 1)."""
    versions = list(conn.execute(text("SELECT version FROM schema_version")).scalars())
    if versions != [1]:
        raise SchemaError(f"the database has an unknown schema_version {versions}")
    MigrationContext.configure(conn).stamp(
        ScriptDirectory.from_config(alembic_config()), LEGACY_REVISION
    )
    conn.execute(text("DROP TABLE schema_version"))
