"""``/metrics``: calls counted by action and Code, outages by dependency, the queue from the
database."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from starlette.testclient import TestClient

from cdnexport.clock import SystemClock
from cdnexport.cluster import free_port
from cdnexport.db.accounts import Account
from cdnexport.db.engine import Database
from cdnexport.services import Services
from cdnexport.web.app import create_app
from tests.support import add_account, iso, make_services, v1_request

DESCRIBE = "DescribeUserUsageDetailDataExportTask"
CREATE = "CreateUsageDetailDataExportTask"


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, SystemClock())
    yield svc
    svc.db.dispose()


@pytest.fixture
def alice(services: Services) -> Account:
    return add_account(services, "alice", ("a.example.com",))


def calls(action: str, code: str) -> float:
    labels = {"action": action, "code": code}
    return REGISTRY.get_sample_value("cdnexport_requests_total", labels) or 0.0


def scrape(client: TestClient) -> dict[str, float]:
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in resp.text.splitlines()
        if line and not line.startswith("#")
    }


def test_calls_are_counted_by_action_and_code(services: Services, alice: Account) -> None:
    before_ok, before_err = (
        calls(DESCRIBE, "OK"),
        calls(DESCRIBE, "InvalidPageSize.ValueNotSupported"),
    )
    before_unknown = calls("unknown", "InvalidAction.NotFound")
    with TestClient(create_app(services)) as client:
        for params in ({}, {}, {"PageSize": "99"}):
            req = v1_request(alice, DESCRIBE, params, time.time())
            client.request(req.method, f"/?{req.raw_query}", headers=dict(req.headers))
        made_up = v1_request(alice, "NoSuchActionXYZ", {}, time.time())
        resp = client.request(
            made_up.method, f"/?{made_up.raw_query}", headers=dict(made_up.headers)
        )
        assert resp.json()["Code"] == "InvalidAction.NotFound"
        text = client.get("/metrics").text
    assert calls(DESCRIBE, "OK") == before_ok + 2
    assert calls(DESCRIBE, "InvalidPageSize.ValueNotSupported") == before_err + 1
    # A made-up action name is never a label.
    assert calls("unknown", "InvalidAction.NotFound") == before_unknown + 1
    assert "NoSuchActionXYZ" not in text
    assert 'cdnexport_request_seconds_bucket{action="DescribeUserUsageDetailDataExportTask"' in text


def test_the_queue_is_read_from_the_database(services: Services, alice: Account) -> None:
    now = time.time()
    with TestClient(create_app(services)) as client:  # no workers: the tasks wait
        for hours in (3, 2):
            window = {"StartTime": iso(now - hours * 3600), "EndTime": iso(now - 3600)}
            req = v1_request(alice, CREATE, {"Type": "flow", **window}, time.time())
            resp = client.request(req.method, f"/?{req.raw_query}", headers=dict(req.headers))
            assert resp.status_code == 200, resp.text
        time.sleep(1.1)
        samples = scrape(client)
    assert samples['cdnexport_tasks{status="created"}'] == 2
    assert samples['cdnexport_tasks{status="success"}'] == 0
    assert samples["cdnexport_queue_waiting"] == 2
    assert samples["cdnexport_queue_running"] == 0
    assert samples["cdnexport_workers_busy"] == 0
    assert samples["cdnexport_queue_oldest_waiting_seconds"] >= 1


def test_an_outage_is_counted_by_its_dependency(services: Services, alice: Account) -> None:
    dead = Database(f"postgresql://127.0.0.1:{free_port()}/nothing?connect_timeout=2")
    down = dataclasses.replace(services, db=dead)
    before = REGISTRY.get_sample_value("cdnexport_outages_total", {"dependency": "database"}) or 0
    with TestClient(create_app(down)) as client:
        resp = client.post(f"/?{v1_request(alice, DESCRIBE, {}, time.time()).raw_query}")
    dead.dispose()
    assert resp.status_code == 503
    after = REGISTRY.get_sample_value("cdnexport_outages_total", {"dependency": "database"})
    assert after == before + 1
    assert calls(DESCRIBE, "ServiceUnavailable") >= 1
