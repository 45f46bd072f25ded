"""Alembic migrations: they build exactly ``db/schema.py``, and the service runs only on a schema
revision it knows."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from cdnexport.db import migrate
from cdnexport.db.engine import Database
from cdnexport.db.schema import metadata

CLI = str(Path(sys.executable).parent / "cdnexport")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def differences(conn: Connection) -> list[object]:
    """What the migrated database lacks or has beyond the metadata (partitions aside)."""

    def include(name: str | None, kind: str, _parent: object) -> bool:
        return not (kind == "table" and name is not None and name.startswith("usage_sample_"))

    context = MigrationContext.configure(conn, opts={"include_name": include, "compare_type": True})
    diff: list[object] = compare_metadata(context, metadata)
    return diff


def test_migrations_build_every_table_of_the_metadata(db: Database) -> None:
    assert migrate.upgrade(db) == migrate.head_revision()
    with db.read() as conn:
        assert differences(conn) == []
        tables = set(inspect(conn).get_table_names())
    assert set(metadata.tables) <= tables


def test_the_comparison_sees_a_missing_table(db: Database) -> None:
    migrate.upgrade(db)
    with db.write() as conn:
        conn.execute(text("DROP TABLE signature_nonce"))
        assert [d[0] for d in differences(conn)] == ["add_table", "add_index"]  # type: ignore[index]


def test_upgrade_twice_is_a_no_op_and_check_passes(db: Database) -> None:
    migrate.upgrade(db)
    migrate.upgrade(db)
    migrate.check(db)
    with db.read() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()


def test_an_unknown_revision_is_refused_by_name(db: Database) -> None:
    migrate.upgrade(db)
    with db.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    for step in (migrate.upgrade, migrate.check, migrate.prepare):
        with pytest.raises(migrate.SchemaError, match=r"'f00dcafe'.*does not know"):
            step(db)


def test_sqlite_migrates_itself_at_start(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate.prepare(db)
    migrate.check(db)
    db.dispose()


def test_postgresql_is_not_migrated_at_start(pg_database: str) -> None:
    db = Database(pg_database)
    with pytest.raises(migrate.SchemaError, match="run `cdnexport migrate`"):
        migrate.prepare(db)
    migrate.upgrade(db)
    with db.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    with pytest.raises(migrate.SchemaError, match=r"revision 0001.*run `cdnexport migrate`"):
        migrate.prepare(db)
    db.dispose()


def test_a_database_of_the_old_bootstrap_is_adopted(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'legacy.db'}")
    config = migrate.alembic_config()
    with db.write() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, migrate.LEGACY_REVISION)
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("CREATE TABLE schema_version (version INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO schema_version VALUES (1)"))
        conn.execute(text("INSERT INTO account VALUES (1, 'kept', 'AK', 'S', 1, 0)"))
    migrate.prepare(db)
    with db.read() as conn:
        assert differences(conn) == []
        assert conn.execute(text("SELECT name FROM account")).scalar_one() == "kept"
    db.dispose()


def test_cli_refuses_an_unmigrated_postgresql_then_migrates_it(
    pg_database: str, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CDNEXPORT_")},
        "CDNEXPORT_DATABASE_URL": pg_database,
        "CDNEXPORT_DATA_DIR": str(tmp_path),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CLI, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    refused = run("account", "create", "early")
    assert refused.returncode == 2
    assert "run `cdnexport migrate`" in refused.stderr
    assert "Traceback" not in refused.stderr
    done = run("migrate")
    assert done.returncode == 0, done.stderr
    assert f"revision {migrate.head_revision()}" in done.stdout
    assert run("account", "create", "later").returncode == 0
