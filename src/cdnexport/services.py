"""The dependencies of a running service, built once from Settings and passed down."""

from __future__ import annotations

from dataclasses import dataclass

from cdnexport.clock import Clock, SystemClock
from cdnexport.config import Settings
from cdnexport.db.engine import Database
from cdnexport.db.nonces import DbNonceStore, NonceStore
from cdnexport.ratelimit import RateLimiter, TokenBucketLimiter
from cdnexport.storage.base import BlobStore
from cdnexport.storage.local import LocalBlobStore
from cdnexport.usage.query import UsageSource
from cdnexport.usage.store import SqlUsageStore


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    store: BlobStore
    usage: UsageSource
    nonces: NonceStore
    limiter: RateLimiter
    clock: Clock


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """Connect to the database (creating the schema if needed) and the object store."""
    db = Database(settings.effective_database_url)
    db.create_schema()
    store = LocalBlobStore(
        settings.exports_dir, settings.public_url, settings.effective_url_secret()
    )
    return Services(
        settings=settings,
        db=db,
        store=store,
        usage=SqlUsageStore(db),
        nonces=DbNonceStore(db),
        limiter=TokenBucketLimiter(settings.rate_limit_per_second),
        clock=clock or SystemClock(),
    )
