"""The request path's plain-SQL statements: AccessKey lookup, task listing, nonces."""

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


def test_a_nonce_is_used_once_until_it_expires(db: Database) -> None:
    store = DbNonceStore(db)
    assert store.use("key", "n1", NOW, 900)
    assert store.use("key", "n2", NOW, 900)
    assert not store.use("key", "n1", NOW, 900)
    assert store.use("other", "n1", NOW, 900)  # per AccessKey
    assert not store.use("key", "n2", NOW + 900, 900)
    # Expired uses no longer block the nonce.
    assert store.use("key", "n2", NOW + 901, 900)
    assert store.purge(NOW + 2000) == 3


def test_find_access_key_reads_active_and_inactive_keys(db: Database) -> None:
    with db.write() as conn:
        made = accounts.create_account(conn, "alice", NOW)
        accounts.set_active(conn, made.id, False)
    found = accounts.find_access_key(db, made.access_key_id)
    assert found is not None and not found.active
    assert (found.id, found.name, found.access_key_secret) == (
        made.id,
        "alice",
        made.access_key_secret,
    )
    assert accounts.find_access_key(db, "LTAInobody") is None


def test_list_page_is_newest_first_with_the_total(db: Database) -> None:
    with db.write() as conn:
        alice = accounts.create_account(conn, "alice", NOW)
        bob = accounts.create_account(conn, "bob", NOW)
        made = [
            tasks.insert_task(conn, alice.id, spec(f"t{n}"), NOW - 100 * (n % 3)) for n in range(7)
        ]
        tasks.insert_task(conn, bob.id, spec("bob"), NOW)
    created = {task_id: NOW - 100 * (n % 3) for n, task_id in enumerate(made)}
    for since in (0, NOW - 150):
        mine = sorted((t for t in made if created[t] >= since), key=lambda t: (-created[t], -t))
        for limit, offset in ((20, 0), (3, 0), (3, 3), (3, 6), (5, 40)):
            total, page = tasks.list_page(db, alice.id, since, limit, offset)
            assert total == len(mine)
            assert [task.id for task in page] == mine[offset : offset + limit]
            assert all(task.spec.name.startswith("t") for task in page)
    assert tasks.list_page(db, 999, 0, 20, 0) == (0, [])


def test_sql_markers_follow_the_driver(db: Database) -> None:
    text = rawsql.sql(db, "SELECT ? WHERE ? = 1")
    assert text == ("SELECT ? WHERE ? = 1" if db.is_sqlite else "SELECT %s WHERE %s = 1")
