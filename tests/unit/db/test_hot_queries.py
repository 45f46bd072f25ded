"""The request path's plain-SQL statements agree with their SQLAlchemy counterparts."""

from __future__ import annotations

from cdnexport.db import accounts, rawsql, tasks
from cdnexport.db.engine import Database
from cdnexport.db.nonces import DbNonceStore
from cdnexport.domain.task import ScopeKind, TaskSpec
from tests.support import flow_spec

NOW = 1_780_000_000


def spec(name: str) -> TaskSpec:
    return flow_spec(
        NOW - 86400,
        name,
        scope=ScopeKind.DOMAINS,
        domains=("a.example.com", "b.example.com"),
        time_zone="Asia/Shanghai",
    )


def test_nonces_in_a_batch_are_used_once_in_order(db: Database) -> None:
    store = DbNonceStore(db)
    calls = [("key", "n1", NOW, 900), ("key", "n2", NOW, 900), ("key", "n1", NOW, 900)]
    assert store.use_many(calls) == [True, True, False]
    assert store.use_many([("other", "n1", NOW, 900)]) == [True]
    assert not store.use("key", "n2", NOW + 900, 900)
    # Expired uses no longer block the nonce.
    assert store.use("key", "n2", NOW + 901, 900)
    assert store.purge(NOW + 2000) == 3


def test_find_access_key_matches_by_access_key(db: Database) -> None:
    with db.write() as conn:
        made = accounts.create_account(conn, "alice", NOW)
        accounts.set_active(conn, made.id, False)
    with db.read() as conn:
        expected = accounts.by_access_key(conn, made.access_key_id)
    assert expected is not None and not expected.active
    assert accounts.find_access_key(db, made.access_key_id) == expected
    assert accounts.find_access_key(db, "LTAInobody") is None


def test_list_page_matches_list_tasks(db: Database) -> None:
    with db.write() as conn:
        alice = accounts.create_account(conn, "alice", NOW)
        bob = accounts.create_account(conn, "bob", NOW)
        for n in range(7):
            tasks.insert_task(conn, alice.id, spec(f"t{n}"), NOW - 100 * (n % 3))
        tasks.insert_task(conn, bob.id, spec("bob"), NOW)
    for since in (0, NOW - 150):
        for limit, offset in ((20, 0), (3, 0), (3, 3), (3, 6), (5, 40)):
            with db.read() as conn:
                total, page = tasks.list_tasks(conn, alice.id, since, limit, offset)
            # The oldest counted task: NOW - 200 unless ``since`` leaves those out.
            oldest = NOW - 200 if since < NOW - 200 else NOW - 100
            assert tasks.list_page(db, alice.id, since, limit, offset) == (total, oldest, page)
    assert tasks.list_page(db, 999, 0, 20, 0) == (0, None, [])


def test_pooled_uses_the_connection_lent_to_the_call(db: Database) -> None:
    held = rawsql.HeldConnection(db)
    with held.lend(), rawsql.pooled(db) as first, rawsql.pooled(db) as second:
        assert first is second
    with rawsql.pooled(db) as first, rawsql.pooled(db) as second:
        assert first is not second
    held.close()


def test_sql_markers_follow_the_driver(db: Database) -> None:
    text = rawsql.sql(db, "SELECT ? WHERE ? = 1")
    assert text == ("SELECT ? WHERE ? = 1" if db.is_sqlite else "SELECT %s WHERE %s = 1")


def test_data_version_moves_when_another_connection_commits(db: Database) -> None:
    held = rawsql.HeldConnection(db)
    if not db.is_sqlite:
        assert held.data_version() is None  # no such counter: nothing is kept
        return
    try:
        first = held.data_version()
        assert first is not None and held.data_version() == first
        with held.lend():
            tasks.list_page(db, 1, 0, 20, 0)  # reading changes nothing
        assert held.data_version() == first
        with db.write() as conn:
            accounts.create_account(conn, "carol", NOW)
        assert held.data_version() != first
    finally:
        held.close()
    memory = Database("sqlite://")
    assert rawsql.HeldConnection(memory).data_version() is None
    memory.dispose()
