"""Outages of PostgreSQL, Redis and the object store, each made by cutting a proxy between the
service and the real server: calls answer ServiceUnavailable (503) with an Alibaba body and a
Retry-After, ``/readyz`` says what is down, and everything works again once the proxy lets
traffic through, without a restart or any other step."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from cdnexport.clock import ManualClock, SystemClock
from cdnexport.db import tasks
from cdnexport.db.accounts import Account
from cdnexport.domain.task import TaskStatus
from cdnexport.services import Services
from cdnexport.storage.s3 import S3BlobStore
from cdnexport.web.app import create_app
from cdnexport.worker.runner import Worker
from tests.faults.proxy import TcpProxy, proxy_for
from tests.scaleout.backing import REDIS_ENV, S3Server, redis_prefix, required_url
from tests.support import add_account, flow_spec, iso, make_services, migrated_database, v1_request

DAY = 86400
CREATE = "CreateUsageDetailDataExportTask"
DESCRIBE = "DescribeUserUsageDetailDataExportTask"
DELETE = "DeleteUsageDetailDataExportTask"


def call(client: TestClient, account: Account, action: str, **params: str) -> Any:
    request = v1_request(account, action, params, time.time())
    return client.post(f"/?{request.raw_query}")


def create_params() -> dict[str, str]:
    start = (int(time.time()) // DAY - 3) * DAY
    return {"Type": "flow", "StartTime": iso(start), "EndTime": iso(start + DAY)}


def assert_unavailable(resp: Any) -> None:
    assert resp.status_code == 503, resp.text
    body = json.loads(resp.text)
    assert body["Code"] == "ServiceUnavailable"
    assert body["RequestId"] and body["HostId"] and body["Message"]
    assert resp.headers["retry-after"] == "1"


@pytest.fixture
def pg_through_proxy(pg_url: str, tmp_path: Path) -> Iterator[tuple[Services, TcpProxy]]:
    with migrated_database(pg_url), proxy_for(pg_url) as (proxy, url):
        services = make_services(tmp_path, SystemClock(), database_url=url)
        yield services, proxy
        services.db.dispose()


def test_postgresql_outage(pg_through_proxy: tuple[Services, TcpProxy]) -> None:
    services, proxy = pg_through_proxy
    account = add_account(services, "pg")
    with TestClient(create_app(services)) as client:
        created = call(client, account, CREATE, **create_params())
        assert created.status_code == 200
        task_id = created.json()["TaskId"]
        proxy.cut()
        assert_unavailable(call(client, account, CREATE, **create_params()))
        assert_unavailable(call(client, account, DESCRIBE))
        assert_unavailable(call(client, account, DELETE, TaskId=task_id))
        ready = client.get("/readyz")
        assert (ready.status_code, ready.text) == (503, "unavailable: database")
        assert client.get("/healthz").status_code == 200
        proxy.restore()
        assert client.get("/readyz").status_code == 200
        listed = call(client, account, DESCRIBE)
        assert listed.status_code == 200, listed.text
        assert listed.json()["UsageDataPerPage"]["TotalCount"] == 1
        assert call(client, account, CREATE, **create_params()).status_code == 200


@pytest.fixture
def redis_through_proxy(tmp_path: Path) -> Iterator[tuple[Services, TcpProxy]]:
    url = required_url(REDIS_ENV)
    with redis_prefix(url) as prefix, proxy_for(url) as (proxy, proxied):
        services = make_services(
            tmp_path, SystemClock(), redis_url=proxied, redis_key_prefix=prefix
        )
        yield services, proxy
        services.db.dispose()


def test_redis_outage(redis_through_proxy: tuple[Services, TcpProxy]) -> None:
    services, proxy = redis_through_proxy
    account = add_account(services, "redis")
    with TestClient(create_app(services)) as client:
        assert call(client, account, DESCRIBE).status_code == 200
        proxy.cut()
        assert_unavailable(call(client, account, DESCRIBE))
        assert_unavailable(call(client, account, CREATE, **create_params()))
        ready = client.get("/readyz")
        assert (ready.status_code, ready.text) == (503, "unavailable: redis")
        proxy.restore()
        assert client.get("/readyz").status_code == 200
        assert call(client, account, DESCRIBE).status_code == 200
        assert call(client, account, CREATE, **create_params()).status_code == 200


def test_object_store_outage_retries_the_export_until_it_is_back(
    tmp_path: Path, s3_through_proxy: tuple[S3BlobStore, TcpProxy], s3_server: S3Server
) -> None:
    store, proxy = s3_through_proxy
    now = 1_780_000_000
    clock = ManualClock(now)
    base = make_services(tmp_path, clock, retry_base_seconds=2.0)
    services = dataclasses.replace(base, store=store)
    account = add_account(services, "s3")
    with services.db.write() as conn:
        task_id = tasks.insert_task(conn, account.id, flow_spec(now), now)
    worker = Worker(services)
    proxy.cut()
    assert worker.run_once()
    with services.db.read() as conn:
        waiting = tasks.get_task(conn, account.id, task_id)
    assert waiting is not None and waiting.status is TaskStatus.CREATED
    assert "Temporary failure" in waiting.error_message
    proxy.restore()
    clock.advance(2)
    assert worker.run_once()
    with services.db.read() as conn:
        done = tasks.get_task(conn, account.id, task_id)
    assert done is not None and (done.status, done.attempts) == (TaskStatus.SUCCESS, 2)
    assert s3_server.keys(store.object_key(done.file_key)) == [store.object_key(done.file_key)]
    base.db.dispose()
