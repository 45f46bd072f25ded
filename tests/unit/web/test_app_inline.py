"""Calls served on the event loop (nonces batched) answer exactly as calls run in threads."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from cdnexport.clock import SystemClock
from cdnexport.db.accounts import Account
from cdnexport.protocol.request import RpcRequest
from cdnexport.services import Services
from cdnexport.web.app import create_app
from cdnexport.web.rpc import RpcEdge
from tests.support import add_account, iso, make_services, v1_request, v3_request

DESCRIBE = "DescribeUserUsageDetailDataExportTask"
CREATE = "CreateUsageDetailDataExportTask"


class OtherLimiter:
    def acquire(self, key: str, now: float) -> float:
        return 0.0


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, SystemClock(), rate_limit_per_second=1000)
    yield svc
    svc.db.dispose()


@pytest.fixture
def alice(services: Services) -> Account:
    return add_account(services, "alice", ("a.example.com",))


def send(client: TestClient, req: RpcRequest) -> tuple[int, dict[str, Any]]:
    resp = client.request(req.method, f"/?{req.raw_query}", headers=dict(req.headers))
    return resp.status_code, resp.json()


def test_the_sqlite_default_is_served_on_the_loop(services: Services) -> None:
    assert RpcEdge(services).inline
    remote = dataclasses.replace(services, limiter=OtherLimiter())
    assert not RpcEdge(remote).inline


def test_describe_and_create_on_the_loop(services: Services, alice: Account) -> None:
    now = time.time()
    day = int(now) // 86400 * 86400
    window = {"StartTime": iso(day - 2 * 86400), "EndTime": iso(day - 86400)}
    with TestClient(create_app(services)) as client:
        status, body = send(client, v1_request(alice, DESCRIBE, {}, now, nonce="n-1"))
        assert (status, body["UsageDataPerPage"]["TotalCount"]) == (200, 0)
        status, body = send(client, v1_request(alice, DESCRIBE, {}, now, nonce="n-1"))
        assert (status, body["Code"]) == (400, "SignatureNonceUsed")
        create = v1_request(alice, CREATE, {"Type": "flow", **window}, now)
        status, body = send(client, create)
        assert status == 200 and body["TaskId"].isdigit()
        created = body["TaskId"]
        status, body = send(client, v3_request(alice, DESCRIBE, {}, now))
        items = body["UsageDataPerPage"]["Data"]["DataItem"]
        assert [item["TaskId"] for item in items] == [created]
        status, body = send(client, v1_request(alice, DESCRIBE, {}, now, secret="wrong"))
        assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")


def test_without_the_lifespan_calls_run_in_threads(services: Services, alice: Account) -> None:
    now = time.time()
    client = TestClient(create_app(services))  # no ``with``: the lifespan never starts
    status, _ = send(client, v1_request(alice, DESCRIBE, {}, now, nonce="n-2"))
    assert status == 200
    status, body = send(client, v1_request(alice, DESCRIBE, {}, now, nonce="n-2"))
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")
