"""The real services scale-out tests run on: PostgreSQL, Redis and nanio (S3 that checks SigV4).

PostgreSQL and Redis are the running ones, named by ``CDNEXPORT_TEST_PG_URL`` and
``CDNEXPORT_TEST_REDIS_URL``; each use gets a fresh schema or key prefix. nanio is started here
on a fresh folder. Without a variable the tests skip, except under CI (``CI`` set), where a
missing service fails them: CI must run them.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import create_engine, text

from cdnexport.cluster import free_port

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

PG_ENV = "CDNEXPORT_TEST_PG_URL"
REDIS_ENV = "CDNEXPORT_TEST_REDIS_URL"
START_TIMEOUT = 30.0


def required_url(variable: str) -> str:
    """The service URL in ``variable``; skips the test without it (fails it under CI)."""
    url = os.environ.get(variable, "")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{variable} must be set in CI: the scale-out tests must run there")
    pytest.skip(f"{variable} is not set")


def with_search_path(base: str, schema: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


@contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """A database URL whose objects go to a fresh schema, dropped afterwards."""
    schema = f"s_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        yield with_search_path(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@contextmanager
def redis_prefix(url: str) -> Iterator[str]:
    """A key prefix of its own on the Redis at ``url``; its keys are deleted afterwards."""
    client = Redis.from_url(url)
    try:
        client.ping()
    except RedisError as exc:
        pytest.fail(f"Redis at {url} is not reachable: {exc}")
    prefix = f"cdnexport-test-{uuid.uuid4().hex[:10]}:"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        client.close()


@dataclass(frozen=True)
class S3Server:
    url: str
    access_key_id: str
    secret: str
    bucket: str

    @property
    def env(self) -> dict[str, str]:
        """The standard variables boto3 (and so cdnexport) reads."""
        return {
            "AWS_ENDPOINT_URL_S3": self.url,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret,
            "AWS_REGION": "us-east-1",
        }

    def client(self) -> S3Client:
        return boto3.session.Session(
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret,
            region_name="us-east-1",
        ).client("s3", endpoint_url=self.url, config=Config(signature_version="s3v4"))

    def keys(self, prefix: str = "") -> list[str]:
        pages = (
            self.client()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@contextmanager
def nanio(data_dir: Path, bucket: str = "exports") -> Iterator[S3Server]:
    """nanio on a free loopback port with fresh keys and an empty bucket; stopped afterwards."""
    port = free_port()
    server = S3Server(f"http://127.0.0.1:{port}", f"test{secrets.token_hex(4)}",
                      secrets.token_hex(20), bucket)  # fmt: skip
    env: Mapping[str, str] = {
        **os.environ,
        "NANIO_ACCESS_KEY": server.access_key_id,
        "NANIO_SECRET_KEY": server.secret,
    }
    argv = [sys.executable, "-m", "nanio", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--data-dir", str(data_dir), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    with (data_dir.parent / f"nanio-{port}.log").open("ab") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nanio exited with {process.returncode}")
            try:
                server.client().create_bucket(Bucket=bucket)
                break
            except BotoCoreError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
