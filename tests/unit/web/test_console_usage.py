"""The Usage page agrees with DescribeDomainUsageData, and reports the API's own messages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from cdnexport.clock import ManualClock
from cdnexport.db.accounts import Account
from cdnexport.domain.window import parse_utc
from cdnexport.services import Services
from cdnexport.usage.demo import generate_demo
from cdnexport.web.app import create_app
from tests.support import add_account, make_services, v1_request
from tests.unit.web.console_client import sign_in

NOW = 1_764_547_200 + 12 * 3600  # 2025-12-01T12:00:00Z
WINDOW = {"start": "2025-11-28T00:00", "end": "2025-11-30T00:00"}


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, ManualClock(NOW))
    yield svc
    svc.db.dispose()


@pytest.fixture
def demo(services: Services) -> Account:
    account = add_account(services, "demo")
    generate_demo(services.db, account.id, domains=3, days=5, now=NOW)
    return account


def _api(client: TestClient, account: Account, **params: str) -> list[dict[str, Any]]:
    req = v1_request(account, "DescribeDomainUsageData", params, NOW, method="GET")
    body = client.get(f"/?{req.raw_query}").json()
    modules: list[dict[str, Any]] = body["UsageDataPerInterval"]["DataModule"]
    return modules


def _figure(page: str, name: str) -> int:
    found = re.search(rf'id="fig-{name}" data-value="(\d+)"', page)
    assert found is not None, name
    return int(found.group(1))


@pytest.mark.parametrize("area", ["", "CN", "EU"])
def test_figures_agree_with_describe_domain_usage_data(
    services: Services, demo: Account, area: str
) -> None:
    client = TestClient(create_app(services))
    assert sign_in(client, demo).status_code == 303
    page = client.get("/console/usage", params={**WINDOW, "interval": "300", "region": area}).text
    api_area = area or "all"
    window = {"StartTime": "2025-11-28T00:00:00Z", "EndTime": "2025-11-30T00:00:00Z"}
    bps = _api(client, demo, Field="bps", Interval="300", Area=api_area, **window)
    traf = _api(client, demo, Field="traf", Interval="300", Area=api_area, **window)
    assert len(bps) == 576
    # The peak: the highest 5-minute bandwidth and its time; the total: all the traffic.
    values = [float(m["Value"]) for m in bps]
    top = max(range(len(values)), key=values.__getitem__)
    assert _figure(page, "peak") * 8 / 300 == pytest.approx(values[top])
    assert _figure(page, "peak-time") == parse_utc(bps[top]["PeakTime"])
    assert _figure(page, "total") == sum(int(m["Value"]) for m in traf)
    # The 95th percentile: the value left after dropping the highest 5% of the 576 slots.
    dropped = sorted(int(m["Value"]) for m in traf)[: 576 - 576 // 20]
    assert _figure(page, "p95") == dropped[-1]
    assert 'class="percentile95"' in page


def test_the_apis_rules_and_messages(services: Services, demo: Account) -> None:
    other = add_account(services, "other", ("other.example.com",))
    client = TestClient(create_app(services), headers={"accept-language": "en-US"})
    sign_in(client, demo)
    long = client.get(
        "/console/usage", params={"start": "2025-10-01T00:00", "end": "2025-11-30T00:00"}
    )
    assert long.status_code == 400
    assert "InvalidTimeSpan" in long.text
    foreign = client.get("/console/usage", params={**WINDOW, "domains": "other.example.com"})
    assert foreign.status_code == 400
    assert "InvalidDomain.NotFound" in foreign.text
    assert other.name not in client.get("/console/usage").text


def test_every_metric_and_interval_renders(services: Services, demo: Account) -> None:
    client = TestClient(create_app(services))
    sign_in(client, demo)
    for metric in ("bandwidth", "traffic", "requests"):
        for interval in ("300", "3600", "86400"):
            resp = client.get(
                "/console/usage", params={**WINDOW, "metric": metric, "interval": interval}
            )
            assert resp.status_code == 200, resp.text[:500]
            assert "<svg" in resp.text and 'id="per-domain"' in resp.text
