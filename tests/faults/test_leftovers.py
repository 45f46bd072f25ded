"""Partial files of killed attempts in ``data/tmp`` are removed: at worker start (whatever no
live attempt owns) and when their task is claimed again; a live attempt's files stay."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdnexport.clock import ManualClock
from cdnexport.db import queue, tasks
from cdnexport.db.engine import Database
from cdnexport.domain.task import TaskStatus
from cdnexport.services import Services
from cdnexport.worker.runner import Worker
from tests.support import add_account, flow_spec, make_services

NOW = 1_780_000_000


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def services(db: Database, tmp_path: Path, clock: ManualClock) -> Iterator[Services]:
    svc = make_services(tmp_path, clock, database_url=db.url, lease_seconds=30)
    yield svc
    svc.db.dispose()


def leave(tmp: Path, name: str, *, age: float = 0.0) -> Path:
    """A leftover like an attempt's folder (or a stray file), ``age`` seconds old."""
    path = tmp / name
    if "." in name:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"PK partial")
    else:
        path.mkdir(parents=True)
        (path / "export.xlsx").write_bytes(b"PK partial")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def claim(services: Services, owner: str, lease: int) -> queue.Claim:
    with services.db.write() as conn:
        held = queue.claim(conn, owner, int(services.clock.now()), lease, 5)
    assert held is not None
    return held


def test_worker_start_removes_what_no_live_attempt_owns(
    services: Services, clock: ManualClock
) -> None:
    account = add_account(services, "left")
    with services.db.write() as conn:
        for name in ("live", "dead"):
            tasks.insert_task(conn, account.id, flow_spec(NOW, name), NOW)
    live = claim(services, "alive-worker", 300)
    dead = claim(services, "killed-worker", 30)
    clock.advance(60)  # the killed worker's lease has run out; the live one still beats
    tmp = services.settings.data_dir / "tmp"
    keep = leave(tmp, f"{live.task.id}-1-0a1b2c3d")
    dead_dir = leave(tmp, f"{dead.task.id}-1-4e5f6a7b")
    deleted_task = leave(tmp, "9999-2-8c9d0e1f")
    old_style = leave(tmp, f"{dead.task.id}-1-12345678.xlsx")
    stray_old = leave(tmp, "tmpabc123", age=3600)
    stray_new = leave(tmp, "tmpdef456")
    Worker(services).upkeep()
    assert keep.exists() and stray_new.exists()
    assert not any(p.exists() for p in (dead_dir, deleted_task, old_style, stray_old))


def test_a_reclaimed_task_removes_its_earlier_attempts_files(
    services: Services, clock: ManualClock
) -> None:
    account = add_account(services, "again")
    with services.db.write() as conn:
        task_id = tasks.insert_task(conn, account.id, flow_spec(NOW), NOW)
    first = claim(services, "killed-worker", 30)
    tmp = services.settings.data_dir / "tmp"
    partial = leave(tmp, f"{task_id}-{first.attempt}-deadbeef")
    clock.advance(60)
    assert Worker(services).run_once()
    with services.db.read() as conn:
        task = tasks.get_task(conn, account.id, task_id)
    assert task is not None and (task.status, task.attempts) == (TaskStatus.SUCCESS, 2)
    assert not partial.exists()
    assert list(tmp.iterdir()) == []
