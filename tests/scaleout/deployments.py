"""The deployment shapes the contract suite runs a second time against, as ``Backing`` contexts:
PostgreSQL alone, and the scale-out one (PostgreSQL, Redis and nanio as S3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.contract.server import Backing
from tests.scaleout.backing import nanio, pg_schema, redis_prefix

BUCKET = "contract"
PREFIX = "exports"


@contextmanager
def postgresql_backing(pg_url: str) -> Iterator[Backing]:
    """A fresh schema of the PostgreSQL at ``pg_url`` (never ``public``)."""
    with pg_schema(pg_url) as database_url:
        yield Backing({"CDNEXPORT_DATABASE_URL": database_url})


@contextmanager
def scaleout_backing(pg_url: str, redis_url: str, work_dir: Path) -> Iterator[Backing]:
    """A fresh schema, a Redis key prefix of its own and an empty bucket on a new nanio."""
    work_dir.mkdir(parents=True, exist_ok=True)
    with (
        pg_schema(pg_url) as database_url,
        redis_prefix(redis_url) as prefix,
        nanio(work_dir / "s3", BUCKET) as s3,
    ):
        env = {
            "CDNEXPORT_DATABASE_URL": database_url,
            "CDNEXPORT_REDIS_URL": redis_url,
            "CDNEXPORT_REDIS_KEY_PREFIX": prefix,
            "CDNEXPORT_STORAGE_URL": f"s3://{BUCKET}/{PREFIX}",
            **s3.env,
        }
        yield Backing(env, f"{s3.url}/{BUCKET}/{PREFIX}/")
