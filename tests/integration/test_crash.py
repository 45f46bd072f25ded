"""A worker SIGKILLed in the middle of an export: the task still ends in success, with one file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from cdnexport.clock import SystemClock
from cdnexport.db import accounts
from cdnexport.db.schema import export_task
from cdnexport.domain.task import TaskStatus
from cdnexport.services import Services
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore
from cdnexport.web.rpc import RpcEdge
from tests.support import add_account, iso, make_services, v1_request

DAY = 86400
CLI = str(Path(sys.executable).parent / "cdnexport")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, SystemClock())
    yield svc
    svc.db.dispose()


def start_worker(services: Services, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CDNEXPORT_DATA_DIR": str(services.settings.data_dir),
        "CDNEXPORT_URL_SECRET": "test-url-secret",
        "CDNEXPORT_LEASE_SECONDS": "2",
        "CDNEXPORT_POLL_SECONDS": "0.1",
        # The reference writer takes seconds here, so the kill lands mid-export for sure.
        "CDNEXPORT_WORKBOOK_WRITER": "xlsxwriter",
    }
    with log.open("ab") as out:
        return subprocess.Popen([CLI, "worker"], env=env, stdout=out, stderr=out)


def task_row(services: Services, task_id: int) -> tuple[str, int, str | None]:
    with services.db.read() as conn:
        row = conn.execute(
            select(export_task.c.status, export_task.c.attempts, export_task.c.lease_owner).where(
                export_task.c.id == task_id
            )
        ).one()
    return str(row[0]), int(row[1]), row[2]


def wait_for(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_sigkilled_worker_task_is_rerun_to_success(services: Services, tmp_path: Path) -> None:
    now = int(time.time())
    start = (now // DAY - 21) * DAY
    account = add_account(services, "crash", ("big.example.com", "big2.example.com"))
    with services.db.write() as conn:
        ids = accounts.domain_ids(conn, account.id, ["big.example.com", "big2.example.com"])
        assert ids is not None
        slots = np.arange(start, start + 20 * DAY, 300, dtype=np.int64)
        cols = []
        for domain_id in ids.values():
            for region in range(8):
                n = len(slots)
                cols.append((np.full(n, domain_id), np.full(n, region), slots))
        domain_col = np.concatenate([c[0] for c in cols]).astype(np.int64)
        region_col = np.concatenate([c[1] for c in cols]).astype(np.int64)
        ts_col = np.concatenate([c[2] for c in cols])
        traffic = np.arange(len(ts_col), dtype=np.int64) + 1
        zeros = np.zeros(len(ts_col), dtype=np.int64)
        batch = SampleBatch.of(domain_col, region_col, ts_col, traffic, zeros, zeros, zeros)
        assert isinstance(services.usage, SqlUsageStore)
        services.usage.upsert(conn, batch)
    params = {"Type": "flow", "StartTime": iso(start), "EndTime": iso(start + 20 * DAY)}
    resp = RpcEdge(services).handle(
        v1_request(account, "CreateUsageDetailDataExportTask", params, time.time())
    )
    task_id = int(json.loads(resp.body)["TaskId"])
    log = tmp_path / "workers.log"

    first = start_worker(services, log)
    try:
        wait_for(lambda: task_row(services, task_id)[2] is not None, 30)
        time.sleep(0.5)  # well inside the export, which takes seconds
        assert task_row(services, task_id)[0] == TaskStatus.CREATED.value
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    scratch = services.settings.data_dir / "tmp"
    assert list(scratch.iterdir()), "the killed attempt left no partial file to clean up"

    second = start_worker(services, log)
    try:
        wait_for(lambda: task_row(services, task_id)[0] != TaskStatus.CREATED.value, 90)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    status, attempts, _ = task_row(services, task_id)
    assert (status, attempts) == (TaskStatus.SUCCESS.value, 2), log.read_text()
    files = [p for p in services.settings.exports_dir.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [f"{task_id}.xlsx"]
    assert list(scratch.iterdir()) == []  # the killed attempt's partial file is gone too
    assert second.returncode == 0
