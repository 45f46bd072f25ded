"""The journaled nonce store answers like the database table it replaces on the embedded
default, survives a crash, and keeps two processes sharing its file from both taking a nonce."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cdnexport.db.engine import Database
from cdnexport.db.nonce_journal import PURGE_EVERY, JournaledNonceStore, digest
from cdnexport.db.nonces import DbNonceStore, MemoryNonceStore, NonceCall

NOW = 1_800_000_000
TTL = 900


def test_answers_like_the_reference_store(tmp_path: Path) -> None:
    journal = JournaledNonceStore(tmp_path / "n.db", NOW)
    reference = MemoryNonceStore()
    batches: list[list[NonceCall]] = [
        [("k1", "a", NOW, TTL)],
        [("k1", "a", NOW + 1, TTL), ("k2", "a", NOW + 1, TTL), ("k1", "b", NOW + 1, TTL)],
        # the same nonce twice in one batch: only the first is fresh
        [("k1", "c", NOW + 2, TTL), ("k1", "c", NOW + 2, TTL)],
        # past its time to live a nonce may be used again
        [("k1", "a", NOW + TTL + 1, TTL), ("k1", "b", NOW + TTL + 1, TTL)],
        [("k1", "a", NOW + TTL + 2, TTL)],
    ]
    for batch in batches:
        assert journal.use_many(batch) == reference.use_many(batch), batch


def test_nothing_is_lost_when_the_process_dies(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    first = JournaledNonceStore(path, NOW)
    assert first.use_many([("k", "a", NOW, TTL), ("k", "b", NOW, TTL)]) == [True, True]
    # A new process opening the file (the first one never closed it: a crash).
    second = JournaledNonceStore(path, NOW + 10)
    assert second.use_many([("k", "a", NOW + 10, TTL), ("k", "c", NOW + 10, TTL)]) == [
        False,
        True,
    ]
    # What expired before the restart is not read back.
    third = JournaledNonceStore(path, NOW + TTL + 5)
    assert len(third) == 1  # only "c" (used at NOW + 10) is still alive
    assert third.use("k", "a", NOW + TTL + 5, TTL)


def test_processes_sharing_the_file_share_the_nonces(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    one, two = JournaledNonceStore(path, NOW), JournaledNonceStore(path, NOW)
    assert one.use_many([("k", "a", NOW, TTL), ("k", "b", NOW, TTL)]) == [True, True]
    assert two.use_many([("k", "b", NOW, TTL), ("k", "c", NOW, TTL)]) == [False, True]
    assert one.use_many([("k", "c", NOW, TTL), ("k", "d", NOW, TTL)]) == [False, True]
    assert not two.use("k", "d", NOW, TTL)


def test_a_failed_batch_leaves_no_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "n.db"
    store = JournaledNonceStore(path, NOW)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the file
    store._conn.execute("PRAGMA busy_timeout=50")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store.use_many([("k", "a", NOW, TTL)])
    blocker.execute("ROLLBACK")
    blocker.close()
    assert store.use_many([("k", "a", NOW, TTL)]) == [True]


def _journal_rows(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [row_id for (row_id,) in conn.execute("SELECT id FROM nonce_batch ORDER BY id")]


def test_expired_rows_leave_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    store = JournaledNonceStore(path, NOW)
    store.use_many([("k", str(n), NOW, TTL) for n in range(5)])
    later = NOW + TTL + 1
    # One journal row per batch; every batch past PURGE_EVERY seconds deletes what expired,
    # as purge() does.
    store.use("k", "new", later + PURGE_EVERY, TTL)
    assert _journal_rows(path) == [2]
    assert len(store) == 1
    # Everything has expired: memory forgets it all, the file keeps its newest row.
    assert store.purge(later + PURGE_EVERY + TTL + 1) == 0
    assert len(store) == 0
    assert _journal_rows(path) == [2]


def test_row_ids_never_come_back_after_a_purge(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    one, two = JournaledNonceStore(path, NOW), JournaledNonceStore(path, NOW)
    for n in range(3):
        assert one.use("k", f"early-{n}", NOW, TTL)
    assert not two.use("k", "early-2", NOW, TTL)  # two has read up to row 3
    later = NOW + TTL + 1
    assert one.purge(later) == 2 and _journal_rows(path) == [3]
    # Were row 3 deleted too, the next row would be 1 again, below what two has read.
    assert one.use("k", "late", later, TTL)
    assert _journal_rows(path) == [3, 4]
    assert not two.use("k", "late", later, TTL)


def test_an_older_journal_table_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    with sqlite3.connect(path) as conn:  # the file as earlier versions wrote it
        conn.execute(
            "CREATE TABLE nonce_journal (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "digests BLOB NOT NULL, expires_at INTEGER NOT NULL)"
        )
        conn.execute("CREATE INDEX ix_nonce_journal_expires ON nonce_journal (expires_at)")
        rows = [(digest("k", "old"), NOW - 1), (digest("k", "alive"), NOW + TTL)]
        conn.executemany("INSERT INTO nonce_journal (digests, expires_at) VALUES (?, ?)", rows)

    def adopt(now: int) -> list[tuple[str, str, int]]:
        raise AssertionError("an existing journal adopts nothing from the main database")

    store = JournaledNonceStore(path, NOW, adopt)
    assert store.use_many([("k", "alive", NOW, TTL), ("k", "old", NOW, TTL)]) == [False, True]
    assert _journal_rows(path) == [2, 3]  # the live row kept its id; the new one follows
    with sqlite3.connect(path) as conn:
        names = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert "nonce_batch" in names and "nonce_journal" not in names


def test_digests_are_stable_and_8_bytes_long() -> None:
    value = digest("LTAIkey", "nonce")
    assert value == digest("LTAIkey", "nonce") and len(value) == 8
    assert value != digest("LTAIkeyn", "once")  # the separator keeps the parts apart


def test_a_new_journal_takes_over_the_tables_live_nonces(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'main.db'}")
    db.create_schema()
    table = DbNonceStore(db)
    # What an older version recorded: one nonce still alive, one expired.
    assert table.use_many([("k", "alive", NOW, TTL), ("k", "old", NOW - 2 * TTL, TTL)]) == [
        True,
        True,
    ]
    assert table.live(NOW) == [("k", "alive", NOW + TTL)]
    journal = JournaledNonceStore(tmp_path / "n.db", NOW, table.live)
    assert journal.use_many([("k", "alive", NOW, TTL), ("k", "old", NOW, TTL)]) == [False, True]
    # Opened again (the file exists), nothing is taken over a second time.
    calls: list[int] = []

    def adopt(now: int) -> list[tuple[str, str, int]]:
        calls.append(now)
        return []

    again = JournaledNonceStore(tmp_path / "n.db", NOW, adopt)
    assert calls == [] and not again.use("k", "alive", NOW, TTL)
    db.dispose()
