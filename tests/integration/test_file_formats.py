"""``FileFormat`` end to end: Create takes it (or refuses it), Describe echoes it, the worker
writes that file, and its download link names it and serves it with its content type."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest
from starlette.testclient import TestClient

from cdnexport.clock import ManualClock
from cdnexport.db import accounts
from cdnexport.db.accounts import Account
from cdnexport.domain.regions import REGION_ID
from cdnexport.services import Services
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore
from cdnexport.web.app import create_app
from cdnexport.worker.runner import Worker
from tests.integration.test_worker import DAY, NOW, START, create, item, read_rows, rpc
from tests.support import add_account, iso, make_services


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, ManualClock(NOW))
    yield svc
    svc.db.dispose()


@pytest.fixture
def account(services: Services) -> Account:
    acct = add_account(services, "f", ("x.example.com",))
    with services.db.write() as conn:
        ids = accounts.domain_ids(conn, acct.id, ["x.example.com"])
        assert ids is not None
        rows = [
            (ids["x.example.com"], REGION_ID["CN"], START + 300 * i, 10 + i, 0, 0, 0)
            for i in range(5)
        ]
        assert isinstance(services.usage, SqlUsageStore)
        services.usage.upsert(conn, SampleBatch.from_rows(rows))
    return acct


def download(services: Services, url: str) -> tuple[bytes, str, str]:
    parts = urlsplit(url)
    with TestClient(create_app(services)) as client:
        resp = client.get(f"{parts.path}?{parts.query}")
    assert resp.status_code == 200
    return resp.content, resp.headers["content-type"], resp.headers["content-disposition"]


@pytest.mark.parametrize(
    ("wire", "suffix", "media_type"),
    [
        ("csv", ".csv", "text/csv; charset=utf-8"),
        ("CSV.GZ", ".csv.gz", "application/gzip"),
        ("parquet", ".parquet", "application/vnd.apache.parquet"),
    ],
)
def test_each_format_is_exported_named_and_served(
    services: Services, account: Account, wire: str, suffix: str, media_type: str
) -> None:
    task_id = create(services, account, FileFormat=wire, Language="en-us")
    assert Worker(services).run_once()
    found = item(services, account, task_id)
    assert found["Status"] == "success"
    assert found["TaskConfig"]["FileFormat"] == wire.lower()
    assert found["RowCount"] == 288
    name = f"usage-detail-flow-{iso(START)[:10].replace('-', '')}"
    assert f"name={name}" in found["DownloadUrl"]
    body, content_type, disposition = download(services, found["DownloadUrl"])
    assert content_type == media_type
    assert disposition.endswith(f'-{task_id}{suffix}"')
    assert found["FileSize"] == len(body)
    if suffix == ".parquet":
        table = pq.read_table(io.BytesIO(body))
        assert table.column("Traffic (Byte)").to_pylist()[:6] == [10, 11, 12, 13, 14, 0]
        return
    text = (gzip.decompress(body) if suffix == ".csv.gz" else body).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][0] == "Time (UTC)" and len(rows) == 289
    assert rows[1] == [
        f"{iso(START)[:19]}+00:00",
        "f",  # a whole-account export is labelled with the account
        "Chinese Mainland",
        "10",
        str(10 * 8 / 300),
    ]


def test_default_is_the_workbook(services: Services, account: Account) -> None:
    task_id = create(services, account)
    Worker(services).run_once()
    found = item(services, account, task_id)
    assert found["TaskConfig"]["FileFormat"] == "xlsx"
    body, content_type, _ = download(services, found["DownloadUrl"])
    assert content_type.startswith("application/vnd.openxmlformats")
    assert body.startswith(b"PK")
    path = services.settings.exports_dir / f"{account.id}/{task_id}.xlsx"
    assert read_rows(path, "明细")[1][3] == 10


@pytest.mark.parametrize("wire", ["xls", "json", "csv.zip", " ", "parquet "])
def test_unknown_formats_are_refused(services: Services, account: Account, wire: str) -> None:
    body = rpc(
        services,
        account,
        "CreateUsageDetailDataExportTask",
        Type="flow",
        StartTime=iso(START),
        EndTime=iso(START + DAY),
        FileFormat=wire,
    )
    if wire.strip() in ("", "parquet"):
        assert "TaskId" in body  # blank means the default; spaces around a name are dropped
    else:
        assert body["Code"] == "InvalidParameter"
        assert "FileFormat" in body["Message"]
