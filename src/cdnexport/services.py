"""The dependencies of a running service, built once from Settings and passed down."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from cdnexport.clock import Clock, SystemClock
from cdnexport.config import Settings
from cdnexport.db import migrate
from cdnexport.db.engine import Database
from cdnexport.db.nonces import DbNonceStore, NonceStore
from cdnexport.ratelimit import RateLimiter, TokenBucketLimiter
from cdnexport.storage.base import BlobStore
from cdnexport.storage.local import LocalBlobStore
from cdnexport.usage.query import UsageSource
from cdnexport.usage.store import SqlUsageStore
from cdnexport.webhooks.sender import HttpSender, WebhookSender
from cdnexport.worker.wakeup import LocalSignal, NoSignal, TaskSignal


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    store: BlobStore
    usage: UsageSource
    nonces: NonceStore
    limiter: RateLimiter
    clock: Clock
    #: Makes the HTTP client of a webhook delivery loop (which closes it when it stops).
    webhook_sender: Callable[[], WebhookSender]
    #: Told of every new task; wakes the idle workers running in this process.
    wakeup: TaskSignal = field(default_factory=NoSignal)
    #: What ``/readyz`` checks: a name and a call that raises while that dependency is down.
    probes: tuple[tuple[str, Callable[[], object]], ...] = ()


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """Connect to the database (migrating the embedded one, checking any other one's schema
    revision), the object store and, when configured, Redis."""
    db = Database(settings.effective_database_url)
    migrate.prepare(db)
    clock = clock or SystemClock()
    nonces, limiter, redis_ping = _request_guards(settings, db)
    probes: list[tuple[str, Callable[[], object]]] = [("database", db.ping)]
    if redis_ping is not None:
        probes.append(("redis", redis_ping))
    return Services(
        settings=settings,
        db=db,
        store=_blob_store(settings),
        usage=SqlUsageStore(db),
        nonces=nonces,
        limiter=limiter,
        clock=clock,
        webhook_sender=lambda: HttpSender(
            settings.webhook_timeout_seconds, settings.webhook_allow_private
        ),
        wakeup=LocalSignal(),
        probes=tuple(probes),
    )


def _blob_store(settings: Settings) -> BlobStore:
    if settings.storage_url.startswith("s3://"):
        # Imported only when used: boto3 adds start-up time the embedded default does not need.
        from cdnexport.storage.s3 import S3BlobStore, s3_client

        bucket, prefix = settings.s3_location
        return S3BlobStore(s3_client(os.environ.get("AWS_REGION")), bucket, prefix)
    return LocalBlobStore(settings.exports_dir, settings.base_url, settings.effective_url_secret())


def _request_guards(
    settings: Settings, db: Database
) -> tuple[NonceStore, RateLimiter, Callable[[], object] | None]:
    """Nonces and rate limits in Redis when configured (shared by all API processes), with a
    ping of that Redis; else nonces in the database and rate limits in the process."""
    if settings.redis_url:
        from redis import Redis

        from cdnexport.cache.redis_nonces import RedisNonceStore
        from cdnexport.cache.redis_ratelimit import RedisRateLimiter

        client = Redis.from_url(settings.redis_url, socket_timeout=5, health_check_interval=30)
        client.ping()  # an unreachable Redis stops the start, not the first request
        prefix = settings.redis_key_prefix
        return RedisNonceStore(client, prefix), RedisRateLimiter(client, prefix), client.ping
    return DbNonceStore(db), TokenBucketLimiter(), None
