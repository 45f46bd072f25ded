"""Workers end to end, in process: export, store, complete; deletion, retries and failures."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cdnexport.clock import ManualClock
from cdnexport.db import accounts, tasks
from cdnexport.db.accounts import Account
from cdnexport.domain.regions import REGION_ID
from cdnexport.export.writer import ColumnSpec, WorkbookWriter
from cdnexport.export.xlsxwriter_writer import XlsxWriterWorkbook
from cdnexport.services import Services
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore
from cdnexport.web.rpc import RpcEdge
from cdnexport.worker.runner import Worker
from tests.support import add_account, iso, make_services, v1_request

DAY = 86400
NOW = 1_780_000_000
START = (NOW // DAY - 2) * DAY


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def services(tmp_path: Path, clock: ManualClock) -> Iterator[Services]:
    svc = make_services(tmp_path, clock, retry_base_seconds=1.0, max_attempts=2)
    yield svc
    svc.db.dispose()


@pytest.fixture
def account(services: Services) -> Account:
    acct = add_account(services, "w", ("x.example.com", "y.example.com"))
    with services.db.write() as conn:
        ids = accounts.domain_ids(conn, acct.id, ["x.example.com", "y.example.com"])
        assert ids is not None
        rows = [
            (ids["x.example.com"], REGION_ID["CN"], START + 300 * i, 1000 + i, i, 0, 0)
            for i in range(10)
        ] + [(ids["y.example.com"], REGION_ID["EU"], START + 600, 7, 1, 2, 3)]
        assert isinstance(services.usage, SqlUsageStore)
        services.usage.upsert(conn, SampleBatch.from_rows(rows))
    return acct


def read_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(book[sheet].iter_rows(values_only=True))
    finally:
        book.close()


def rpc(services: Services, account: Account, action: str, **params: str) -> dict[str, Any]:
    resp = RpcEdge(services).handle(v1_request(account, action, params, services.clock.now()))
    body: dict[str, Any] = json.loads(resp.body)
    return body


def create(services: Services, account: Account, **params: str) -> str:
    body = rpc(
        services,
        account,
        "CreateUsageDetailDataExportTask",
        Type="flow",
        StartTime=iso(START),
        EndTime=iso(START + DAY),
        **params,
    )
    return str(body["TaskId"])


def item(services: Services, account: Account, task_id: str) -> dict[str, Any]:
    body = rpc(services, account, "DescribeUserUsageDetailDataExportTask")
    for entry in body["UsageDataPerPage"]["Data"]["DataItem"]:
        if entry["TaskId"] == task_id:
            return dict(entry)
    raise AssertionError(f"task {task_id} not listed")


def test_worker_exports_and_describe_links_the_file(services: Services, account: Account) -> None:
    task_id = create(services, account, DomainNames="x.example.com,y.example.com")
    assert Worker(services).run_once()
    found = item(services, account, task_id)
    assert found["Status"] == "success" and found["Progress"] == 100
    assert found["RowCount"] == 2 * 288
    assert found["DownloadUrl"].startswith("http://127.0.0.1:9/download/")
    path = services.settings.exports_dir / f"{account.id}/{task_id}.xlsx"
    assert found["FileSize"] == path.stat().st_size
    rows = read_rows(path, "明细")
    assert rows[0][:3] == ("时间 (UTC)", "域名", "计费区域")
    assert rows[1][1:4] == ("x.example.com", "中国内地", 1000)
    assert sum(r[3] for r in rows[1:] if r[1] == "x.example.com") == sum(range(1000, 1010))
    assert not Worker(services).run_once()


def test_account_export_sums_domains(services: Services, account: Account) -> None:
    task_id = create(services, account, Language="en-us")
    Worker(services).run_once()
    path = services.settings.exports_dir / f"{account.id}/{task_id}.xlsx"
    rows = read_rows(path, "Detail")
    assert rows[0][1] == "Account"
    assert {r[1] for r in rows[1:]} == {"w"}
    assert {r[2] for r in rows[1:]} == {"Chinese Mainland", "Europe"}


class ExplodingWriter:
    """A writer whose disk fails: the worker must retry, then fail the task."""

    def __init__(self, path: Path) -> None:
        self.inner = XlsxWriterWorkbook(path)

    def add_sheet(self, name: str, columns: Any) -> None:
        raise OSError("disk full")

    def write_batch(self, columns: Any) -> None:
        raise AssertionError("unreachable")

    def add_free_sheet(self, sheet: Any, position: int) -> None:
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.inner.close()


class BrokenWriter(ExplodingWriter):
    def add_sheet(self, name: str, columns: Any) -> None:
        raise ValueError("a bug")


def test_transient_failures_retry_with_backoff_then_fail(
    services: Services, account: Account, clock: ManualClock
) -> None:
    task_id = create(services, account)
    worker = Worker(services, writer_factory=ExplodingWriter)
    assert worker.run_once()
    assert item(services, account, task_id)["Status"] == "created"
    assert not worker.run_once()  # backing off
    clock.advance(1)
    assert worker.run_once()
    found = item(services, account, task_id)
    assert found["Status"] == "failed"
    assert "retried" in found["ErrorMessage"]
    assert "DownloadUrl" not in found


def test_bugs_fail_at_once_with_a_generic_message(services: Services, account: Account) -> None:
    task_id = create(services, account)
    Worker(services, writer_factory=BrokenWriter).run_once()
    found = item(services, account, task_id)
    assert found["Status"] == "failed"
    assert (
        found["ErrorMessage"] == "The export failed (ValueError); the service log has the details."
    )


class DeletingWriter:
    """Deletes its own task mid-export, as a customer calling Delete would."""

    def __init__(self, services: Services, account: Account, task_id: str, path: Path) -> None:
        self.inner: WorkbookWriter = XlsxWriterWorkbook(path)
        self.services, self.account, self.task_id = services, account, task_id

    def add_sheet(self, name: str, columns: Sequence[ColumnSpec]) -> None:
        rpc(self.services, self.account, "DeleteUsageDetailDataExportTask", TaskId=self.task_id)
        self.inner.add_sheet(name, columns)

    def write_batch(self, columns: Any) -> None:
        self.inner.write_batch(columns)

    def add_free_sheet(self, sheet: Any, position: int) -> None:
        self.inner.add_free_sheet(sheet, position)

    def close(self) -> None:
        self.inner.close()


def test_task_deleted_mid_export_leaves_no_file(services: Services, account: Account) -> None:
    task_id = create(services, account)

    def factory(path: Path) -> WorkbookWriter:
        return DeletingWriter(services, account, task_id, path)

    worker = Worker(services, writer_factory=factory)
    assert worker.run_once()
    exports = services.settings.exports_dir
    assert not [p for p in exports.rglob("*") if p.is_file()]
    assert not [p for p in (services.settings.data_dir / "tmp").iterdir()]


def test_group_of_more_than_100_domains_exports_group_totals(
    services: Services, account: Account
) -> None:
    names = [f"g{i}.example.org" for i in range(101)]
    with services.db.write() as conn:
        accounts.add_domains(conn, account.id, names)
        accounts.create_group(conn, account.id, "huge", [*names, "x.example.com"])
    small = [f"g{i}.example.org" for i in range(3)]
    with services.db.write() as conn:
        accounts.create_group(conn, account.id, "small", [*small, "x.example.com"])
    huge_id = create(services, account, Group="huge", Language="en-us")
    small_id = create(services, account, Group="small", Language="en-us")
    Worker(services).run_once()
    Worker(services).run_once()
    huge = read_rows(services.settings.exports_dir / f"{account.id}/{huge_id}.xlsx", "Detail")
    assert huge[0][1] == "Group" and {r[1] for r in huge[1:]} == {"huge"}
    assert sum(r[3] for r in huge[1:]) == sum(range(1000, 1010))
    small_rows = read_rows(
        services.settings.exports_dir / f"{account.id}/{small_id}.xlsx", "Detail"
    )
    assert small_rows[0][1] == "Domain" and {r[1] for r in small_rows[1:]} == {"x.example.com"}


def test_upkeep_purges_old_tasks_files_and_nonces(
    services: Services, account: Account, clock: ManualClock
) -> None:
    task_id = create(services, account)
    Worker(services).run_once()
    path = services.settings.exports_dir / f"{account.id}/{task_id}.xlsx"
    assert path.exists()
    clock.advance(91 * DAY)
    Worker(services).upkeep()
    assert not path.exists()
    with services.db.read() as conn:
        assert tasks.get_task(conn, account.id, int(task_id)) is None
    assert services.nonces.use(account.access_key_id, "fresh", int(clock.now()), 900)


def test_summary_states_the_account_the_watermark_and_when_it_was_made(
    services: Services, account: Account
) -> None:
    task_id = create(services, account, DomainNames="x.example.com", Language="en-us")
    Worker(services).run_once()
    path = services.settings.exports_dir / f"{account.id}/{task_id}.xlsx"
    rows = read_rows(path, "Summary")
    found = {row[0]: row[1] for row in rows if row and row[0] and len(row) > 1}
    assert (found["Account"], found["Scope"]) == ("w", "Domains (1):")
    # The clock's time; the newest sample of x.example.com is the tenth slot of START.
    assert found["Generated at"] == f"{iso(NOW)[:10]} {iso(NOW)[11:19]} UTC"
    assert found["Data watermark"] == f"{iso(START + 2700)[:10]} {iso(START + 2700)[11:19]} UTC"
    assert found["Detail rows"] == 288
