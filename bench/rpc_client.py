"""Signed RPC calls as the legacy SDK makes them (V1, everything in the query), over one
keep-alive connection; the bench needs no SDK and adds no client-side overhead worth measuring."""

from __future__ import annotations

import http.client
import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from bench.dataset import Key
from cdnexport.protocol.signature import sign_v1

API_VERSION = "2018-05-10"
CREATE = "CreateUsageDetailDataExportTask"
DESCRIBE = "DescribeUserUsageDetailDataExportTask"


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_path(
    key: Key, action: str, params: Mapping[str, str], now: float, method: str = "GET"
) -> str:
    """``/?<query>`` for one call, signed with a fresh ``SignatureNonce``."""
    full = {
        **params,
        "Action": action,
        "Version": API_VERSION,
        "Format": "JSON",
        "AccessKeyId": key.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": iso(now),
    }
    full["Signature"] = sign_v1(method, full, key.access_key_secret)
    return "/?" + urlencode(full, quote_via=quote, safe="~")


class CallFailed(RuntimeError):
    """The service answered with an error body."""


class RpcClient:
    def __init__(self, host: str, port: int, key: Key) -> None:
        self._conn = http.client.HTTPConnection(host, port, timeout=120)
        self._key = key

    def call(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        self._conn.request("GET", signed_path(self._key, action, params, time.time()))
        resp = self._conn.getresponse()
        body: dict[str, Any] = json.loads(resp.read())
        if resp.status != 200:
            raise CallFailed(f"{action}: HTTP {resp.status} {body}")
        return body

    def create_flow_export(self, domains: tuple[str, ...], start: int, end: int) -> str:
        body = self.call(
            CREATE,
            {
                "Type": "flow",
                "DomainNames": ",".join(domains),
                "StartTime": iso(start),
                "EndTime": iso(end),
                "Language": "en-us",
            },
        )
        return str(body["TaskId"])

    def task(self, task_id: str) -> dict[str, Any]:
        """The task's Describe item (it must be on the first page: the newest tasks)."""
        body = self.call(DESCRIBE, {"PageSize": "50"})
        for item in body["UsageDataPerPage"]["Data"]["DataItem"]:
            if item["TaskId"] == task_id:
                found: dict[str, Any] = item
                return found
        raise CallFailed(f"task {task_id} is not listed")

    def wait_success(self, task_id: str, poll: float, timeout: float = 600.0) -> dict[str, Any]:
        """Poll Describe until the task succeeds; raise when it fails or the time is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            item = self.task(task_id)
            if item["Status"] == "success":
                return item
            if item["Status"] == "failed":
                raise CallFailed(f"task {task_id} failed: {item.get('ErrorMessage')}")
            time.sleep(poll)
        raise CallFailed(f"task {task_id} did not finish within {timeout} s")

    def close(self) -> None:
        self._conn.close()
