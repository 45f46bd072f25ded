"""Concurrent Creates of one account, on SQLite and PostgreSQL: one task per ClientToken, and
never more unfinished tasks than the quota."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from cdnexport.clock import ManualClock
from cdnexport.db import migrate, tasks
from cdnexport.db.accounts import Account
from cdnexport.db.engine import Database
from cdnexport.db.schema import export_task
from cdnexport.services import Services
from cdnexport.web.rpc import RpcEdge
from tests.support import add_account, flow_spec, iso, make_services, v1_request

NOW = 1_780_000_000
DAY = 86400
CREATE = "CreateUsageDetailDataExportTask"
PARAMS = {
    "Type": "flow",
    "StartTime": iso((NOW // DAY - 3) * DAY),
    "EndTime": iso((NOW // DAY - 2) * DAY),
}


@pytest.fixture
def services(db: Database, tmp_path: Path) -> Iterator[Services]:
    svc = make_services(
        tmp_path, ManualClock(NOW), database_url=db.url, rate_limit_per_second=10_000,
        max_unfinished_tasks=12,
    )  # fmt: skip
    yield svc
    svc.db.dispose()


def create_at_once(services: Services, account: Account, n: int, **extra: str) -> list[Any]:
    """``n`` Creates released together from ``n`` threads; their decoded answers."""
    edge = RpcEdge(services)
    start = threading.Barrier(n)

    def one(_: int) -> Any:
        request = v1_request(account, CREATE, {**PARAMS, **extra}, NOW)
        start.wait()
        return json.loads(edge.handle(request).body)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def task_count(services: Services, account: Account) -> int:
    with services.db.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(export_task)
                .where(export_task.c.account_id == account.id)
            ).scalar_one()
        )


def test_one_client_token_makes_one_task(services: Services) -> None:
    account = add_account(services, "racer")
    answers = create_at_once(services, account, 16, ClientToken="same-token")
    assert {answer.get("Code") for answer in answers} == {None}
    assert len({answer["TaskId"] for answer in answers}) == 1
    assert task_count(services, account) == 1


def test_quota_holds_under_concurrent_creates(services: Services) -> None:
    account = add_account(services, "racer")
    answers = create_at_once(services, account, 40)
    accepted = [a for a in answers if "TaskId" in a]
    refused = [a.get("Code") for a in answers if "TaskId" not in a]
    assert len(accepted) == 12
    assert set(refused) == {"QuotaExceeded.ExportTask"}
    assert task_count(services, account) == 12


def test_a_token_past_its_day_starts_a_new_task(services: Services) -> None:
    account = add_account(services, "late")
    edge = RpcEdge(services)
    first = json.loads(
        edge.handle(v1_request(account, CREATE, {**PARAMS, "ClientToken": "t"}, NOW)).body
    )
    assert isinstance(services.clock, ManualClock)
    services.clock.advance(DAY + 1)
    later = NOW + DAY + 1
    again = json.loads(
        edge.handle(v1_request(account, CREATE, {**PARAMS, "ClientToken": "t"}, later)).body
    )
    assert again["TaskId"] != first["TaskId"]
    assert task_count(services, account) == 2


def test_create_answers_the_task_that_won_the_unique_index(services: Services) -> None:
    """A row with the token, inserted by another transaction that commits while this Create
    runs: the Create's insert fails on the unique index and it answers that row's task."""
    if services.db.is_sqlite:
        pytest.skip("SQLite writers take turns; no second writer can hold the token meanwhile")
    account = add_account(services, "winner")
    digest_source = v1_request(account, CREATE, {**PARAMS, "ClientToken": "won"}, NOW)
    edge = RpcEdge(services)
    other = services.db.engine.connect()
    try:
        transaction = other.begin()
        # Not through Create, so without the account's lock: only the index stands in the way.
        winner = tasks.insert_task(other, account.id, flow_spec(NOW, "other"), NOW, "won", "x")
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(edge.handle, digest_source)
            _wait_for_a_lock_wait(services.db)
            transaction.commit()
            answer = json.loads(pending.result(30).body)
    finally:
        other.close()
    # The digests differ (the winner's was made up), so the answer is the mismatch error,
    # which only the unique index's path can give here.
    assert answer.get("Code") == "IdempotentParameterMismatch", answer
    assert task_count(services, account) == 1
    with services.db.read() as conn:
        assert tasks.get_task(conn, account.id, winner) is not None


def _wait_for_a_lock_wait(db: Database, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query ILIKE 'INSERT INTO export_task%'"
                )
            ).scalar_one()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the Create never waited on the unique index")


def test_the_migration_keeps_raced_duplicates_but_only_the_newest_keeps_its_token(
    db_url: str,
) -> None:
    """Tasks a race doubled before the unique index existed stay, without blocking it."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    (unique,) = [
        rev for rev in script.walk_revisions() if rev.path.endswith("client_token_unique.py")
    ]
    assert isinstance(unique.down_revision, str)
    database = Database(db_url)
    config = migrate.alembic_config()
    try:
        with database.write() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, unique.down_revision)
            conn.execute(text("INSERT INTO account VALUES (1, 'a', 'AK', 'S', true, 0)"))
            for _ in range(3):
                tasks.insert_task(conn, 1, flow_spec(NOW), NOW, "raced", "d")
        migrate.upgrade(database)
        with database.read() as conn:
            rows = conn.execute(text("SELECT id, client_token FROM export_task ORDER BY id")).all()
        assert [(int(i), t) for i, t in rows] == [(1, None), (2, None), (3, "raced")]
    finally:
        database.dispose()
