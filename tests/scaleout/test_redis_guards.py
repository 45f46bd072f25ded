"""Nonces and rate limits in a real Redis: once-only nonces that expire, atomic token buckets."""

from __future__ import annotations

import threading
import time

import pytest
from redis import Redis

from cdnexport.cache.redis_nonces import RedisNonceStore
from cdnexport.cache.redis_ratelimit import RedisRateLimiter
from cdnexport.ratelimit import TokenBucketLimiter

Guard = tuple[Redis, str]


def test_a_nonce_is_used_once_per_access_key(redis_client: Guard) -> None:
    client, prefix = redis_client
    store = RedisNonceStore(client, prefix)
    assert store.use("AK1", "n-1", 1_000, 900)
    assert not store.use("AK1", "n-1", 1_001, 900)
    assert store.use("AK2", "n-1", 1_001, 900)
    # A separator inside the names does not make two different pairs collide.
    assert store.use("AK1:x", "y", 1_001, 900)
    assert store.use("AK1", "x:y", 1_001, 900)
    assert 0 < client.ttl(f"{prefix}nonce:3:AK1:n-1") <= 900
    assert store.purge(2_000) == 0


def test_a_nonce_is_free_again_after_its_ttl(redis_client: Guard) -> None:
    client, prefix = redis_client
    store = RedisNonceStore(client, prefix)
    assert store.use("AK1", "short", 1_000, 1)
    assert not store.use("AK1", "short", 1_000, 1)
    time.sleep(1.2)
    assert store.use("AK1", "short", 1_002, 1)


def test_two_stores_share_the_used_nonces(redis_client: Guard) -> None:
    client, prefix = redis_client
    other = Redis(connection_pool=client.connection_pool)
    assert RedisNonceStore(client, prefix).use("AK", "shared", 1, 60)
    assert not RedisNonceStore(other, prefix).use("AK", "shared", 2, 60)


def test_bucket_allows_a_burst_then_refills_like_the_in_process_one(redis_client: Guard) -> None:
    client, prefix = redis_client
    shared = RedisRateLimiter(client, prefix)
    local = TokenBucketLimiter()
    now = 10_000.0
    for step in (0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.25, 0.25, 1.0, 0.0, 0.0):
        now += step
        assert shared.acquire("1:Describe", 4, now) == pytest.approx(
            local.acquire("1:Describe", 4, now)
        )
    assert shared.acquire("2:Describe", 4, now) == 0  # keys are independent


def test_a_clock_behind_gains_no_tokens(redis_client: Guard) -> None:
    client, prefix = redis_client
    limiter = RedisRateLimiter(client, prefix)
    assert limiter.acquire("k", 1, 500.0) == 0
    assert limiter.acquire("k", 1, 499.0) == pytest.approx(1.0)
    assert limiter.acquire("k", 1, 500.5) == pytest.approx(0.5)


def test_concurrent_clients_never_overspend(redis_client: Guard) -> None:
    client, prefix = redis_client
    rate, callers, calls = 25, 4, 40
    allowed: list[int] = []
    lock = threading.Lock()

    def spend() -> None:
        own = Redis(connection_pool=client.connection_pool)
        limiter = RedisRateLimiter(own, prefix)
        got = sum(limiter.acquire("hot", rate, 50_000.0) == 0 for _ in range(calls))
        with lock:
            allowed.append(got)

    threads = [threading.Thread(target=spend) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # All at one instant: exactly the burst is allowed, however the calls interleave.
    assert sum(allowed) == rate
