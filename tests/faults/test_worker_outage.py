"""A worker keeps its own task alive: through a short PostgreSQL outage (a proxy between it and
the database is cut for 5 s) the task ends as soon as the database is back, in the same attempt,
not when its 30 s lease runs out; and an upload longer than the lease keeps the lease."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from cdnexport.clock import SystemClock
from cdnexport.db import queue, tasks
from cdnexport.db.engine import Database
from cdnexport.domain.task import ExportTask, TaskStatus
from cdnexport.export.writer import ColumnSpec, WorkbookWriter
from cdnexport.export.xlsxwriter_writer import XlsxWriterWorkbook
from cdnexport.services import Services
from cdnexport.storage.base import BlobStore
from cdnexport.worker.runner import Worker
from tests.faults.proxy import TcpProxy, proxy_for
from tests.support import add_account, flow_spec, make_services, migrated_database

LEASE = 30.0
OUTAGE = 5.0
OUTAGES = "cdnexport_worker_outages_total"


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
    outages_before = REGISTRY.get_sample_value(OUTAGES, {"dependency": "database"}) or 0.0
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
    # An operator sees the outage the worker rode out.
    assert (REGISTRY.get_sample_value(OUTAGES, {"dependency": "database"}) or 0) > outages_before


class SlowUploads:
    """A store whose uploads take ``seconds``: longer than the lease."""

    def __init__(self, inner: BlobStore, seconds: float, uploading: threading.Event) -> None:
        self.inner, self.seconds, self.uploading = inner, seconds, uploading

    def put_file(self, key: str, source: Path, *, filename: str = "") -> int:
        self.uploading.set()
        time.sleep(self.seconds)
        return self.inner.put_file(key, source, filename=filename)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def download_url(self, key: str, filename: str, now: int, ttl: int) -> tuple[str, int]:
        return self.inner.download_url(key, filename, now, ttl)


def test_the_lease_is_kept_through_an_upload_longer_than_it(db: Database, tmp_path: Path) -> None:
    base = make_services(tmp_path, SystemClock(), database_url=db.url, lease_seconds=2)
    uploading = threading.Event()
    services = dataclasses.replace(base, store=SlowUploads(base.store, 4.0, uploading))
    account = add_account(services, "slow")
    now = int(time.time())
    with services.db.write() as conn:
        task_id = tasks.insert_task(conn, account.id, flow_spec(now), now)
    worker = Worker(services)
    thread = threading.Thread(target=worker.run_once, daemon=True)
    thread.start()
    try:
        assert uploading.wait(30)
        time.sleep(3)  # past the 2 s lease the claim took
        with services.db.write() as conn:
            intruder = queue.claim(conn, "intruder", int(time.time()), 2, 5)
        assert intruder is None  # the lease was renewed while the upload ran
        thread.join(30)
        task = read_task(services, account.id, task_id)
    finally:
        thread.join(30)
        base.db.dispose()
    assert (task.status, task.attempts) == (TaskStatus.SUCCESS, 1)
