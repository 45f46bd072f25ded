"""The RPC endpoint over HTTP: methods, sizes, repeated parameters, outages, links."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from redis import Redis
from starlette.testclient import TestClient

from cdnexport.cache.redis_nonces import RedisNonceStore
from cdnexport.clock import SystemClock
from cdnexport.cluster import free_port
from cdnexport.config import Settings
from cdnexport.db.accounts import Account
from cdnexport.db.engine import Database
from cdnexport.errors import MAX_ECHOED_STRING_TO_SIGN
from cdnexport.protocol.request import RpcRequest
from cdnexport.services import Services
from cdnexport.web.app import create_app
from tests.support import add_account, make_services, v1_request

DESCRIBE = "DescribeUserUsageDetailDataExportTask"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, SystemClock(), max_request_bytes=8192)
    yield svc
    svc.db.dispose()


@pytest.fixture
def alice(services: Services) -> Account:
    return add_account(services, "alice", ("a.example.com",))


def send(client: TestClient, req: RpcRequest, body: bytes = b"") -> tuple[int, dict[str, Any]]:
    headers = {**req.headers, **FORM} if body else dict(req.headers)
    resp = client.request(req.method, f"/?{req.raw_query}", headers=headers, content=body)
    return resp.status_code, resp.json()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"])
def test_other_methods_get_an_alibaba_error_body(services: Services, method: str) -> None:
    with TestClient(create_app(services)) as client:
        resp = client.request(method, "/?Format=JSON")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "GET, HEAD, POST"
    body = resp.json()
    assert body["Code"] == "UnsupportedHTTPMethod"
    assert body["RequestId"] == resp.headers["x-acs-request-id"]


def test_head_answers_headers_only(services: Services) -> None:
    with TestClient(create_app(services)) as client:
        head = client.head("/")
        assert head.status_code == 400 and head.content == b""
        assert int(head.headers["content-length"]) > 0
        assert client.get("/healthz").text == "ok"


def test_a_declared_length_past_the_limit_is_refused_unread(services: Services) -> None:
    with TestClient(create_app(services)) as client:
        resp = client.post("/?Format=JSON", content=b"A=" + b"x" * 9000, headers=FORM)
    assert resp.status_code == 413
    assert resp.json()["Code"] == "RequestTooLarge"


def test_a_streamed_body_past_the_limit_is_refused(services: Services) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1000

    with TestClient(create_app(services)) as client:
        resp = client.post("/?Format=JSON", content=chunks(), headers=FORM)
    assert resp.status_code == 413
    assert resp.json()["Code"] == "RequestTooLarge"


def test_the_query_counts_toward_the_limit(services: Services) -> None:
    with TestClient(create_app(services)) as client:
        resp = client.get(f"/?Format=JSON&A={'x' * 9000}")
    assert (resp.status_code, resp.json()["Code"]) == (413, "RequestTooLarge")


def test_a_parameter_in_query_and_body_is_refused(services: Services, alice: Account) -> None:
    req = v1_request(alice, DESCRIBE, {"PageSize": "5"}, time.time())
    with TestClient(create_app(services)) as client:
        status, body = send(client, req, b"PageSize=50")
    assert (status, body["Code"]) == (400, "InvalidParameter")
    assert "PageSize" in body["Message"]


def test_signature_mismatch_echoes_a_bounded_string_to_sign(tmp_path: Path) -> None:
    services = make_services(tmp_path, SystemClock(), max_request_bytes=4 * 1024 * 1024)
    alice = add_account(services, "alice")
    # Moved into a form body: clients cap the length of a URL.
    req = v1_request(alice, DESCRIBE, {"TaskName": "x" * 1_000_000}, time.time(), secret="wrong")
    with TestClient(create_app(services)) as client:
        status, body = send(client, dataclasses.replace(req, raw_query=""), req.raw_query.encode())
    services.db.dispose()
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert len(body["Message"]) < MAX_ECHOED_STRING_TO_SIGN + 200


def _dead_url(scheme: str) -> str:
    return f"{scheme}://127.0.0.1:{free_port()}"


def test_an_unreachable_database_answers_service_unavailable(
    services: Services, alice: Account, caplog: pytest.LogCaptureFixture
) -> None:
    dead = Database(f"{_dead_url('postgresql')}/nothing?connect_timeout=2")
    down = dataclasses.replace(services, db=dead)
    with TestClient(create_app(down)) as client, caplog.at_level(logging.WARNING):
        resp = client.post(f"/?{v1_request(alice, DESCRIBE, {}, time.time()).raw_query}")
    dead.dispose()
    assert resp.status_code == 503
    assert resp.json()["Code"] == "ServiceUnavailable"
    assert resp.headers["retry-after"] == "1"
    assert "x-acs-retry-after" not in resp.headers  # the tea SDK reads that one as throttling
    outages = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outages) == 1 and outages[0].exc_info is None  # one line, no trace


def test_an_unreachable_redis_answers_service_unavailable(
    services: Services, alice: Account
) -> None:
    client_down = Redis.from_url(_dead_url("redis"), socket_connect_timeout=2)
    down = dataclasses.replace(services, nonces=RedisNonceStore(client_down, "t:"))
    with TestClient(create_app(down)) as client:
        status, body = send(client, v1_request(alice, DESCRIBE, {}, time.time()))
    assert (status, body["Code"]) == (503, "ServiceUnavailable")


def test_a_bug_still_answers_internal_error(services: Services, alice: Account) -> None:
    class Broken:
        def use(self, access_key_id: str, nonce: str, now: int, ttl: int) -> bool:
            raise KeyError("a bug, not an outage")

        def purge(self, now: int) -> int:
            return 0

    broken = dataclasses.replace(services, nonces=Broken())
    with TestClient(create_app(broken)) as client:
        status, body = send(client, v1_request(alice, DESCRIBE, {}, time.time()))
    assert (status, body["Code"]) == (500, "InternalError")
    assert "bug" not in json.dumps(body)


def test_links_name_the_address_served_without_a_public_url(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, host="127.0.0.1", port=18123)
    assert settings.base_url == "http://127.0.0.1:18123"
    assert Settings(data_dir=tmp_path, host="0.0.0.0", port=9).base_url == "http://127.0.0.1:9"  # noqa: S104
    assert Settings(data_dir=tmp_path, host="::1", port=9).base_url == "http://[::1]:9"
    public = Settings(data_dir=tmp_path, port=18123, public_url="https://cdn.example/")
    assert public.base_url == "https://cdn.example"


def test_download_links_follow_the_base_url(tmp_path: Path) -> None:
    services = make_services(tmp_path, SystemClock(), public_url="", port=18124)
    url, _ = services.store.download_url("a/b.xlsx", "b.xlsx", 0, 60)
    services.db.dispose()
    assert urlsplit(url).netloc == "127.0.0.1:18124"


def test_readyz_names_an_unreachable_dependency(services: Services) -> None:
    with TestClient(create_app(services)) as client:
        assert client.get("/readyz").text == "ready"

    def refused() -> None:
        raise ConnectionRefusedError("nobody listens")

    down = dataclasses.replace(services, probes=(*services.probes, ("redis", refused)))
    with TestClient(create_app(down)) as client:
        resp = client.get("/readyz")
        assert (resp.status_code, resp.text) == (503, "unavailable: redis")
        assert client.get("/healthz").status_code == 200  # alive all the same
