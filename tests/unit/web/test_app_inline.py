"""Calls served on the event loop (nonces batched) answer exactly as calls run in threads."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from cdnexport.clock import ManualClock, SystemClock
from cdnexport.db import tasks
from cdnexport.db.accounts import Account
from cdnexport.db.schema import export_task
from cdnexport.protocol.request import RpcRequest
from cdnexport.services import Services
from cdnexport.storage.local import LocalBlobStore
from cdnexport.web.app import create_app
from cdnexport.web.rpc import RpcEdge
from tests.support import add_account, flow_spec, iso, make_services, v1_request, v3_request

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


def _success_task(services: Services, account: Account, now: int) -> int:
    spec = flow_spec(now // 86400 * 86400 - 86400, "kept")
    with services.db.write() as conn:
        task_id = tasks.insert_task(conn, account.id, spec, now)
        conn.execute(
            update(export_task)
            .where(export_task.c.id == task_id)
            .values(status="success", file_key=f"t/{task_id}.xlsx", file_size=10, row_count=2)
        )
    return task_id


def test_describe_is_answered_again_until_the_database_or_the_minute_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = 1_800_000_030.0  # 30 s into a minute
    clock = ManualClock(start)
    services = make_services(tmp_path, clock, download_ttl_seconds=3600)
    alice = add_account(services, "alice")
    task_id = _success_task(services, alice, int(start))
    listed: list[int] = []
    real_list_page = tasks.list_page

    def counting(*args: Any) -> Any:
        listed.append(1)
        return real_list_page(*args)

    monkeypatch.setattr(tasks, "list_page", counting)

    def describe() -> tuple[str, dict[str, Any]]:
        status, body = send(client, v1_request(alice, DESCRIBE, {}, clock.now()))
        assert status == 200, body
        assert len(body["UsageDataPerPage"]["Data"]["DataItem"]) == 1
        return body.pop("RequestId"), body

    with TestClient(create_app(services)) as client:
        first_id, first = describe()
        second_id, second = describe()
        assert first_id != second_id and first == second
        assert len(listed) == 1  # the second answer was the first one's, with its own id
        item = first["UsageDataPerPage"]["Data"]["DataItem"][0]
        # Links end on a whole minute, at least the time to live away.
        assert item["UrlExpireTime"] == iso(1_800_003_660)
        # Another connection commits: the next call sees it.
        with services.db.write() as conn:
            conn.execute(
                update(export_task).where(export_task.c.id == task_id).values(name="renamed")
            )
        _, third = describe()
        assert third["UsageDataPerPage"]["Data"]["DataItem"][0]["TaskName"] == "renamed"
        assert len(listed) == 2
        # While now + ttl stays within the same minute the link stays the same...
        clock.advance(30)
        describe()
        assert len(listed) == 2
        # ...then it moves on by a minute.
        clock.advance(1)
        _, fourth = describe()
        assert len(listed) == 3
        item = fourth["UsageDataPerPage"]["Data"]["DataItem"][0]
        assert item["UrlExpireTime"] == iso(1_800_003_720)
        # A download link given out from the cache works.
        assert isinstance(services.store, LocalBlobStore)
        file = services.store.path_of(f"t/{task_id}.xlsx")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(b"PK")
        url = urlsplit(item["DownloadUrl"])
        assert client.get(f"{url.path}?{url.query}").content == b"PK"
    services.db.dispose()


def test_answers_are_kept_per_account_parameters_and_format(services: Services) -> None:
    alice = add_account(services, "alice")
    bob = add_account(services, "bob")
    now = int(time.time())
    _success_task(services, alice, now)
    with TestClient(create_app(services)) as client:
        for _ in range(2):
            _, mine = send(client, v1_request(alice, DESCRIBE, {}, now))
            _, theirs = send(client, v1_request(bob, DESCRIBE, {}, now))
            _, paged = send(client, v1_request(alice, DESCRIBE, {"PageNumber": "2"}, now))
            assert mine["UsageDataPerPage"]["TotalCount"] == 1
            assert len(mine["UsageDataPerPage"]["Data"]["DataItem"]) == 1
            assert theirs["UsageDataPerPage"]["TotalCount"] == 0
            assert paged["UsageDataPerPage"]["Data"]["DataItem"] == []
            req = v1_request(alice, DESCRIBE, {}, now, fmt="XML")
            xml = client.request(req.method, f"/?{req.raw_query}").text
            assert xml.startswith("<?xml") and "<TaskName>kept</TaskName>" in xml


def test_the_rpc_endpoint_takes_get_head_and_post_only(services: Services) -> None:
    with TestClient(create_app(services)) as client:
        refused = client.put("/")
        assert refused.status_code == 405
        assert refused.headers["allow"] == "GET, HEAD, POST"
        head = client.head("/")
        assert head.status_code == 400 and head.content == b""
        assert int(head.headers["content-length"]) > 0
        assert client.get("/healthz").text == "ok"
