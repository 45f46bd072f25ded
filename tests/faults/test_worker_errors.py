"""A worker never dies silently: whatever an export or its upkeep raises fails (or retries) the
task with the reason in ``ErrorMessage``, goes to the log, and the loop takes the next task."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import update

from cdnexport.clock import ManualClock
from cdnexport.db import tasks
from cdnexport.db.engine import Database
from cdnexport.db.schema import export_task
from cdnexport.domain.task import ExportTask, TaskStatus
from cdnexport.export.writer import WorkbookWriter
from cdnexport.export.xlsxwriter_writer import XlsxWriterWorkbook
from cdnexport.services import Services
from cdnexport.storage.base import BlobStore
from cdnexport.worker.runner import Worker
from tests.support import add_account, flow_spec, make_services

NOW = 1_780_000_000
DAY = 86400
WAIT = 30.0


class Strange(Exception):
    """Nothing the worker knows by name."""


@pytest.fixture
def services(db: Database, tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, ManualClock(NOW), database_url=db.url, poll_seconds=0.05)
    yield svc
    svc.db.dispose()


def queue_task(services: Services, account_id: int, name: str) -> int:
    with services.db.write() as conn:
        return tasks.insert_task(conn, account_id, flow_spec(NOW, name), NOW)


def wait_for_end(services: Services, account_id: int, task_id: int) -> ExportTask:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with services.db.read() as conn:
            task = tasks.get_task(conn, account_id, task_id)
        assert task is not None
        if task.status is not TaskStatus.CREATED:
            return task
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not end")


@contextmanager
def running(worker: Worker) -> Iterator[threading.Thread]:
    """``worker.run()`` on a thread, stopped and joined afterwards."""
    thread = threading.Thread(target=worker.run, name="test-worker", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        worker.stop.set()
        thread.join(WAIT)


def test_an_unknown_exception_fails_the_task_with_its_reason_and_the_loop_goes_on(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    account = add_account(services, "w")
    broken = queue_task(services, account.id, "broken")
    fine = queue_task(services, account.id, "fine")

    def factory(path: Path) -> WorkbookWriter:
        if path.parent.name.startswith(f"{broken}-"):
            raise Strange("a builder bug")
        return XlsxWriterWorkbook(path)

    worker = Worker(services, writer_factory=factory)
    with caplog.at_level(logging.INFO), running(worker) as thread:
        failed = wait_for_end(services, account.id, broken)
        done = wait_for_end(services, account.id, fine)
        assert thread.is_alive()
    assert failed.status is TaskStatus.FAILED
    assert "Strange" in failed.error_message
    assert done.status is TaskStatus.SUCCESS
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(f"task {broken}" in r.getMessage() and r.exc_info for r in logged)


class FailingDeletes:
    """An object store whose deletes raise something no one expected."""

    def __init__(self, inner: BlobStore) -> None:
        self.inner = inner
        self.calls = 0

    def put_file(self, key: str, source: Path, *, filename: str = "") -> int:
        return self.inner.put_file(key, source, filename=filename)

    def delete(self, key: str) -> None:
        self.calls += 1
        raise Strange("delete went wrong")

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def download_url(self, key: str, filename: str, now: int, ttl: int) -> tuple[str, int]:
        return self.inner.download_url(key, filename, now, ttl)


def test_an_error_in_upkeep_is_logged_and_the_loop_goes_on(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    store = FailingDeletes(services.store)
    services = dataclasses.replace(services, store=store)
    account = add_account(services, "w")
    old = queue_task(services, account.id, "old")
    with services.db.write() as conn:
        # Past retention, with a file: the purge deletes its object, which raises.
        conn.execute(
            update(export_task)
            .where(export_task.c.id == old)
            .values(created_at=NOW - 100 * DAY, status="success", file_key="1/old.xlsx")
        )
    task_id = queue_task(services, account.id, "after")
    with caplog.at_level(logging.INFO), running(Worker(services)) as thread:
        done = wait_for_end(services, account.id, task_id)
        assert thread.is_alive()
    assert store.calls == 1
    assert done.status is TaskStatus.SUCCESS
    with services.db.read() as conn:
        # Its file could not be deleted, so its row (the way to the file) is kept for later.
        assert tasks.get_task(conn, account.id, old) is not None
    assert any("carries on" in r.getMessage() and r.exc_info for r in caplog.records)
