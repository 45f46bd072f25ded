"""Fixtures of the scale-out tests: PostgreSQL schemas, Redis prefixes and a nanio server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from cdnexport.db.engine import Database
from tests.scaleout.backing import (
    PG_ENV,
    REDIS_ENV,
    S3Server,
    nanio,
    pg_schema,
    redis_prefix,
    required_url,
)
from tests.support import migrated_database


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A PostgreSQL URL with a fresh, empty schema (not migrated)."""
    with pg_schema(required_url(PG_ENV)) as url:
        yield url


@pytest.fixture
def db(pg_database: str) -> Iterator[Database]:
    """A migrated database in a fresh PostgreSQL schema (in place of the root ``db``, which
    also runs on SQLite)."""
    with migrated_database(pg_database) as database:
        yield database


@pytest.fixture
def redis_client() -> Iterator[tuple[Redis, str]]:
    """A Redis client and a key prefix of this test's own."""
    url = required_url(REDIS_ENV)
    with redis_prefix(url) as prefix:
        client = Redis.from_url(url)
        yield client, prefix
        client.close()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with nanio(tmp_path_factory.mktemp("nanio") / "data") as server:
        yield server
