"""The RPC edge end to end, in process: signatures, common errors, and every action rule."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from cdnexport.clock import ManualClock
from cdnexport.db import accounts
from cdnexport.db.accounts import Account
from cdnexport.protocol.request import RpcRequest
from cdnexport.protocol.signature import sign_v1
from cdnexport.services import Services
from cdnexport.web.rpc import RpcEdge, RpcResponse
from tests.support import add_account, iso, make_services, v1_request, v3_request

NOW = 1_780_000_000  # 2026-05-28T20:26:40Z
DAY = 86400
CREATE = "CreateUsageDetailDataExportTask"
DESCRIBE = "DescribeUserUsageDetailDataExportTask"
DELETE = "DeleteUsageDetailDataExportTask"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def services(tmp_path: Path, clock: ManualClock) -> Iterator[Services]:
    svc = make_services(tmp_path, clock, rate_limit_per_second=1000)
    yield svc
    svc.db.dispose()


@pytest.fixture
def edge(services: Services) -> RpcEdge:
    return RpcEdge(services)


@pytest.fixture
def alice(services: Services) -> Account:
    account = add_account(services, "alice", ("a.example.com", "b.example.com", "c.example.com"))
    with services.db.write() as conn:
        accounts.create_group(conn, account.id, "web", ["a.example.com", "b.example.com"])
    return account


@pytest.fixture
def bob(services: Services) -> Account:
    return add_account(services, "bob", ("bob.example.net",))


def call(
    edge: RpcEdge, account: Account, action: str, params: dict[str, str], **kw: Any
) -> tuple[RpcResponse, dict[str, Any]]:
    resp = edge.handle(v1_request(account, action, params, NOW, **kw))
    return resp, json.loads(resp.body)


def window(days_back: int = 3, span_days: int = 1) -> dict[str, str]:
    start = (NOW // DAY - days_back) * DAY
    return {"StartTime": iso(start), "EndTime": iso(start + span_days * DAY)}


def create(edge: RpcEdge, account: Account, **extra: str) -> tuple[RpcResponse, dict[str, Any]]:
    return call(edge, account, CREATE, {"Type": "flow", **window(), **extra})


def test_create_returns_string_task_id_and_echoes_window(edge: RpcEdge, alice: Account) -> None:
    resp, body = create(edge, alice, DomainNames="a.example.com")
    assert resp.status == 200
    assert isinstance(body["TaskId"], str) and body["TaskId"].isdigit()
    assert body["StartTime"] == window()["StartTime"]
    assert body["EndTime"] == window()["EndTime"]
    assert resp.headers["x-acs-request-id"] == body["RequestId"]


def test_v3_request_is_accepted_and_answers_json(edge: RpcEdge, alice: Account) -> None:
    resp = edge.handle(v3_request(alice, CREATE, {"Type": "vas", **window()}, NOW))
    assert resp.status == 200, resp.body
    assert "TaskId" in json.loads(resp.body)


def test_default_format_is_xml(edge: RpcEdge, alice: Account) -> None:
    resp = edge.handle(v1_request(alice, DESCRIBE, {}, NOW, fmt=""))
    assert resp.content_type.startswith("text/xml")
    root = ET.fromstring(resp.body)
    assert root.tag == f"{DESCRIBE}Response"
    assert root.findtext("UsageDataPerPage/PageSize") == "20"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "MissingType"),
        ({"Type": "bandwidth", **window()}, 400, "InvalidParameter"),
        ({"Type": "flow"}, 400, "MissingTimeParameter"),
        ({"Type": "flow", "StartTime": window()["StartTime"]}, 400, "MissingTimeParameter"),
        (
            {"Type": "flow", **window(), "StartTime": "2026-05-01"},
            400,
            "InvalidStartTime.Malformed",
        ),
        (
            {"Type": "flow", **window(), "EndTime": "2026-05-01T00:00Z"},
            400,
            "InvalidEndTime.Malformed",
        ),
        ({"Type": "flow", **window(days_back=366)}, 400, "InvalidStartTime.ValueNotSupported"),
        ({"Type": "flow", **window(span_days=32)}, 400, "InvalidTimeRange"),
        (
            {"Type": "flow", "StartTime": iso(NOW - DAY), "EndTime": iso(NOW - DAY)},
            400,
            "InvalidTimeRange",
        ),
        ({"Type": "flow", **window(), "Language": "fr"}, 400, "InvalidParameter"),
        ({"Type": "flow", **window(), "DomainNames": "bob.example.net"}, 403, "IllegalOperation"),
        ({"Type": "flow", **window(), "DomainNames": "nowhere.example"}, 403, "IllegalOperation"),
        ({"Type": "flow", **window(), "Group": "nope"}, 400, "InvalidParameter"),
        ({"Type": "flow", **window(), "TaskName": "x" * 257}, 400, "InvalidParameter"),
        ({"Type": "flow", **window(), "TimeZone": "Mars/Base"}, 400, "InvalidParameter"),
        (
            {"Type": "flow", **window(), "DomainNames": ",".join(f"d{i}.x" for i in range(101))},
            400,
            "InvalidDomainName.Overlimit",
        ),
    ],
)
def test_create_rejects_bad_input(
    edge: RpcEdge,
    alice: Account,
    bob: Account,
    params: dict[str, str],
    status: int,
    code: str,
) -> None:
    resp, body = call(edge, alice, CREATE, params)
    assert (resp.status, body["Code"]) == (status, code)
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    if code == "InvalidParameter":
        assert any(
            n in body["Message"] for n in ("Type", "Language", "Group", "TaskName", "TimeZone")
        )


def test_create_accepts_exactly_31_days_and_short_language_codes(
    edge: RpcEdge, alice: Account
) -> None:
    resp, _ = call(edge, alice, CREATE, {"Type": "flow", **window(40, 31), "Language": "EN"})
    assert resp.status == 200


def test_group_wins_over_domain_names(edge: RpcEdge, alice: Account) -> None:
    resp, _ = create(edge, alice, Group="web", DomainNames="bob.example.net")
    assert resp.status == 200
    _, listed = call(edge, alice, DESCRIBE, {})
    config = listed["UsageDataPerPage"]["Data"]["DataItem"][0]["TaskConfig"]
    assert config["Group"] == "web" and "DomainNames" not in config


def test_client_token_is_idempotent(edge: RpcEdge, alice: Account) -> None:
    _, first = create(edge, alice, ClientToken="tok-1")
    _, again = create(edge, alice, ClientToken="tok-1")
    assert first["TaskId"] == again["TaskId"]
    resp, body = create(edge, alice, ClientToken="tok-1", Language="en-us")
    assert (resp.status, body["Code"]) == (400, "IdempotentParameterMismatch")


def test_unfinished_task_quota(tmp_path: Path, clock: ManualClock) -> None:
    services = make_services(tmp_path, clock, max_unfinished_tasks=2)
    edge, account = RpcEdge(services), add_account(services, "q")
    assert create(edge, account)[0].status == 200
    assert create(edge, account)[0].status == 200
    resp, body = create(edge, account)
    assert (resp.status, body["Code"]) == (400, "QuotaExceeded.ExportTask")


def test_describe_shape_paging_and_isolation(edge: RpcEdge, alice: Account, bob: Account) -> None:
    ids = [create(edge, alice, TaskName=f"任务{i}")[1]["TaskId"] for i in range(3)]
    create(edge, bob)
    _, body = call(edge, alice, DESCRIBE, {"PageSize": "2", "PageNumber": "1"})
    page = body["UsageDataPerPage"]
    assert (page["PageSize"], page["PageNumber"], page["TotalCount"]) == (2, 1, 3)
    items = page["Data"]["DataItem"]
    assert [i["TaskId"] for i in items] == ids[::-1][:2]
    assert items[0]["TaskName"] == "任务2" and items[0]["Status"] == "created"
    assert "DownloadUrl" not in items[0]
    assert set(items[0]["TaskConfig"]) >= {"StartTime", "EndTime", "Type", "Language"}
    _, body = call(edge, alice, DESCRIBE, {"PageSize": "2", "PageNumber": "2"})
    assert isinstance(body["UsageDataPerPage"]["Data"]["DataItem"], list)
    assert len(body["UsageDataPerPage"]["Data"]["DataItem"]) == 1
    _, body = call(edge, alice, DESCRIBE, {"PageNumber": "9"})
    assert body["UsageDataPerPage"]["Data"] == {"DataItem": []}


def test_describe_lists_only_the_last_90_days(
    edge: RpcEdge, alice: Account, clock: ManualClock
) -> None:
    create(edge, alice)
    clock.advance(91 * DAY)
    resp = edge.handle(v1_request(alice, DESCRIBE, {}, clock.now()))
    assert json.loads(resp.body)["UsageDataPerPage"]["TotalCount"] == 0


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"PageSize": "0"}, "InvalidPageSize.ValueNotSupported"),
        ({"PageSize": "51"}, "InvalidPageSize.ValueNotSupported"),
        ({"PageSize": "ten"}, "InvalidPageSize.ValueNotSupported"),
        ({"PageNumber": "0"}, "InvalidPageNumber.ValueNotSupported"),
        ({"PageNumber": "100001"}, "InvalidPageNumber.ValueNotSupported"),
        ({"PageNumber": "1.5"}, "InvalidPageNumber.ValueNotSupported"),
    ],
)
def test_describe_rejects_bad_paging(
    edge: RpcEdge, alice: Account, params: dict[str, str], code: str
) -> None:
    resp, body = call(edge, alice, DESCRIBE, params)
    assert (resp.status, body["Code"]) == (400, code)


def test_delete_removes_only_own_tasks(edge: RpcEdge, alice: Account, bob: Account) -> None:
    task_id = create(edge, alice)[1]["TaskId"]
    resp, body = call(edge, bob, DELETE, {"TaskId": task_id})
    assert (resp.status, body["Code"]) == (400, "InvalidTaskId.Malformed")
    resp, body = call(edge, alice, DELETE, {"TaskId": task_id})
    assert resp.status == 200 and set(body) == {"RequestId"}
    _, body = call(edge, alice, DELETE, {"TaskId": task_id})
    assert body["Code"] == "InvalidTaskId.Malformed"
    _, body = call(edge, alice, DELETE, {"TaskId": "abc"})
    assert body["Code"] == "InvalidTaskId.Malformed"
    _, body = call(edge, alice, DELETE, {})
    assert body["Code"] == "MissingTaskId"


def test_signature_mismatch_carries_server_string_to_sign(edge: RpcEdge, alice: Account) -> None:
    resp, body = call(edge, alice, DESCRIBE, {}, secret="wrong")
    assert (resp.status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert body["Message"].split("server string to sign is:")[1].startswith("POST&%2F&")


def test_common_errors(edge: RpcEdge, alice: Account, services: Services) -> None:
    resp, body = call(edge, alice, "NoSuchAction", {})
    assert (resp.status, body["Code"]) == (404, "InvalidAction.NotFound")
    resp, body = call(edge, alice, DESCRIBE, {}, version="2014-11-11")
    assert (resp.status, body["Code"]) == (400, "InvalidVersion")
    ghost = Account(0, "ghost", "LTAIghost", "s", True)
    resp, body = call(edge, ghost, DESCRIBE, {})
    assert (resp.status, body["Code"]) == (404, "InvalidAccessKeyId.NotFound")
    with services.db.write() as conn:
        accounts.set_active(conn, alice.id, False)
    resp, body = call(edge, alice, DESCRIBE, {})
    assert (resp.status, body["Code"]) == (400, "InvalidAccessKeyId.Inactive")


def test_timestamp_and_nonce(edge: RpcEdge, alice: Account) -> None:
    old = edge.handle(v1_request(alice, DESCRIBE, {}, NOW - 901))
    assert json.loads(old.body)["Code"] == "InvalidTimeStamp.Expired"
    future = edge.handle(v1_request(alice, DESCRIBE, {}, NOW + 901))
    assert json.loads(future.body)["Code"] == "InvalidTimeStamp.Expired"
    assert edge.handle(v1_request(alice, DESCRIBE, {}, NOW - 899)).status == 200
    first = edge.handle(v1_request(alice, DESCRIBE, {}, NOW, nonce="n-1"))
    again = edge.handle(v1_request(alice, DESCRIBE, {}, NOW, nonce="n-1"))
    assert first.status == 200
    assert (again.status, json.loads(again.body)["Code"]) == (400, "SignatureNonceUsed")
    v3 = edge.handle(v3_request(alice, DESCRIBE, {}, NOW, nonce="n-1"))
    assert json.loads(v3.body)["Code"] == "SignatureNonceUsed"


def test_throttling_sets_retry_after(tmp_path: Path, clock: ManualClock) -> None:
    services = make_services(tmp_path, clock, rate_limit_per_second=3)
    edge, account = RpcEdge(services), add_account(services, "t")
    answers = [edge.handle(v1_request(account, DESCRIBE, {}, NOW)) for _ in range(4)]
    assert [a.status for a in answers[:3]] == [200, 200, 200]
    assert json.loads(answers[3].body)["Code"] == "Throttling.User"
    assert answers[3].headers["x-acs-retry-after"] == "1"
    # Another action has its own allowance.
    assert edge.handle(v1_request(account, CREATE, {"Type": "flow", **window()}, NOW)).status == 200


def test_internal_errors_are_generic(edge: RpcEdge, alice: Account, services: Services) -> None:
    services.db.engine.dispose()
    with services.db.write() as conn:
        conn.exec_driver_sql("DROP TABLE export_task")
    resp, body = call(edge, alice, DESCRIBE, {})
    assert (resp.status, body["Code"]) == (500, "InternalError")
    assert "export_task" not in body["Message"]


def test_malformed_timestamp_and_missing_signature(edge: RpcEdge, alice: Account) -> None:
    good = v1_request(alice, DESCRIBE, {}, NOW)
    params = dict(parse_qsl(good.raw_query, keep_blank_values=True))
    params["Timestamp"] = "2026/05/28 20:26:40"
    params["Signature"] = sign_v1("POST", params, alice.access_key_secret)
    resp = edge.handle(RpcRequest("POST", "/", urlencode(params), good.headers, b""))
    assert (resp.status, json.loads(resp.body)["Code"]) == (400, "InvalidTimeStamp.Format")
    del params["Signature"]
    resp = edge.handle(RpcRequest("POST", "/", urlencode(params), good.headers, b""))
    assert (resp.status, json.loads(resp.body)["Code"]) == (400, "IncompleteSignature")
