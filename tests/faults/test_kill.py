"""A worker SIGKILLed mid-export, on SQLite and PostgreSQL: another worker re-runs the task to
success once the lease runs out, with one file stored and no partial file left in data/tmp."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from cdnexport.clock import SystemClock
from cdnexport.db import accounts, tasks
from cdnexport.db.engine import Database
from cdnexport.domain.task import ExportTask, TaskStatus
from cdnexport.services import Services
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore
from tests.support import add_account, flow_spec, make_services

DAY = 86400
CLI = str(Path(sys.executable).parent / "cdnexport")


@pytest.fixture
def services(db: Database, tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, SystemClock(), database_url=db.url)
    yield svc
    svc.db.dispose()


def start_worker(services: Services, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CDNEXPORT_DATA_DIR": str(services.settings.data_dir),
        "CDNEXPORT_DATABASE_URL": services.db.url,
        "CDNEXPORT_URL_SECRET": "test-url-secret",
        "CDNEXPORT_LEASE_SECONDS": "2",
        "CDNEXPORT_POLL_SECONDS": "0.1",
        # The reference writer takes seconds here, so the kill lands mid-export for sure.
        "CDNEXPORT_WORKBOOK_WRITER": "xlsxwriter",
    }
    with log.open("ab") as out:
        return subprocess.Popen([CLI, "worker"], env=env, stdout=out, stderr=out)


def wait_until(done: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def load_usage(services: Services, account_id: int, start: int) -> None:
    """Twenty days of 16 series: an export of some seconds with the reference writer."""
    with services.db.write() as conn:
        ids = accounts.domain_ids(conn, account_id, ["k1.example.com", "k2.example.com"])
        assert ids is not None
        slots = np.arange(start, start + 20 * DAY, 300, dtype=np.int64)
        n = len(slots) * 8
        columns = [
            (np.full(n, domain_id), np.repeat(np.arange(8), len(slots)), np.tile(slots, 8))
            for domain_id in ids.values()
        ]
        domain_col, region_col, ts_col = (
            np.concatenate([c[i] for c in columns]).astype(np.int64) for i in range(3)
        )
        traffic = np.arange(len(ts_col), dtype=np.int64) + 1
        zeros = np.zeros(len(ts_col), dtype=np.int64)
        assert isinstance(services.usage, SqlUsageStore)
        services.usage.upsert(
            conn, SampleBatch.of(domain_col, region_col, ts_col, traffic, zeros, zeros, zeros)
        )


@pytest.mark.slow
def test_a_killed_worker_task_is_rerun_and_its_leftovers_removed(
    services: Services, tmp_path: Path
) -> None:
    now = int(time.time())
    start = (now // DAY - 21) * DAY
    account = add_account(services, "kill", ("k1.example.com", "k2.example.com"))
    load_usage(services, account.id, start)
    with services.db.write() as conn:
        spec = flow_spec(start + 20 * DAY, start=start)
        task_id = tasks.insert_task(conn, account.id, spec, now)

    def task() -> ExportTask:
        with services.db.read() as conn:
            found = tasks.get_task(conn, account.id, task_id)
        assert found is not None
        return found

    scratch = services.settings.data_dir / "tmp"
    log = tmp_path / "workers.log"
    first = start_worker(services, log)
    try:
        wait_until(lambda: task().attempts == 1 and scratch.is_dir() and any(scratch.iterdir()), 60)
        time.sleep(0.5)  # well inside the export, which takes seconds
        assert task().status is TaskStatus.CREATED
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert any(scratch.iterdir())

    second = start_worker(services, log)
    try:
        wait_until(lambda: task().status is not TaskStatus.CREATED, 120)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    done = task()
    assert (done.status, done.attempts) == (TaskStatus.SUCCESS, 2), log.read_text()
    files = [p for p in services.settings.exports_dir.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [f"{task_id}.xlsx"]
    assert list(scratch.iterdir()) == []
    assert second.returncode == 0
