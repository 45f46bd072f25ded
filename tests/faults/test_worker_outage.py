"""A worker keeps its own task through a short PostgreSQL outage (a proxy between it and the
database is cut for 5 s): the task ends as soon as the database is back, in the same attempt,
not when its 30 s lease runs out."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from cdnexport.clock import SystemClock
from cdnexport.db import tasks
from cdnexport.domain.task import ExportTask, TaskStatus
from cdnexport.export.writer import ColumnSpec, WorkbookWriter
from cdnexport.export.xlsxwriter_writer import XlsxWriterWorkbook
from cdnexport.services import Services
from cdnexport.worker.runner import Worker
from tests.faults.proxy import TcpProxy, proxy_for
from tests.support import add_account, flow_spec, make_services, migrated_database

LEASE = 30.0
OUTAGE = 5.0


@pytest.fixture
def through_proxy(pg_url: str, tmp_path: Path) -> Iterator[tuple[Services, TcpProxy]]:
    with migrated_database(pg_url), proxy_for(pg_url) as (proxy, url):
        services = make_services(
            tmp_path, SystemClock(), database_url=url, lease_seconds=LEASE, poll_seconds=0.1
        )
        yield services, proxy
        services.db.dispose()


class HeldWriter:
    """Writes the workbook, then waits at ``close`` until told to go on: the test cuts the
    database while the export holds its claim."""

    def __init__(self, path: Path, written: threading.Event, go_on: threading.Event) -> None:
        self.inner: WorkbookWriter = XlsxWriterWorkbook(path)
        self.written, self.go_on = written, go_on

    def add_sheet(self, name: str, columns: Sequence[ColumnSpec]) -> None:
        self.inner.add_sheet(name, columns)

    def write_batch(self, columns: Any) -> None:
        self.inner.write_batch(columns)

    def add_free_sheet(self, sheet: Any, position: int) -> None:
        self.inner.add_free_sheet(sheet, position)

    def close(self) -> None:
        self.written.set()
        self.go_on.wait(60)
        self.inner.close()


def read_task(services: Services, account_id: int, task_id: int) -> ExportTask:
    with services.db.read() as conn:
        task = tasks.get_task(conn, account_id, task_id)
    assert task is not None
    return task


def test_the_task_ends_when_the_database_is_back_not_when_its_lease_runs_out(
    through_proxy: tuple[Services, TcpProxy],
) -> None:
    services, proxy = through_proxy
    account = add_account(services, "outage")
    now = int(time.time())
    with services.db.write() as conn:
        task_id = tasks.insert_task(conn, account.id, flow_spec(now), now)
    written, go_on = threading.Event(), threading.Event()
    worker = Worker(services, writer_factory=lambda path: HeldWriter(path, written, go_on))
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        assert written.wait(30)
        proxy.cut()
        cut_at = time.monotonic()
        go_on.set()  # the export completes into the outage
        time.sleep(OUTAGE)
        proxy.restore()
        while time.monotonic() - cut_at < LEASE - 5:
            try:
                task = read_task(services, account.id, task_id)
            except Exception:  # the pool's dropped connections fail a first time
                task = None
            if task is not None and task.status is not TaskStatus.CREATED:
                break
            time.sleep(0.1)
        task = read_task(services, account.id, task_id)
    finally:
        go_on.set()
        worker.stop.set()
        thread.join(60)
    assert task.status is TaskStatus.SUCCESS, task
    assert task.attempts == 1  # the same attempt finished it: no claim after a lost lease
    assert thread.is_alive() is False
