"""The task-table queue on both engines: claim, lease expiry, fencing, retry and purge."""

from __future__ import annotations

import threading

import pytest

from cdnexport.db import accounts, queue, tasks
from cdnexport.db.engine import Database
from cdnexport.domain.task import Language, TaskStatus
from tests.support import flow_spec

NOW = 1_780_000_000
SPEC = flow_spec(NOW, language=Language.ZH_CN)


@pytest.fixture
def account_id(db: Database) -> int:
    with db.write() as conn:
        return accounts.create_account(conn, "acct", NOW).id


def new_task(db: Database, account_id: int, now: int = NOW) -> int:
    with db.write() as conn:
        return tasks.insert_task(conn, account_id, SPEC, now)


def claim(db: Database, owner: str, now: int = NOW, max_attempts: int = 3) -> queue.Claim | None:
    with db.write() as conn:
        return queue.claim(conn, owner, now, 10, max_attempts)


def status(db: Database, account_id: int, task_id: int) -> TaskStatus:
    with db.read() as conn:
        task = tasks.get_task(conn, account_id, task_id)
    assert task is not None
    return task.status


def test_claims_oldest_first_and_only_once(db: Database, account_id: int) -> None:
    first, second = new_task(db, account_id), new_task(db, account_id)
    a, b = claim(db, "w1"), claim(db, "w2")
    assert a is not None and b is not None
    assert (a.task.id, b.task.id) == (first, second)
    assert a.attempt == 1
    assert claim(db, "w3") is None


def test_concurrent_claims_never_share_a_task(db: Database, account_id: int) -> None:
    ids = {new_task(db, account_id) for _ in range(20)}
    got: list[int] = []
    lock = threading.Lock()

    def grab(owner: str) -> None:
        while (held := claim(db, owner)) is not None:
            with lock:
                got.append(held.task.id)

    threads = [threading.Thread(target=grab, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(ids)


def test_expired_lease_is_reclaimed_and_old_holder_is_fenced(db: Database, account_id: int) -> None:
    task_id = new_task(db, account_id)
    dead = claim(db, "dead")
    assert dead is not None
    assert claim(db, "w2", NOW + 5) is None  # lease still live
    alive = claim(db, "w2", NOW + 11)
    assert alive is not None and alive.task.id == task_id and alive.attempt == 2
    with db.write() as conn:
        assert not queue.heartbeat(conn, dead, NOW + 12, 10, 50)
        assert not queue.complete(conn, dead, NOW + 12, "k", 1, 1)
        assert queue.heartbeat(conn, alive, NOW + 12, 10, 50)
        assert queue.complete(conn, alive, NOW + 13, "k", 10, 5)
    assert status(db, account_id, task_id) is TaskStatus.SUCCESS


def test_deleted_task_fences_its_worker(db: Database, account_id: int) -> None:
    task_id = new_task(db, account_id)
    held = claim(db, "w")
    assert held is not None
    with db.write() as conn:
        assert tasks.delete_task(conn, account_id, task_id, "")
        assert not queue.complete(conn, held, NOW, "k", 1, 1)


def test_delete_keeps_a_task_whose_file_was_stored_meanwhile(db: Database, account_id: int) -> None:
    task_id = new_task(db, account_id)
    held = claim(db, "w")
    assert held is not None
    with db.write() as conn:
        assert queue.complete(conn, held, NOW, "k.xlsx", 1, 1)
        # Delete saw the task running (no file) and deleted no object: the row must stay.
        assert not tasks.delete_task(conn, account_id, task_id, "")
        assert tasks.delete_task(conn, account_id, task_id, "k.xlsx")


def test_retry_later_waits_then_fails_after_max_attempts(db: Database, account_id: int) -> None:
    task_id = new_task(db, account_id)
    held = claim(db, "w", max_attempts=2)
    assert held is not None
    with db.write() as conn:
        assert queue.retry_later(conn, held, NOW, NOW + 4, "busy")
    assert claim(db, "w", NOW + 3, max_attempts=2) is None
    held = claim(db, "w", NOW + 4, max_attempts=2)
    assert held is not None and held.attempt == 2
    # The second attempt dies; its lease runs out; no third claim, and upkeep fails the task.
    assert claim(db, "w", NOW + 20, max_attempts=2) is None
    with db.write() as conn:
        assert queue.fail_exhausted(conn, NOW + 20, 2) == 1
    assert status(db, account_id, task_id) is TaskStatus.FAILED


def test_release_does_not_spend_an_attempt(db: Database, account_id: int) -> None:
    new_task(db, account_id)
    held = claim(db, "w")
    assert held is not None
    with db.write() as conn:
        assert queue.release(conn, held, NOW)
    again = claim(db, "w2")
    assert again is not None and again.attempt == 1


def test_purge_removes_old_tasks_and_returns_their_files(db: Database, account_id: int) -> None:
    old = new_task(db, account_id, NOW - 91 * 86400)
    new_task(db, account_id)
    held = claim(db, "w", NOW)
    assert held is not None and held.task.id == old
    with db.write() as conn:
        queue.complete(conn, held, NOW, "exports/old.xlsx", 1, 1)
        keys = queue.purge_before(conn, NOW - 90 * 86400)
        assert keys == ["exports/old.xlsx"]
        assert tasks.get_task(conn, account_id, old) is not None  # until its file is deleted
        assert queue.purge_rows(conn, NOW - 90 * 86400, keys) == 1
        assert tasks.get_task(conn, account_id, old) is None
