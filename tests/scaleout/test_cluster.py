"""The local cluster (``cdnexport cluster``): two API processes and two workers on PostgreSQL,
Redis and nanio. A worker SIGKILLed mid-export loses no task and leaves no stray object, and
nonces and rate limits hold across the API processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from cdnexport.db import accounts
from cdnexport.db.accounts import Account
from cdnexport.db.engine import Database
from cdnexport.db.schema import export_task
from cdnexport.domain.regions import REGIONS
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore
from tests.scaleout.backing import (
    PG_ENV,
    REDIS_ENV,
    S3Server,
    pg_schema,
    redis_prefix,
    required_url,
)
from tests.scaleout.http import send
from tests.support import iso, v1_request

RATE = 8
TASKS = 10
# Long enough (92 k rows a task) that a worker is caught in the middle of an export.
DAYS = 20
DAY = 86_400
WAIT = 120.0
CREATE = "CreateUsageDetailDataExportTask"
DESCRIBE = "DescribeUserUsageDetailDataExportTask"
DELETE = "DeleteUsageDetailDataExportTask"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Cluster:
    api_urls: tuple[str, ...]
    pids: dict[str, int]
    db: Database
    s3: S3Server
    now: int


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    pg, redis = required_url(PG_ENV), required_url(REDIS_ENV)
    work = tmp_path_factory.mktemp("cluster")
    with pg_schema(pg) as database_url, redis_prefix(redis) as prefix:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CDNEXPORT_", "AWS_"))},
            "CDNEXPORT_DATABASE_URL": database_url,
            "CDNEXPORT_REDIS_URL": redis,
            "CDNEXPORT_REDIS_KEY_PREFIX": prefix,
            "CDNEXPORT_RATE_LIMIT_PER_SECOND": str(RATE),
            "CDNEXPORT_MAX_UNFINISHED_TASKS": "100",
            "CDNEXPORT_LEASE_SECONDS": "3",
            "CDNEXPORT_POLL_SECONDS": "0.1",
        }
        argv = [sys.executable, "-c", "from cdnexport.cli import main; main()"]
        with (work / "cluster.err").open("wb") as err:
            process = subprocess.Popen(
                [*argv, "cluster", "--dir", str(work), "--json"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=err,
            )
        assert process.stdout is not None
        try:
            line = process.stdout.readline()
            if not line:
                process.wait(30)
                pytest.fail(f"cluster did not start:\n{(work / 'cluster.err').read_text()}")
            info = json.loads(line)
            s3_env = info["env"]
            s3 = S3Server(
                info["s3_url"],
                s3_env["AWS_ACCESS_KEY_ID"],
                s3_env["AWS_SECRET_ACCESS_KEY"],
                "cdnexport",
            )
            db = Database(database_url)
            try:
                yield Cluster(tuple(info["api_urls"]), info["pids"], db, s3, int(time.time()))
            finally:
                db.dispose()
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                assert process.wait(60) == 0
            finally:
                process.stdout.close()
                if process.poll() is None:
                    process.kill()
                    process.wait(10)


def call(url: str, account: Account, action: str, params: dict[str, str]) -> dict[str, Any]:
    """A successful call; waits out throttling, as the SDKs' callers do."""
    deadline = time.monotonic() + WAIT
    while True:
        status, body = send(url, v1_request(account, action, params, time.time()))
        if status == 200:
            return body
        assert body.get("Code") == "Throttling.User", body
        assert time.monotonic() < deadline, "throttled for too long"
        time.sleep(0.3)


def new_account(cluster: Cluster, name: str, domains: tuple[str, ...] = ()) -> Account:
    with cluster.db.write() as conn:
        account = accounts.create_account(conn, name, cluster.now)
        accounts.add_domains(conn, account.id, list(domains))
    return account


def add_usage(cluster: Cluster, account: Account, names: tuple[str, ...], start: int) -> None:
    """Every region of every domain, every 5 minutes for ``DAYS`` days from ``start``."""
    with cluster.db.read() as conn:
        found = accounts.domain_ids(conn, account.id, list(names))
    assert found is not None
    pairs = np.array([(d, r) for d in found.values() for r in range(len(REGIONS))], np.int64)
    slots = np.arange(start, start + DAYS * DAY, 300, dtype=np.int64)
    domain, region = (np.repeat(pairs[:, i], len(slots)) for i in (0, 1))
    ts = np.tile(slots, len(pairs))
    zeros = np.zeros(len(ts), dtype=np.int64)
    batch = SampleBatch(domain, region, ts, (ts // 300) % 9973 + 17 * region, zeros, zeros, zeros)
    with cluster.db.write() as conn:
        SqlUsageStore(cluster.db).upsert(conn, batch)


def task_rows(cluster: Cluster, ids: list[int]) -> dict[int, tuple[str, int, str | None]]:
    with cluster.db.read() as conn:
        rows = conn.execute(
            select(
                export_task.c.id,
                export_task.c.status,
                export_task.c.attempts,
                export_task.c.lease_owner,
            ).where(export_task.c.id.in_(ids))
        )
        return {int(r.id): (str(r.status), int(r.attempts), r.lease_owner) for r in rows}


def held_by(rows: dict[int, tuple[str, int, str | None]], pid: int) -> list[int]:
    """Unfinished tasks leased by the worker process ``pid``."""
    return [
        task_id
        for task_id, (status, _, owner) in rows.items()
        if status == "created" and owner and f":{pid}:" in owner
    ]


def test_a_killed_worker_loses_no_task_and_leaves_one_object_per_task(cluster: Cluster) -> None:
    names = ("kill-a.scaleout.test", "kill-b.scaleout.test")
    account = new_account(cluster, "kill", names)
    start = (cluster.now - 20 * DAY) // DAY * DAY
    add_usage(cluster, account, names, start)
    params = {
        "Type": "flow",
        "StartTime": iso(start),
        "EndTime": iso(start + DAYS * DAY),
        "DomainNames": ",".join(names),
    }
    apis = cluster.api_urls
    ids = [int(call(apis[n % 2], account, CREATE, params)["TaskId"]) for n in range(TASKS)]

    # Killed in the middle of an export, once the other worker has taken tasks too. The worker
    # is frozen first (SIGSTOP) so that the task seen leased is still its own when it dies.
    victim, other = cluster.pids["worker1"], cluster.pids["worker2"]
    deadline = time.monotonic() + WAIT
    other_took: set[int] = set()
    held: int | None = None
    while held is None:
        rows = task_rows(cluster, ids)
        assert any(status == "created" for status, _, _ in rows.values()), "all done, none killed"
        assert time.monotonic() < deadline, f"worker1 never exported: {rows}"
        other_took |= {i for i, (_, _, owner) in rows.items() if f":{other}:" in (owner or "")}
        if other_took and held_by(rows, victim):
            os.kill(victim, signal.SIGSTOP)
            mine = held_by(task_rows(cluster, ids), victim)
            if mine:
                held = mine[0]
                os.kill(victim, signal.SIGKILL)
            else:
                os.kill(victim, signal.SIGCONT)
        time.sleep(0.01)

    while True:
        rows = task_rows(cluster, ids)
        if all(status != "created" for status, _, _ in rows.values()):
            break
        assert time.monotonic() < deadline, f"tasks unfinished: {rows}"
        time.sleep(0.2)
    assert {status for status, _, _ in rows.values()} == {"success"}, rows
    assert rows[held][1] >= 2  # the killed attempt, then the re-run
    assert cluster.s3.keys("exports/") == sorted(f"exports/{account.id}/{i}.xlsx" for i in ids)

    listing = call(apis[0], account, DESCRIBE, {"PageSize": "50"})
    items = listing["UsageDataPerPage"]["Data"]["DataItem"]
    url = next(item["DownloadUrl"] for item in items if item["TaskId"] == str(held))
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - presigned nanio URL
        assert resp.read(2) == b"PK"

    for n, task_id in enumerate(ids):
        call(apis[n % 2], account, DELETE, {"TaskId": str(task_id)})
    assert cluster.s3.keys("exports/") == []


def test_a_nonce_is_refused_by_the_other_api_process(cluster: Cluster) -> None:
    account = new_account(cluster, "nonce")
    first, second = cluster.api_urls
    for there, back in ((first, second), (second, first)):
        req = v1_request(account, DESCRIBE, {}, time.time())
        assert send(there, req)[0] == 200
        status, body = send(back, req)
        assert (status, body["Code"]) == (400, "SignatureNonceUsed")


def test_the_rate_limit_is_shared_by_the_api_processes(cluster: Cluster) -> None:
    account = new_account(cluster, "rate")
    calls = 4 * RATE
    requests = [
        (cluster.api_urls[n % 2], v1_request(account, DESCRIBE, {}, time.time()))
        for n in range(calls)
    ]
    began = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda pair: send(*pair), requests))
    elapsed = time.monotonic() - began
    allowed = sum(status == 200 for status, _ in answers)
    throttled = [body["Code"] for status, body in answers if status != 200]
    assert set(throttled) == {"Throttling.User"}
    # One bucket for both processes: the burst plus what refilled meanwhile (two buckets would
    # allow twice that).
    assert allowed <= RATE + RATE * elapsed + 1, (allowed, elapsed)
    assert allowed >= 1
