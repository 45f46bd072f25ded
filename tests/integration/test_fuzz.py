"""Hostile parameters for every action: never a 5xx, always an Alibaba error body.

Requests are signed (V1 or V3) so that they reach each action's own parameter checks; a second
property sends unsigned garbage at the parser itself.
"""

from __future__ import annotations

import dataclasses
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdnexport.api.table import ACTIONS
from cdnexport.clock import SystemClock
from cdnexport.db import accounts
from cdnexport.db.accounts import Account
from cdnexport.protocol.request import RpcRequest
from cdnexport.services import Services
from cdnexport.web.rpc import RpcEdge, RpcResponse
from tests.support import add_account, iso, make_services, v1_request, v3_request

#: The wire parameters of each action; the fuzzer picks from these (and from unknown names).
ACTION_PARAMS: dict[str, tuple[str, ...]] = {
    "CreateUsageDetailDataExportTask": (
        "Type", "StartTime", "EndTime", "DomainNames", "Group", "Language", "TaskName",
        "ClientToken", "TimeZone", "FileFormat",
    ),
    "DescribeUserUsageDetailDataExportTask": ("PageSize", "PageNumber"),
    "DeleteUsageDetailDataExportTask": ("TaskId",),
    "DescribeDomainUsageData": (
        "DomainName", "StartTime", "EndTime", "Field", "Type", "DataProtocol", "Area", "Interval",
        "ServiceType",
    ),
    "DescribeDomainMax95BpsData": ("DomainName", "StartTime", "EndTime", "TimePoint", "Cycle"),
    "DescribeDomainBpsData": (
        "DomainName", "StartTime", "EndTime", "Interval", "IspNameEn", "LocationNameEn",
    ),
    "DescribeDomainTrafficData": (
        "DomainName", "StartTime", "EndTime", "Interval", "IspNameEn", "LocationNameEn",
    ),
}  # fmt: skip

NOW = time.time()
DAY = 86400
HOSTILE = [
    "",
    " ",
    "²",
    "٣",
    "1" * 5000,
    "-1",
    "0",
    "1e9",
    "NaN",
    "Asia",
    "Asia/",
    "../../etc/passwd",
    "x" * 300,
    "\x01\x02",
    "a\nb",
    "<script>alert(1)</script>",
    "%00",
    "\ufffd",
    "😀",
    ",".join(f"d{n}.example.com" for n in range(150)),
    ",,,,",
    "flow",
    "vas",
    "en-us",
    "zh-cn",
    "web",
    "a.example.com",
    "UTC",
    "Asia/Shanghai",
    "bps",
    "traf",
    "acc",
    "https",
    "dynamic",
    "OverSeas",
    "300",
    "86400",
    "month",
    iso(NOW - 3 * DAY),
    iso(NOW - 2 * DAY),
    iso(NOW + DAY),
    iso(0),
    "2026-02-30T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2026-11-01T00:00:00",
]
VALUES = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60), st.integers().map(str))


def test_every_action_is_fuzzed() -> None:
    assert set(ACTION_PARAMS) == set(ACTIONS)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    svc = make_services(
        tmp_path_factory.mktemp("fuzz"), SystemClock(), max_unfinished_tasks=1_000_000
    )
    # Per-action limits (10 calls/s for some) would answer Throttling.User before the
    # parameters are read: the fuzzer must reach every action's own checks.
    yield dataclasses.replace(svc, limiter=NeverLimits())
    svc.db.dispose()


class NeverLimits:
    """A rate limiter that always allows (the limiter has tests of its own)."""

    def acquire(self, key: str, rate: float, now: float) -> float:
        return 0.0


@pytest.fixture(scope="module")
def alice(services: Services) -> Account:
    account = add_account(services, "alice", ("a.example.com", "b.example.com"))
    with services.db.write() as conn:
        accounts.create_group(conn, account.id, "web", ["a.example.com"])
    return account


def _check(resp: RpcResponse, fmt: str) -> dict[str, Any]:
    assert resp.status < 500, resp.body[:500]
    assert resp.headers["x-acs-request-id"]
    if fmt == "JSON":
        body: dict[str, Any] = json.loads(resp.body)
    else:
        root = ET.fromstring(resp.body)  # well-formed whatever the input
        body = {child.tag: child.text for child in root}
    if resp.status != 200:
        assert body["Code"] and body["RequestId"] == resp.headers["x-acs-request-id"], body
        assert body["Code"] != "Throttling.User"
    return body


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    action=st.sampled_from(sorted(ACTION_PARAMS)),
    data=st.data(),
    signing=st.sampled_from(["v1", "v3"]),
    fmt=st.sampled_from(["JSON", "XML"]),
)
def test_signed_hostile_parameters_never_fail_the_server(
    services: Services,
    alice: Account,
    action: str,
    data: st.DataObject,
    signing: str,
    fmt: str,
) -> None:
    names = ACTION_PARAMS[action]
    chosen = data.draw(st.dictionaries(st.sampled_from(names), VALUES, max_size=len(names)))
    extra = data.draw(st.dictionaries(st.text(min_size=1, max_size=12), VALUES, max_size=2))
    params = {**extra, **chosen}
    params = {k: v for k, v in params.items() if "\0" not in k + v}
    edge = RpcEdge(services)
    if signing == "v1":
        params = {k: v for k, v in params.items() if k not in _V1_COMMON}
        req = v1_request(alice, action, params, time.time(), fmt=fmt)
    else:
        accept = "application/json" if fmt == "JSON" else "application/xml"
        req = v3_request(alice, action, params, time.time(), accept=accept)
        fmt = "JSON" if fmt == "JSON" else "XML"
    _check(edge.handle(req), fmt)


_V1_COMMON = {
    "Action", "Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion",
    "SignatureNonce", "Timestamp", "Signature",
}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    query=st.text(max_size=300),
    body=st.binary(max_size=300),
    method=st.sampled_from(["GET", "POST"]),
)
def test_unsigned_garbage_never_fails_the_server(
    services: Services, query: str, body: bytes, method: str
) -> None:
    headers = {"host": "127.0.0.1", "content-type": "application/x-www-form-urlencoded"}
    req = RpcRequest(method, "/", query, headers, body)
    resp = RpcEdge(services).handle(req)
    assert resp.status < 500
    assert resp.headers["x-acs-request-id"]


def test_fifty_thousand_domain_names_are_refused_at_once(
    services: Services, alice: Account
) -> None:
    names = ",".join(f"d{n}.example.com" for n in range(50_000))
    window = {"StartTime": iso(NOW - 3 * DAY), "EndTime": iso(NOW - 2 * DAY)}
    params = {"Type": "flow", **window, "DomainNames": names}
    req = v1_request(alice, "CreateUsageDetailDataExportTask", params, time.time())
    resp = RpcEdge(services).handle(req)
    assert (resp.status, json.loads(resp.body)["Code"]) == (400, "InvalidDomainName.Overlimit")
