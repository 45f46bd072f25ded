"""The worker reads usage ahead of the writer: stopping mid-export and reader errors leave no
reader thread behind, and a database error while reading is retried like any other."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from cdnexport.clock import ManualClock
from cdnexport.db import accounts, tasks
from cdnexport.db.accounts import Account
from cdnexport.domain.regions import REGION_ID
from cdnexport.domain.task import TaskStatus
from cdnexport.export.fastxlsx import FastXlsxWriter
from cdnexport.export.writer import ColumnData
from cdnexport.services import Services
from cdnexport.usage.query import UsageQuery, UsageSource
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.series import Series
from cdnexport.usage.store import SqlUsageStore
from cdnexport.web.rpc import RpcEdge
from cdnexport.worker.runner import Worker
from tests.support import add_account, iso, make_services, v1_request

DAY = 86400
NOW = 1_780_000_000
START = (NOW // DAY - 2) * DAY


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, ManualClock(NOW), retry_base_seconds=1.0)
    yield svc
    svc.db.dispose()


@pytest.fixture
def account(services: Services) -> Account:
    acct = add_account(services, "p", ("x.example.com",))
    with services.db.write() as conn:
        ids = accounts.domain_ids(conn, acct.id, ["x.example.com"])
        assert ids is not None
        rows = [
            (ids["x.example.com"], region, START + 300 * i, 1000 + i, i, 0, 0)
            for region in (REGION_ID["CN"], REGION_ID["EU"], REGION_ID["NA"])
            for i in range(10)
        ]
        assert isinstance(services.usage, SqlUsageStore)
        services.usage.upsert(conn, SampleBatch.from_rows(rows))
    return acct


def create(services: Services, account: Account) -> int:
    params = {"Type": "flow", "StartTime": iso(START), "EndTime": iso(START + DAY)}
    req = v1_request(account, "CreateUsageDetailDataExportTask", params, services.clock.now())
    return int(json.loads(RpcEdge(services).handle(req).body)["TaskId"])


def task_status(services: Services, account: Account, task_id: int) -> tuple[TaskStatus, int]:
    with services.db.read() as conn:
        task = tasks.get_task(conn, account.id, task_id)
    assert task is not None
    return task.status, task.attempts


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "usage-read"]


def test_a_worker_stopped_mid_export_hands_the_task_back_and_leaves_no_reader(
    services: Services, account: Account
) -> None:
    task_id = create(services, account)

    class StoppingWriter(FastXlsxWriter):
        def write_batch(self, columns: Sequence[ColumnData]) -> None:
            worker.stop.set()  # as a shutdown arriving mid-export
            super().write_batch(columns)

    worker = Worker(services, writer_factory=StoppingWriter)
    assert worker.run_once()
    assert task_status(services, account, task_id)[0] == TaskStatus.CREATED
    assert not readers()


class FailingUsage:
    """Yields one series, then loses the database."""

    def __init__(self, inner: UsageSource) -> None:
        self.inner = inner

    def newest_sample(self, domain_ids: Sequence[int]) -> int | None:
        return self.inner.newest_sample(domain_ids)

    def count_series(self, query: UsageQuery) -> int:
        return self.inner.count_series(query)

    def iter_series(self, query: UsageQuery) -> Iterator[Series]:
        yield next(iter(self.inner.iter_series(query)))
        raise OperationalError("SELECT", {}, Exception("database is locked"))


def test_a_database_error_in_the_reader_is_retried(services: Services, account: Account) -> None:
    task_id = create(services, account)
    failing = dataclasses.replace(services, usage=FailingUsage(services.usage))
    assert Worker(failing).run_once()
    status, attempts = task_status(services, account, task_id)
    assert status == TaskStatus.CREATED and attempts == 1
    assert not readers()
    clock = services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(1)
    assert Worker(services).run_once()
    assert task_status(services, account, task_id)[0] == TaskStatus.SUCCESS
