"""The webhook outbox on both engines: written with the finish, claimed once, fenced, logged."""

from __future__ import annotations

import threading

import pytest

from cdnexport.db import accounts, queue, tasks, webhooks
from cdnexport.db.engine import Database
from cdnexport.db.webhooks import DueEvent, EventStatus, EventType
from tests.support import flow_spec

NOW = 1_780_000_000
SPEC = flow_spec(NOW)


@pytest.fixture
def account_id(db: Database) -> int:
    with db.write() as conn:
        acct = accounts.create_account(conn, "acct", NOW).id
        webhooks.set_endpoint(conn, acct, "https://hooks.example.com/x", "whsec_a", NOW)
    return acct


def finished_task(db: Database, account_id: int, succeed: bool = True) -> int:
    with db.write() as conn:
        task_id = tasks.insert_task(conn, account_id, SPEC, NOW)
        held = queue.claim(conn, "w", NOW, 10, 3)
        assert held is not None and held.task.id == task_id
        if succeed:
            assert queue.complete(conn, held, NOW + 5, "k", 1, 1)
        else:
            assert queue.fail(conn, held, NOW + 5, "broken")
    return task_id


def claim(db: Database, now: int = NOW + 10, lease: int = 30) -> DueEvent | None:
    with db.write() as conn:
        return webhooks.claim_due(conn, now, lease)


def test_the_finish_writes_one_event_of_its_outcome(db: Database, account_id: int) -> None:
    ok, bad = finished_task(db, account_id), finished_task(db, account_id, succeed=False)
    first, second = claim(db), claim(db)
    assert first is not None and second is not None
    assert {(first.task_id, first.type), (second.task_id, second.type)} == {
        (ok, EventType.SUCCEEDED),
        (bad, EventType.FAILED),
    }
    assert first.created_at == NOW + 5 and first.attempt == 1
    assert first.id != second.id and first.id.startswith("evt_")
    assert claim(db) is None  # both leased


def test_no_webhook_no_event(db: Database) -> None:
    with db.write() as conn:
        other = accounts.create_account(conn, "quiet", NOW).id
    finished_task(db, other)
    assert claim(db) is None


def test_a_fenced_finish_writes_nothing(db: Database, account_id: int) -> None:
    with db.write() as conn:
        tasks.insert_task(conn, account_id, SPEC, NOW)
        held = queue.claim(conn, "w", NOW, 10, 3)
        assert held is not None
        assert queue.release(conn, held, NOW)
        assert not queue.complete(conn, held, NOW + 5, "k", 1, 1)
    assert claim(db) is None


def test_lease_runs_out_and_stale_attempts_change_nothing(db: Database, account_id: int) -> None:
    finished_task(db, account_id)
    first = claim(db, lease=30)
    assert first is not None
    assert claim(db, now=NOW + 39) is None
    again = claim(db, now=NOW + 40)
    assert again is not None and again.id == first.id and again.attempt == 2
    with db.write() as conn:
        assert not webhooks.settle(conn, first, EventStatus.DELIVERED, NOW + 41)
        assert webhooks.settle(conn, again, EventStatus.PENDING, NOW + 41, retry_at=NOW + 100)
        webhooks.log_attempt(
            conn, again, "https://hooks.example.com/x", NOW + 41, 502, "HTTP 502", 7
        )
    assert claim(db, now=NOW + 99) is None
    third = claim(db, now=NOW + 100)
    assert third is not None and third.attempt == 3
    with db.write() as conn:
        assert webhooks.settle(conn, third, EventStatus.DELIVERED, NOW + 101)
        (entry,) = webhooks.deliveries(conn, account_id, 10)
    assert (entry.attempt, entry.status_code, entry.event_status) == (2, 502, "delivered")
    assert claim(db, now=NOW + 10_000) is None


def test_concurrent_loops_never_share_an_event(db: Database, account_id: int) -> None:
    for _ in range(6):
        finished_task(db, account_id)
    got: list[str] = []
    lock = threading.Lock()

    def loop() -> None:
        while (event := claim(db)) is not None:
            with lock:
                got.append(event.id)

    threads = [threading.Thread(target=loop) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == len(set(got)) == 6


def test_purge_forgets_old_events(db: Database, account_id: int) -> None:
    finished_task(db, account_id)
    with db.write() as conn:
        webhooks.purge_before(conn, NOW + 6)
    assert claim(db) is None
