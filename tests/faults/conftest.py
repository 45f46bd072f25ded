"""Fixtures of the fault tests: a nanio S3 server (started here, stopped afterwards) and a
proxy in front of it that the test cuts and restores."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from cdnexport.storage.s3 import S3BlobStore
from tests.faults.proxy import TcpProxy, proxy_for
from tests.scaleout.backing import S3Server, nanio


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with nanio(tmp_path_factory.mktemp("nanio") / "data") as server:
        yield server


@pytest.fixture
def s3_through_proxy(s3_server: S3Server) -> Iterator[tuple[S3BlobStore, TcpProxy]]:
    """An object store on nanio reached through a proxy, under a key prefix of its own."""
    with proxy_for(s3_server.url) as (proxy, url):
        client = boto3.session.Session(
            aws_access_key_id=s3_server.access_key_id,
            aws_secret_access_key=s3_server.secret,
            region_name="us-east-1",
        ).client(
            "s3",
            endpoint_url=url,
            # Few retries: the test waits for an answer, not for boto3's back-off.
            config=Config(signature_version="s3v4", retries={"max_attempts": 2}),
        )
        yield S3BlobStore(client, s3_server.bucket, f"t-{uuid.uuid4().hex[:8]}/"), proxy
        client.close()
