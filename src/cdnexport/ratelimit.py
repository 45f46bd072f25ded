"""Per-account, per-action call rate limits: a token bucket per key.

``TokenBucketLimiter`` keeps its buckets in the process, so it holds for one API process: the
embedded default. Several API processes share ``cache.redis_ratelimit.RedisRateLimiter``
instead, and ``serve --processes N`` refuses to start without Redis.
"""

from __future__ import annotations

import math
import threading
from typing import Protocol


class RateLimiter(Protocol):
    def acquire(self, key: str, rate: float, now: float) -> float:
        """Take one call from ``key``'s allowance of ``rate`` calls per second (with a burst of
        ``rate``): 0 when allowed, else the seconds to wait."""
        ...


class TokenBucketLimiter:
    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, rate: float, now: float) -> float:
        with self._lock:
            tokens, last = self._buckets.get(key, (rate, now))
            tokens = min(rate, tokens + max(0.0, now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate


def retry_after_seconds(wait: float) -> int:
    """The whole seconds a throttled client is told to wait (at least 1)."""
    return max(1, math.ceil(wait))
