"""The scale-out deployment the Describe guard also loads: PostgreSQL and Redis, each in a
namespace of its own (a fresh schema, a fresh key prefix) dropped afterwards.

The servers are the machine's own: ``CDNEXPORT_BENCH_PG_URL`` and ``CDNEXPORT_BENCH_REDIS_URL``
name them (defaults: the local PostgreSQL's ``test`` database, Redis database 3).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from sqlalchemy import create_engine, text

from bench import dataset
from bench.dataset import Key
from cdnexport.config import Settings
from cdnexport.db import migrate
from cdnexport.db.engine import Database
from cdnexport.services import build_services

PG_URL = os.environ.get("CDNEXPORT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CDNEXPORT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")


@dataclass(frozen=True, slots=True)
class ScaleOut:
    database_url: str
    redis_url: str
    redis_prefix: str
    tenants: tuple[Key, ...]

    def env(self) -> dict[str, str]:
        """The settings (without the ``CDNEXPORT_`` prefix) that select this deployment."""
        return {
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "redis_key_prefix": self.redis_prefix,
        }


@contextmanager
def deployment(settings: Settings, tenants: int) -> Iterator[ScaleOut]:
    """A migrated schema holding ``tenants`` Describe accounts, and a Redis key prefix."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    prefix = f"bench-{uuid.uuid4().hex[:10]}:"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        db = Database(url)
        try:
            now = int(time.time())
            migrate.migrate_database(db, now, now - 400 * 86400)
        finally:
            db.dispose()
        pg = settings.model_copy(
            update={"database_url": url, "redis_url": REDIS_URL, "redis_key_prefix": prefix}
        )
        services = build_services(pg)
        try:
            keys = dataset.tenants(services, tenants, int(services.clock.now()))
        finally:
            services.db.dispose()
        yield ScaleOut(url, REDIS_URL, prefix, keys)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
        client = redis.Redis.from_url(REDIS_URL)
        keys_left = list(client.scan_iter(f"{prefix}*"))
        if keys_left:
            client.delete(*keys_left)
        client.close()
