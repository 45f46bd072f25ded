"""Download links through the ASGI app: signed, expiring, named, and useless once tampered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from starlette.testclient import TestClient

from cdnexport.clock import ManualClock
from cdnexport.services import Services
from cdnexport.web.app import create_app
from tests.support import make_services

NOW = 1_780_000_000


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def services(tmp_path: Path, clock: ManualClock) -> Iterator[Services]:
    svc = make_services(tmp_path, clock)
    yield svc
    svc.db.dispose()


@pytest.fixture
def link(services: Services, tmp_path: Path) -> str:
    source = tmp_path / "book.xlsx"
    source.write_bytes(b"PK workbook bytes")
    services.store.put_file("7/42.xlsx", source)
    url, expires = services.store.download_url("7/42.xlsx", "usage-42.xlsx", NOW, 3600)
    assert expires == NOW + 3600
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_valid_link_serves_the_file_with_its_name(services: Services, link: str) -> None:
    with TestClient(create_app(services)) as client:
        resp = client.get(link)
    assert resp.status_code == 200
    assert resp.content == b"PK workbook bytes"
    assert 'filename="usage-42.xlsx"' in resp.headers["content-disposition"]
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")


def _with(link: str, **changes: str) -> str:
    path, query = link.split("?", 1)
    params = dict(parse_qsl(query))
    params.update(changes)
    return f"{path}?{urlencode(params)}"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda link: _with(
            link, Signature="A" + dict(parse_qsl(link.split("?")[1]))["Signature"][1:]
        ),
        lambda link: _with(link, Expires=str(NOW + 99999)),
        lambda link: _with(link, name="other.xlsx"),
        lambda link: link.replace("/42.xlsx", "/43.xlsx"),
        lambda link: link.split("?")[0],
    ],
)
def test_tampered_links_are_forbidden(services: Services, link: str, mutate: object) -> None:
    assert callable(mutate)
    with TestClient(create_app(services)) as client:
        assert client.get(mutate(link)).status_code == 403


def test_expired_link_is_forbidden(services: Services, link: str, clock: ManualClock) -> None:
    clock.advance(3601)
    with TestClient(create_app(services)) as client:
        assert client.get(link).status_code == 403


def test_deleted_file_is_forbidden(services: Services, link: str) -> None:
    services.store.delete("7/42.xlsx")
    with TestClient(create_app(services)) as client:
        assert client.get(link).status_code == 403


def test_path_traversal_is_refused(services: Services) -> None:
    with TestClient(create_app(services)) as client:
        assert client.get("/download/../url-secret?Expires=1&Signature=x").status_code in (403, 404)


def test_rpc_over_http_answers_xml_errors_by_default(services: Services) -> None:
    with TestClient(create_app(services)) as client:
        resp = client.post("/", params={"Action": "DescribeUserUsageDetailDataExportTask"})
    assert resp.status_code == 400
    assert resp.headers["content-type"].startswith("text/xml")
    assert "<Error>" in resp.text and "x-acs-request-id" in resp.headers
