"""The usage-query actions through each SDK: values against an independent computation of the
ingested samples, and types as the SDK models read them (JSON in every mode, XML via legacy)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests import usage_oracle as oracle
from tests.contract.dataset import DAY, iso
from tests.contract.deployment import Deployment
from tests.contract.sdk import ApiError, Body, CdnClient, LegacyClient, TeaClient

pytestmark = pytest.mark.contract

USAGE = "DescribeDomainUsageData"
MAX95 = "DescribeDomainMax95BpsData"
EVERY_REGION = ["CN", *oracle.OVERSEAS]


def rows(d: Deployment) -> list[oracle.Row]:
    return [
        oracle.Row(
            s.domain,
            s.region,
            s.ts,
            s.traffic_bytes,
            s.static_https,
            s.dynamic_http,
            s.dynamic_https,
        )
        for s in d.dataset.samples
    ]


def query(client: CdnClient, action: str, params: dict[str, str]) -> Body:
    # DescribeDomainUsageData allows 10 calls a second per account; stay under it.
    time.sleep(0.11)
    return client.query(action, params)


def test_hourly_bandwidth_of_two_domains(alice: CdnClient, deployment: Deployment) -> None:
    data = deployment.dataset
    mine = [deployment.domain_a, deployment.domain_b]
    params = {
        "DomainName": ",".join(mine),
        "StartTime": iso(data.start),
        "EndTime": iso(data.end),
        "Field": "bps",
        "Area": "all",
        "Interval": "3600",
    }
    body = query(alice, USAGE, params)
    values = oracle.load(
        rows(deployment), mine, EVERY_REGION, ["traffic_bytes"], data.start, data.end
    )
    expected = oracle.buckets(values, data.start, 3600, peak=True)
    found = body["UsageDataPerInterval"]["DataModule"]
    assert len(found) == len(expected) == 72
    for item, (ts, value, at) in zip(found, expected, strict=True):
        assert (item["TimeStamp"], item["PeakTime"]) == (iso(ts), iso(at))
        assert oracle.close(item["Value"], oracle.bps(value))
        assert all(isinstance(v, str) for v in item.values())
    assert {k: body[k] for k in ("DataInterval", "Area", "Type")} == {
        "DataInterval": "3600",
        "Area": "all",
        "Type": "all",
    }
    assert (body["StartTime"], body["EndTime"]) == (params["StartTime"], params["EndTime"])
    if isinstance(alice, TeaClient):
        model: Any = alice.query_model(USAGE, params)
        modules = model.usage_data_per_interval.data_module
        assert isinstance(modules, list) and len(modules) == 72
        assert all(isinstance(m.value, str) and isinstance(m.peak_time, str) for m in modules)
        assert isinstance(model.data_interval, str)


def test_one_day_of_requests_is_a_one_entry_list(alice: CdnClient, deployment: Deployment) -> None:
    start = deployment.dataset.start + DAY
    params = {
        "DomainName": deployment.domain_a,
        "StartTime": iso(start),
        "EndTime": iso(start + DAY),
        "Field": "acc",
        "DataProtocol": "https",
        "Type": "dynamic",
        "Interval": "86400",
    }
    body = query(alice, USAGE, params)
    (item,) = body["UsageDataPerInterval"]["DataModule"]
    total = sum(
        oracle.load(
            rows(deployment),
            [deployment.domain_a],
            EVERY_REGION,
            ["dynamic_https"],
            start,
            start + DAY,
        )
    )
    assert item == {
        "TimeStamp": iso(start),
        "Value": str(total),
        "PeakTime": iso(start),
        "SpecialValue": str(total),
    }
    if isinstance(alice, TeaClient):
        model: Any = alice.query_model(USAGE, params)
        assert isinstance(model.usage_data_per_interval.data_module, list)
        assert model.usage_data_per_interval.data_module[0].value == str(total)
    if isinstance(alice, LegacyClient):
        root = ET.fromstring(alice.query_xml(USAGE, params))
        assert root.tag == f"{USAGE}Response"
        (element,) = root.findall("UsageDataPerInterval/DataModule")
        assert element.findtext("Value") == str(total)
        assert root.findtext("Type") == "dynamic"


def test_xml_and_json_carry_the_same_series(alice: CdnClient, deployment: Deployment) -> None:
    if not isinstance(alice, LegacyClient):
        pytest.skip("the tea SDK reads JSON only")
    data = deployment.dataset
    params = {
        "StartTime": iso(data.start),
        "EndTime": iso(data.start + DAY),
        "Field": "traf",
        "Interval": "300",
    }
    body = query(alice, USAGE, params)
    time.sleep(0.11)
    root = ET.fromstring(alice.query_xml(USAGE, params))
    as_xml = [
        {child.tag: child.text for child in element}
        for element in root.findall("UsageDataPerInterval/DataModule")
    ]
    assert as_xml == body["UsageDataPerInterval"]["DataModule"]
    assert len(as_xml) == 288


def test_max95_per_day_has_the_documented_mixed_types(
    alice: CdnClient, deployment: Deployment
) -> None:
    data = deployment.dataset
    params = {
        "DomainName": deployment.domain_a,
        "StartTime": iso(data.start),
        "EndTime": iso(data.end),
        "Cycle": "day",
    }
    body = query(alice, MAX95, params)
    sample_rows = rows(deployment)
    for key, regions in (
        ("Max95Bps", EVERY_REGION),
        ("DomesticMax95Bps", ["CN"]),
        ("OverseasMax95Bps", oracle.OVERSEAS),
    ):
        values = oracle.load(
            sample_rows, [deployment.domain_a], regions, ["traffic_bytes"], data.start, data.end
        )
        assert isinstance(body[key], str)
        assert oracle.close(body[key], oracle.bps(oracle.p95(values, data.start)[0]))
    details = body["DetailData"]["Max95Detail"]
    assert [(d["TimeStamp"], d["Area"]) for d in details] == [
        (iso(data.start + i * DAY), area) for i in range(3) for area in ("CN", "OverSeas")
    ]
    for detail in details:
        day = (
            int(time.mktime(time.strptime(detail["TimeStamp"], "%Y-%m-%dT%H:%M:%SZ")))
            - time.timezone
        )
        regions = ["CN"] if detail["Area"] == "CN" else oracle.OVERSEAS
        values = oracle.load(
            sample_rows, [deployment.domain_a], regions, ["traffic_bytes"], day, day + DAY
        )
        value, at = oracle.p95(values, day)
        assert isinstance(detail["Max95Bps"], float)
        assert abs(detail["Max95Bps"] - float(oracle.bps(value))) <= 1e-9 * max(
            1.0, float(oracle.bps(value))
        )
        assert detail["Max95BpsPeakTime"] == iso(at)
    if isinstance(alice, TeaClient):
        model: Any = alice.query_model(MAX95, params)
        assert isinstance(model.max_95bps, str) and isinstance(model.domestic_max_95bps, str)
        assert all(isinstance(d.max_95bps, float) for d in model.detail_data.max_95detail)


@pytest.mark.parametrize("action", ["DescribeDomainBpsData", "DescribeDomainTrafficData"])
def test_bps_and_traffic_with_domestic_and_overseas(
    alice: CdnClient, deployment: Deployment, action: str
) -> None:
    start = deployment.dataset.start + DAY
    params = {
        "DomainName": deployment.domain_a,
        "StartTime": iso(start),
        "EndTime": iso(start + 6 * 3600),
        "Interval": "3600",
    }
    body = query(alice, action, params)
    is_bps = action == "DescribeDomainBpsData"
    found = body["BpsDataPerInterval" if is_bps else "TrafficDataPerInterval"]["DataModule"]
    sample_rows = rows(deployment)
    for key, regions in (
        ("Value", EVERY_REGION),
        ("DomesticValue", ["CN"]),
        ("OverseasValue", oracle.OVERSEAS),
    ):
        values = oracle.load(
            sample_rows, [deployment.domain_a], regions, ["traffic_bytes"], start, start + 6 * 3600
        )
        expected = oracle.buckets(values, start, 3600, peak=is_bps)
        assert [item["TimeStamp"] for item in found] == [iso(ts) for ts, _, _ in expected]
        for item, (_, value, _) in zip(found, expected, strict=True):
            if is_bps:
                assert oracle.close(item[key], oracle.bps(value))
            else:
                assert item[key] == str(value)
    assert all(item["HttpsValue"] == "" and isinstance(item["Value"], str) for item in found)
    if isinstance(alice, TeaClient):
        model: Any = alice.query_model(action, params)
        per = model.bps_data_per_interval if is_bps else model.traffic_data_per_interval
        assert isinstance(per.data_module, list) and all(
            isinstance(m.value, str) for m in per.data_module
        )


@pytest.mark.parametrize(
    "action", [USAGE, MAX95, "DescribeDomainBpsData", "DescribeDomainTrafficData"]
)
def test_a_foreign_domain_answers_like_an_unknown_one(
    alice: CdnClient, deployment: Deployment, action: str
) -> None:
    data = deployment.dataset
    codes = []
    for name in (deployment.bob_domain, f"nobody-{deployment.bob_domain}"):
        params = {
            "DomainName": name,
            "StartTime": iso(data.start),
            "EndTime": iso(data.start + DAY),
        }
        if action == USAGE:
            params["Field"] = "bps"
        with pytest.raises(ApiError) as caught:
            query(alice, action, params)
        # The tea SDK appends the RequestId to the message.
        message = caught.value.message.split(" request id:")[0]
        codes.append((caught.value.code, caught.value.http_status, message))
    assert codes[0] == codes[1]
    assert codes[0][:2] == ("InvalidDomain.NotFound", 404)
