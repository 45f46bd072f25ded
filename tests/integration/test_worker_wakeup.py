"""In-process workers start a new task on Create instead of waiting out their poll."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdnexport.clock import SystemClock
from cdnexport.db import tasks
from cdnexport.domain.task import TaskStatus
from cdnexport.services import Services
from cdnexport.web.rpc import RpcEdge
from cdnexport.worker.pool import WorkerPool
from tests.support import add_account, iso, make_services, v1_request

DAY = 86400


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, SystemClock(), poll_seconds=30.0)
    yield svc
    svc.db.dispose()


def status(services: Services, account_id: int, task_id: int) -> TaskStatus:
    with services.db.read() as conn:
        task = tasks.get_task(conn, account_id, task_id)
    assert task is not None
    return task.status


def test_create_wakes_an_idle_worker_and_shutdown_is_prompt(services: Services) -> None:
    account = add_account(services, "w", ("x.example.com",))
    pool = WorkerPool(services, 2)
    pool.start()
    try:
        time.sleep(0.2)  # let both workers find nothing and go to sleep for the 30 s poll
        now = services.clock.now()
        start = (int(now) // DAY - 2) * DAY
        params = {"Type": "flow", "StartTime": iso(start), "EndTime": iso(start + DAY)}
        req = v1_request(account, "CreateUsageDetailDataExportTask", params, now)
        body = json.loads(RpcEdge(services).handle(req).body)
        task_id = int(body["TaskId"])
        deadline = time.monotonic() + 10
        while (
            status(services, account.id, task_id) != TaskStatus.SUCCESS
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)
        assert status(services, account.id, task_id) == TaskStatus.SUCCESS
    finally:
        started = time.monotonic()
        pool.shutdown(timeout=10)
    assert time.monotonic() - started < 5
    assert not any(t.is_alive() for t in pool._threads)
