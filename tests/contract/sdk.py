"""One small interface over the three official SDK modes, so every contract test runs in each.

The modes: the legacy ``aliyun-python-sdk-core`` client (V1 signatures), and the tea client
``alibabacloud_cdn20180510`` with its default V3 signatures or with V1 (``signature_algorithm``
``v2``). Results are plain dicts with wire names, as each SDK parses them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, Protocol

from alibabacloud_cdn20180510 import models as tea_models
from alibabacloud_cdn20180510.client import Client as TeaSdkClient
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.models import Config
from aliyunsdkcdn.request.v20180510.CreateUsageDetailDataExportTaskRequest import (
    CreateUsageDetailDataExportTaskRequest,
)
from aliyunsdkcdn.request.v20180510.DeleteUsageDetailDataExportTaskRequest import (
    DeleteUsageDetailDataExportTaskRequest,
)
from aliyunsdkcdn.request.v20180510.DescribeDomainBpsDataRequest import (
    DescribeDomainBpsDataRequest,
)
from aliyunsdkcdn.request.v20180510.DescribeDomainMax95BpsDataRequest import (
    DescribeDomainMax95BpsDataRequest,
)
from aliyunsdkcdn.request.v20180510.DescribeDomainTrafficDataRequest import (
    DescribeDomainTrafficDataRequest,
)
from aliyunsdkcdn.request.v20180510.DescribeDomainUsageDataRequest import (
    DescribeDomainUsageDataRequest,
)
from aliyunsdkcdn.request.v20180510.DescribeUserUsageDetailDataExportTaskRequest import (
    DescribeUserUsageDetailDataExportTaskRequest,
)
from aliyunsdkcore.acs_exception.exceptions import ServerException as LegacyServerException
from aliyunsdkcore.client import AcsClient

Mode = Literal["legacy", "tea-v3", "tea-v1"]
MODES: tuple[Mode, ...] = ("legacy", "tea-v3", "tea-v1")
Body = dict[str, Any]

#: The usage-query actions: the legacy request class and the tea client's method name.
QUERIES: dict[str, tuple[type[Any], str]] = {
    "DescribeDomainUsageData": (DescribeDomainUsageDataRequest, "describe_domain_usage_data"),
    "DescribeDomainMax95BpsData": (
        DescribeDomainMax95BpsDataRequest,
        "describe_domain_max_95bps_data",
    ),
    "DescribeDomainBpsData": (DescribeDomainBpsDataRequest, "describe_domain_bps_data"),
    "DescribeDomainTrafficData": (DescribeDomainTrafficDataRequest, "describe_domain_traffic_data"),
}


class ApiError(Exception):
    """An error answer of the service, as the SDK surfaced it."""

    def __init__(self, code: str, http_status: int, message: str) -> None:
        super().__init__(f"{http_status} {code}: {message}")
        self.code = code
        self.http_status = http_status
        self.message = message


class CdnClient(Protocol):
    mode: Mode

    def create(self, params: Mapping[str, str]) -> Body:
        """CreateUsageDetailDataExportTask with wire-named parameters."""
        ...

    def describe(self, page_size: int | None = None, page_number: int | None = None) -> Body:
        """DescribeUserUsageDetailDataExportTask."""
        ...

    def delete(self, task_id: str) -> Body:
        """DeleteUsageDetailDataExportTask."""
        ...

    def query(self, action: str, params: Mapping[str, str]) -> Body:
        """A usage-query action (``QUERIES``) with wire-named parameters."""
        ...


class LegacyClient:
    """``AcsClient`` with the request classes of ``aliyun-python-sdk-cdn``; no retries."""

    mode: Mode = "legacy"

    def __init__(self, endpoint: str, access_key_id: str, secret: str) -> None:
        self._endpoint = endpoint
        self._client = AcsClient(
            access_key_id,
            secret,
            "cn-hangzhou",
            auto_retry=False,
            max_retry_time=0,
            timeout=30,
            connect_timeout=5,
        )

    def _call(self, request: Any) -> Body:
        request.set_endpoint(self._endpoint)
        request.set_protocol_type("http")
        try:
            raw = self._client.do_action_with_exception(request)
        except LegacyServerException as exc:
            raise ApiError(
                exc.get_error_code(), exc.get_http_status(), exc.get_error_msg()
            ) from exc
        body: Body = json.loads(raw)
        return body

    def create(self, params: Mapping[str, str]) -> Body:
        request = CreateUsageDetailDataExportTaskRequest()
        for name, value in params.items():
            # The generated setters are the SDK's public surface, one per documented parameter.
            getattr(request, f"set_{name}")(value)
        return self._call(request)

    def describe(self, page_size: int | None = None, page_number: int | None = None) -> Body:
        request = DescribeUserUsageDetailDataExportTaskRequest()
        if page_size is not None:
            request.set_PageSize(str(page_size))
        if page_number is not None:
            request.set_PageNumber(str(page_number))
        return self._call(request)

    def delete(self, task_id: str) -> Body:
        request = DeleteUsageDetailDataExportTaskRequest()
        request.set_TaskId(task_id)
        return self._call(request)

    def _query_request(self, action: str, params: Mapping[str, str]) -> Any:
        request = QUERIES[action][0]()
        for name, value in params.items():
            getattr(request, f"set_{name}")(value)
        request.set_endpoint(self._endpoint)
        request.set_protocol_type("http")
        return request

    def query(self, action: str, params: Mapping[str, str]) -> Body:
        return self._call(self._query_request(action, params))

    def query_xml(self, action: str, params: Mapping[str, str]) -> str:
        """The raw XML answer through the legacy SDK's transport: ``do_action_with_exception``
        forces JSON, so this calls the method beneath it, as the SDK's deprecated ``do_action``
        (Format from ``set_accept_format``) did."""
        request = self._query_request(action, params)
        request.set_accept_format("XML")
        status, _headers, raw, exc = self._client._implementation_of_do_action(request)
        if exc is not None or status != 200:
            raise AssertionError(f"{status}: {raw!r}")
        text: str = raw.decode()
        return text


class TeaClient:
    """The generated ``alibabacloud_cdn20180510`` client; V3 signatures unless ``v1``."""

    def __init__(self, endpoint: str, access_key_id: str, secret: str, *, v1: bool) -> None:
        self.mode: Mode = "tea-v1" if v1 else "tea-v3"
        config = Config(
            access_key_id=access_key_id,
            access_key_secret=secret,
            endpoint=endpoint,
            protocol="http",
            read_timeout=30_000,
            connect_timeout=5_000,
        )
        if v1:
            config.signature_algorithm = "v2"
        self._client = TeaSdkClient(config)

    def _call(self, method: Any, request: Any) -> Any:
        try:
            return method(request)
        except AlibabaCloudException as exc:
            raise ApiError(str(exc.code), int(exc.status_code or 0), str(exc.message)) from exc

    def create(self, params: Mapping[str, str]) -> Body:
        request = tea_models.CreateUsageDetailDataExportTaskRequest().from_map(dict(params))
        resp = self._call(self._client.create_usage_detail_data_export_task, request)
        body: Body = resp.body.to_map()
        return body

    def describe_model(self, page_size: int | None = None, page_number: int | None = None) -> Any:
        """The typed response body model, for checks on how the SDK parsed the answer."""
        request = tea_models.DescribeUserUsageDetailDataExportTaskRequest(
            page_size=None if page_size is None else str(page_size),
            page_number=None if page_number is None else str(page_number),
        )
        return self._call(self._client.describe_user_usage_detail_data_export_task, request).body

    def describe(self, page_size: int | None = None, page_number: int | None = None) -> Body:
        body: Body = self.describe_model(page_size, page_number).to_map()
        return body

    def query_model(self, action: str, params: Mapping[str, str]) -> Any:
        """The typed response body model of a usage query."""
        request = getattr(tea_models, f"{action}Request")().from_map(dict(params))
        return self._call(getattr(self._client, QUERIES[action][1]), request).body

    def query(self, action: str, params: Mapping[str, str]) -> Body:
        body: Body = self.query_model(action, params).to_map()
        return body

    def delete(self, task_id: str) -> Body:
        request = tea_models.DeleteUsageDetailDataExportTaskRequest(task_id=task_id)
        resp = self._call(self._client.delete_usage_detail_data_export_task, request)
        body: Body = resp.body.to_map()
        return body


def make_client(mode: Mode, endpoint: str, access_key_id: str, secret: str) -> CdnClient:
    """A client of ``mode`` talking plain HTTP to ``endpoint`` (``host:port``)."""
    if mode == "legacy":
        return LegacyClient(endpoint, access_key_id, secret)
    return TeaClient(endpoint, access_key_id, secret, v1=mode == "tea-v1")


def data_items(body: Body) -> list[Body]:
    """The task items of a Describe answer."""
    items: list[Body] = body["UsageDataPerPage"]["Data"]["DataItem"]
    return items
