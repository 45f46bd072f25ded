"""The four usage-query actions through the request path, against an independent computation."""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest

from cdnexport.api.table import ACTIONS
from cdnexport.clock import ManualClock
from cdnexport.db import accounts
from cdnexport.db.accounts import Account
from cdnexport.domain.regions import REGION_ID
from cdnexport.services import Services
from cdnexport.usage.samples import SampleBatch
from cdnexport.web.rpc import RpcEdge
from tests import usage_oracle as oracle
from tests.support import add_account, iso, make_services, v1_request

NOW = 1_780_000_000  # 2026-05-28T20:26:40Z
DAY = 86400
APR_27 = 1_777_248_000  # 2026-04-27T00:00:00Z
#: Samples stop here: the watermark.
DATA_END = NOW - NOW % 300 - 3600
MINE = ("a.example.com", "b.example.com", "c.example.com")
USAGE = "DescribeDomainUsageData"


def make_rows() -> list[oracle.Row]:
    rng = random.Random(12)
    rows = []
    for domain, region, density in (
        ("a.example.com", "CN", 0.9),
        ("a.example.com", "EU", 0.4),
        ("b.example.com", "CN", 0.6),
        ("b.example.com", "AP1", 0.3),
        ("bob.example.net", "CN", 1.0),
    ):
        for ts in range(APR_27, DATA_END, 300):
            if rng.random() < density:
                traffic = rng.choice((0, 7_000_000, rng.randrange(10**9), rng.randrange(10**12)))
                counts = (rng.randrange(10**6), rng.randrange(10**4), rng.randrange(10**7))
                rows.append(oracle.Row(domain, region, ts, traffic, *counts))
    return rows


ROWS = make_rows()
#: Moves a tenth of a second per call, which keeps the calls under DescribeDomainUsageData's
#: 10 per second without leaving the minute of NOW.
CLOCK = ManualClock(NOW)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    svc = make_services(tmp_path_factory.mktemp("usage"), CLOCK)
    add_account(svc, "alice", MINE)
    add_account(svc, "bob", ("bob.example.net",))
    with svc.db.write() as conn:
        ids = accounts.domain_ids(conn, 1, MINE) or {}
        ids |= accounts.domain_ids(conn, 2, ("bob.example.net",)) or {}
        batch = SampleBatch.from_rows(
            (
                ids[r.domain],
                REGION_ID[r.region],
                r.ts,
                r.traffic_bytes,
                r.static_https,
                r.dynamic_http,
                r.dynamic_https,
            )
            for r in ROWS
        )
        svc.usage.upsert(conn, batch)  # type: ignore[attr-defined]
    yield svc
    svc.db.dispose()


@pytest.fixture(scope="module")
def alice(services: Services) -> Account:
    with services.db.read() as conn:
        return accounts.by_name(conn, "alice")


@pytest.fixture(scope="module")
def edge(services: Services) -> RpcEdge:
    return RpcEdge(services)


def call(
    edge: RpcEdge, account: Account, action: str, params: dict[str, str], fmt: str = "JSON"
) -> tuple[int, Any]:
    CLOCK.advance(0.1)
    resp = edge.handle(v1_request(account, action, params, CLOCK.now(), fmt=fmt))
    if fmt == "XML":
        return resp.status, ET.fromstring(resp.body)
    return resp.status, json.loads(resp.body)


def window(start: int, end: int) -> dict[str, str]:
    return {"StartTime": iso(start), "EndTime": iso(end)}


def modules(body: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = body["UsageDataPerInterval"]["DataModule"]
    return found


@pytest.mark.parametrize(("days", "slots"), [(28, 8064), (30, 8640), (31, 8928)])
def test_bps_of_long_windows_at_300_s(edge: RpcEdge, alice: Account, days: int, slots: int) -> None:
    start = APR_27
    params = {**window(start, start + days * DAY), "Field": "bps", "Interval": "300"}
    params |= {"DomainName": "a.example.com,b.example.com", "Area": "all"}
    status, body = call(edge, alice, USAGE, params)
    assert status == 200, body
    found = modules(body)
    assert len(found) == slots
    expected = oracle.load(
        ROWS, MINE, ["CN", "EU", "AP1"], ["traffic_bytes"], start, start + days * DAY
    )
    for item, value in zip(found, expected, strict=True):
        assert oracle.close(item["Value"], oracle.bps(value))
        assert item["PeakTime"] == item["TimeStamp"]
        assert item["SpecialValue"] == item["Value"]
    assert found[0]["TimeStamp"] == iso(start)
    assert body["DataInterval"] == "300" and body["Area"] == "all" and body["Type"] == "all"


@pytest.mark.parametrize("area", ["CN", "OverSeas", "EU", "all"])
def test_hourly_bps_is_the_5_minute_peak_with_its_time(
    edge: RpcEdge, alice: Account, area: str
) -> None:
    start, end = APR_27 + 5 * DAY, APR_27 + 8 * DAY
    params = {**window(start, end), "Field": "bps", "Interval": "3600", "Area": area}
    status, body = call(edge, alice, USAGE, params)
    assert status == 200, body
    regions = {"CN": ["CN"], "OverSeas": list(oracle.OVERSEAS), "EU": ["EU"]}.get(
        area, ["CN", *oracle.OVERSEAS]
    )
    values = oracle.load(ROWS, MINE, regions, ["traffic_bytes"], start, end)
    expected = oracle.buckets(values, start, 3600, peak=True)
    found = modules(body)
    assert [(m["TimeStamp"], m["PeakTime"]) for m in found] == [
        (iso(ts), iso(at)) for ts, _, at in expected
    ]
    for item, (_, value, _) in zip(found, expected, strict=True):
        assert oracle.close(item["Value"], oracle.bps(value))
    assert body["Area"] == area


def test_traffic_is_summed_per_day_and_written_as_integers(edge: RpcEdge, alice: Account) -> None:
    start, end = APR_27, APR_27 + 10 * DAY
    # No Interval: more than 3 days gives days.
    status, body = call(edge, alice, USAGE, {**window(start, end), "Field": "traf"})
    assert status == 200, body
    values = oracle.load(ROWS, MINE, ["CN"], ["traffic_bytes"], start, end)
    expected = oracle.buckets(values, start, DAY, peak=False)
    assert body["DataInterval"] == "86400"
    assert [(m["TimeStamp"], m["Value"], m["PeakTime"]) for m in modules(body)] == [
        (iso(ts), str(v), iso(ts)) for ts, v, _ in expected
    ]


@pytest.mark.parametrize(
    ("protocol", "kind", "columns"),
    [
        ("https", "static", ["static_https"]),
        ("http", "dynamic", ["dynamic_http"]),
        ("https", "dynamic", ["dynamic_https"]),
        ("all", "dynamic", ["dynamic_http", "dynamic_https"]),
    ],
)
def test_request_counts_map_to_the_stored_counters(
    edge: RpcEdge, alice: Account, protocol: str, kind: str, columns: list[str]
) -> None:
    start, end = APR_27 + DAY, APR_27 + 2 * DAY
    params = {**window(start, end), "Field": "acc", "DataProtocol": protocol, "Type": kind}
    status, body = call(edge, alice, USAGE, params | {"DomainName": "a.example.com"})
    assert status == 200, body
    values = oracle.load(ROWS, ["a.example.com"], ["CN", *oracle.OVERSEAS], columns, start, end)
    assert [int(m["Value"]) for m in modules(body)] == values
    assert body["Type"] == kind and body["Area"] == "all"


@pytest.mark.parametrize(
    ("protocol", "kind", "field"),
    [
        ("http", "static", "acc"),
        ("all", "all", "acc"),
        ("quic", "dynamic", "acc"),
        ("https", "all", "traf"),
    ],
)
def test_combinations_the_store_cannot_answer_are_refused(
    edge: RpcEdge, alice: Account, protocol: str, kind: str, field: str
) -> None:
    params = {
        **window(APR_27, APR_27 + DAY),
        "Field": field,
        "DataProtocol": protocol,
        "Type": kind,
    }
    status, body = call(edge, alice, USAGE, params)
    assert (status, body["Code"]) == (400, "InvalidParameter")
    assert f"DataProtocol={protocol}" in body["Message"]


def test_one_entry_is_still_a_list_in_json_and_one_element_in_xml(
    edge: RpcEdge, alice: Account
) -> None:
    params = {**window(APR_27, APR_27 + DAY), "Field": "traf", "Interval": "86400"}
    _, body = call(edge, alice, USAGE, params)
    assert isinstance(modules(body), list) and len(modules(body)) == 1
    _, root = call(edge, alice, USAGE, params, fmt="XML")
    assert len(root.findall("UsageDataPerInterval/DataModule")) == 1
    assert root.findtext("UsageDataPerInterval/DataModule/Value") == modules(body)[0]["Value"]
    assert root.findtext("DataInterval") == "86400"


def test_empty_slots_are_zero_until_the_watermark(edge: RpcEdge, alice: Account) -> None:
    start = DATA_END - 2 * 3600
    params = {**window(start, NOW + 3600), "Field": "bps", "Interval": "300"}
    _, body = call(edge, alice, USAGE, params | {"DomainName": "c.example.com"})
    found = modules(body)
    assert [m["TimeStamp"] for m in found] == [iso(t) for t in range(start, DATA_END, 300)]
    assert {m["Value"] for m in found} == {"0"}
    assert body["StartTime"] == iso(start) and body["EndTime"] == iso(NOW + 3600)


def test_unaligned_times_are_floored_and_raised_and_echoed_as_sent(
    edge: RpcEdge, alice: Account
) -> None:
    params = {"StartTime": iso(APR_27 + 1000), "EndTime": iso(APR_27 + 7300), "Field": "traf"}
    _, body = call(edge, alice, USAGE, params | {"Interval": "3600"})
    assert [m["TimeStamp"] for m in modules(body)] == [
        iso(APR_27),
        iso(APR_27 + 3600),
        iso(APR_27 + 7200),
    ]
    assert body["StartTime"] == params["StartTime"] and body["EndTime"] == params["EndTime"]


@pytest.mark.parametrize("name", ["bob.example.net", "nobody.example.org", "not a domain"])
def test_foreign_unknown_and_malformed_domains_answer_alike(
    edge: RpcEdge, alice: Account, name: str
) -> None:
    for action in ACTIONS:
        if not action.startswith("DescribeDomain"):
            continue
        params = {
            **window(APR_27, APR_27 + DAY),
            "Field": "bps",
            "DomainName": f"a.example.com,{name}",
        }
        status, body = call(edge, alice, action, params)
        assert (status, body["Code"]) == (404, "InvalidDomain.NotFound"), action
        assert body["Message"] == "The domain provided does not belong to you."


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Field": "bps", "StartTime": iso(APR_27)}, "MissingEndTime"),
        ({**window(APR_27, APR_27 + DAY)}, "MissingField"),
        ({**window(APR_27, APR_27 + DAY), "Field": "qps"}, "InvalidParameterField"),
        ({**window(APR_27, APR_27 + DAY), "Field": "bps", "Type": "x"}, "InvalidParameterType"),
        ({**window(APR_27, APR_27 + DAY), "Field": "bps", "Area": "Mars"}, "InvalidParameterArea"),
        (
            {**window(APR_27, APR_27 + DAY), "Field": "bps", "Interval": "60"},
            "InvalidIntervalParameter",
        ),
        ({**window(APR_27, APR_27 + 32 * DAY), "Field": "bps"}, "InvalidTimeSpan"),
        ({**window(APR_27, APR_27), "Field": "bps"}, "InvalidEndTime.Mismatch"),
        (
            {**window(NOW - 400 * DAY, NOW - 399 * DAY), "Field": "bps"},
            "InvalidStartTime.ValueNotSupported",
        ),
        (
            {"StartTime": iso(NOW + DAY), "EndTime": iso(NOW + 2 * DAY), "Field": "bps"},
            "InvalidStartTime.ValueNotSupported",
        ),
        (
            {"StartTime": "2026-05-01", "EndTime": iso(NOW), "Field": "bps"},
            "InvalidStartTime.Malformed",
        ),
        (
            {
                **window(APR_27, APR_27 + DAY),
                "Field": "bps",
                "DomainName": ",".join(f"d{i}.example.com" for i in range(101)),
            },
            "InvalidDomainName.Overlimit",
        ),
    ],
)
def test_usage_data_errors(
    edge: RpcEdge, alice: Account, params: dict[str, str], code: str
) -> None:
    status, body = call(edge, alice, USAGE, params)
    assert status >= 400 and body["Code"] == code


def test_documented_rate_limits_are_the_defaults() -> None:
    limits = {
        name: ACTIONS[name].rate_per_second for name in ACTIONS if name.startswith("DescribeDomain")
    }
    assert limits == {
        "DescribeDomainUsageData": 10,
        "DescribeDomainMax95BpsData": 100,
        "DescribeDomainBpsData": 150,
        "DescribeDomainTrafficData": 100,
    }


MAX95 = "DescribeDomainMax95BpsData"


def test_max95_of_a_month_splits_mainland_and_overseas(edge: RpcEdge, alice: Account) -> None:
    may, june = 1_777_593_600, 1_780_272_000  # 2026-05-01, 2026-06-01
    _, body = call(edge, alice, MAX95, window(may, may + 2 * DAY))  # > 1 day: the month
    stop = DATA_END  # the month so far
    every = oracle.load(ROWS, MINE, ["CN", *oracle.OVERSEAS], ["traffic_bytes"], may, stop)
    cn = oracle.load(ROWS, MINE, ["CN"], ["traffic_bytes"], may, stop)
    abroad = oracle.load(ROWS, MINE, oracle.OVERSEAS, ["traffic_bytes"], may, stop)
    assert oracle.close(body["Max95Bps"], oracle.bps(oracle.p95(every, may)[0]))
    assert oracle.close(body["DomesticMax95Bps"], oracle.bps(oracle.p95(cn, may)[0]))
    assert oracle.close(body["OverseasMax95Bps"], oracle.bps(oracle.p95(abroad, may)[0]))
    assert (body["StartTime"], body["EndTime"]) == (iso(may), iso(june))
    details = body["DetailData"]["Max95Detail"]
    assert [(d["TimeStamp"], d["Area"]) for d in details] == [
        (iso(may), "CN"),
        (iso(may), "OverSeas"),
    ]
    assert isinstance(details[0]["Max95Bps"], float)
    assert details[0]["Max95BpsPeakTime"] == iso(oracle.p95(cn, may)[1])


def test_max95_per_day_cycle_and_time_point(edge: RpcEdge, alice: Account) -> None:
    start = APR_27 + 2 * DAY
    _, body = call(edge, alice, MAX95, {**window(start, start + 3 * DAY), "Cycle": "day"})
    details = body["DetailData"]["Max95Detail"]
    assert [d["TimeStamp"] for d in details[::2]] == [iso(start + i * DAY) for i in range(3)]
    for i, detail in enumerate(details[::2]):
        day = oracle.load(
            ROWS, MINE, ["CN"], ["traffic_bytes"], start + i * DAY, start + (i + 1) * DAY
        )
        value, at = oracle.p95(day, start + i * DAY)
        assert abs(detail["Max95Bps"] - float(oracle.bps(value))) <= 1e-6 * float(oracle.bps(value))
        assert detail["Max95BpsPeakTime"] == iso(at)
    _, point = call(edge, alice, MAX95, {"TimePoint": iso(start + DAY + 5000), "Cycle": "day"})
    assert point["DetailData"]["Max95Detail"][0] == details[2]
    assert point["StartTime"] == iso(start + DAY)
    status, late = call(edge, alice, MAX95, {"TimePoint": "9999-12-31T23:59:59Z", "Cycle": "month"})
    assert (status, late["Code"]) == (400, "InvalidStartTime.ValueNotSupported")


@pytest.mark.parametrize("action", ["DescribeDomainBpsData", "DescribeDomainTrafficData"])
def test_bps_and_traffic_split_domestic_and_overseas(
    edge: RpcEdge, alice: Account, action: str
) -> None:
    start, end = APR_27 + 3 * DAY, APR_27 + 3 * DAY + 6 * 3600
    params = {**window(start, end), "Interval": "3600", "DomainName": "a.example.com,b.example.com"}
    status, body = call(edge, alice, action, params)
    assert status == 200, body
    is_bps = action == "DescribeDomainBpsData"
    name = "BpsDataPerInterval" if is_bps else "TrafficDataPerInterval"
    found = body[name]["DataModule"]
    for key, regions in (
        ("Value", ["CN", *oracle.OVERSEAS]),
        ("DomesticValue", ["CN"]),
        ("OverseasValue", oracle.OVERSEAS),
    ):
        values = oracle.load(ROWS, MINE, regions, ["traffic_bytes"], start, end)
        expected = oracle.buckets(values, start, 3600, peak=is_bps)
        for item, (ts, value, _) in zip(found, expected, strict=True):
            assert item["TimeStamp"] == iso(ts)
            if is_bps:
                assert oracle.close(item[key], oracle.bps(value))
            else:
                assert item[key] == str(value)
    assert {m["HttpsValue"] for m in found} == {""}
    assert body["DataInterval"] == "3600"


def test_bps_without_times_covers_the_last_day(edge: RpcEdge, alice: Account) -> None:
    _, body = call(edge, alice, "DescribeDomainBpsData", {})
    found = body["BpsDataPerInterval"]["DataModule"]
    first = NOW - DAY - (NOW - DAY) % 300
    assert found[0]["TimeStamp"] == iso(first)
    assert found[-1]["TimeStamp"] == iso(DATA_END - 300)
    assert body["DataInterval"] == "300"
    status, body = call(edge, alice, "DescribeDomainTrafficData", {"StartTime": iso(APR_27)})
    assert (status, body["Code"]) == (400, "MissingTimeParameter")
