"""The S3 store against nanio, which checks SigV4: uploads, presigned links, expiry, deletes."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig

from cdnexport.cluster import free_port
from cdnexport.storage.base import StorageError
from cdnexport.storage.media import XLSX_TYPE
from cdnexport.storage.s3 import S3BlobStore, attachment, s3_client
from tests.scaleout.backing import S3Server

MIB = 1024 * 1024


@pytest.fixture
def store(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3BlobStore:
    # The store reads its endpoint and keys from the standard variables, as in production.
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    return S3BlobStore(
        s3_client(os.environ["AWS_REGION"]), s3_server.bucket, f"t-{uuid.uuid4().hex[:8]}/"
    )


def workbook(tmp_path: Path, size: int) -> tuple[Path, bytes]:
    data = os.urandom(size)
    path = tmp_path / f"{uuid.uuid4().hex}.xlsx"
    path.write_bytes(data)
    return path, data


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - loopback test URL
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def test_multipart_upload_and_presigned_download(
    store: S3BlobStore, s3_server: S3Server, tmp_path: Path
) -> None:
    small_parts = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    parted = S3BlobStore(s3_client(), store.bucket, store.prefix, transfer=small_parts)
    source, data = workbook(tmp_path, 11 * MIB + 3)
    name = "usage-detail-flow-20240501-20240531-7.xlsx"
    assert parted.put_file("1/7.xlsx", source, filename=name) == len(data)
    assert not source.exists()
    assert s3_server.keys(store.prefix) == [f"{store.prefix}1/7.xlsx"]
    head = s3_server.client().head_object(Bucket=store.bucket, Key=f"{store.prefix}1/7.xlsx")
    assert head["ETag"].strip('"').endswith("-3"), head["ETag"]  # three parts
    url, expires = store.download_url("1/7.xlsx", name, 1_000, 600)
    assert expires == 1_600
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "X-Amz-Expires=600" in url
    assert "response-content-disposition=" in url
    status, headers, body = get(url)
    assert status == 200
    assert body == data
    assert headers["content-disposition"] == f'attachment; filename="{name}"'
    assert headers["content-type"] == XLSX_TYPE


def test_tampered_and_expired_links_are_refused(store: S3BlobStore, tmp_path: Path) -> None:
    source, _ = workbook(tmp_path, 1000)
    store.put_file("2/8.xlsx", source, filename="a.xlsx")
    url, _ = store.download_url("2/8.xlsx", "a.xlsx", int(time.time()), 600)
    assert get(url)[0] == 200
    head, signature = url.split("X-Amz-Signature=")
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert get(f"{head}X-Amz-Signature={flipped}")[0] == 403
    assert get(url.replace("filename%3D%22a.xlsx", "filename%3D%22b.xlsx"))[0] == 403
    short, _ = store.download_url("2/8.xlsx", "a.xlsx", int(time.time()), 1)
    time.sleep(2.1)
    assert get(short)[0] == 403


def test_replace_delete_and_exists(store: S3BlobStore, s3_server: S3Server, tmp_path: Path) -> None:
    first, _ = workbook(tmp_path, 10)
    second, data = workbook(tmp_path, 20)
    store.put_file("3/9.xlsx", first)
    store.put_file("3/9.xlsx", second)  # a re-run replaces, never adds
    assert s3_server.keys(store.prefix) == [f"{store.prefix}3/9.xlsx"]
    assert get(store.download_url("3/9.xlsx", "x.xlsx", 0, 60)[0])[2] == data
    assert store.exists("3/9.xlsx")
    store.delete("3/9.xlsx")
    store.delete("3/9.xlsx")  # missing is not an error
    assert not store.exists("3/9.xlsx")
    assert s3_server.keys(store.prefix) == []


def test_wrong_secret_and_unreachable_store_are_storage_errors(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.url)
    source, _ = workbook(tmp_path, 10)
    with pytest.raises(StorageError, match="SignatureDoesNotMatch"):
        S3BlobStore(s3_client(), s3_server.bucket).put_file("k.xlsx", source)
    assert source.exists()  # left for the worker to clean up
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")
    gone = S3BlobStore(s3_client(), s3_server.bucket)
    with pytest.raises(OSError, match=r"k\.xlsx"):
        gone.delete("k.xlsx")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("usage-1.xlsx", 'attachment; filename="usage-1.xlsx"'),
        ('用量 "q".xlsx', "attachment; filename=\"____q_.xlsx\"; filename*=UTF-8''"
         "%E7%94%A8%E9%87%8F%20%22q%22.xlsx"),
    ],
)  # fmt: skip
def test_attachment_header(name: str, expected: str) -> None:
    assert attachment(name) == expected


@pytest.mark.parametrize(
    ("key", "media_type"),
    [
        ("3/9.csv", "text/csv; charset=utf-8"),
        ("3/10.csv.gz", "application/gzip"),
        ("3/11.parquet", "application/vnd.apache.parquet"),
    ],
)
def test_other_formats_are_stored_and_served_with_their_type(
    store: S3BlobStore, tmp_path: Path, key: str, media_type: str
) -> None:
    source, data = workbook(tmp_path, 100)
    name = f"usage-detail-flow-20240501-20240531-{key.split('/')[1]}"
    store.put_file(key, source, filename=name)
    url, _ = store.download_url(key, name, int(time.time()), 600)
    status, headers, body = get(url)
    assert (status, body) == (200, data)
    assert headers["content-type"] == media_type
    assert headers["content-disposition"] == f'attachment; filename="{name}"'
