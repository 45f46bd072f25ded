"""Per-account, per-action call rate limits: a token bucket per key.

The in-process limiter serves the embedded default, which runs one API process.
"""

from __future__ import annotations

import math
import threading
from typing import Protocol


class RateLimiter(Protocol):
    def acquire(self, key: str, now: float) -> float:
        """Take one call from ``key``'s allowance: 0 when allowed, else seconds to wait."""
        ...


class TokenBucketLimiter:
    def __init__(self, per_second: int) -> None:
        self._rate = float(per_second)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, now: float) -> float:
        with self._lock:
            tokens, last = self._buckets.get(key, (self._rate, now))
            tokens = min(self._rate, tokens + (now - last) * self._rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self._rate


def retry_after_seconds(wait: float) -> int:
    """The whole seconds a throttled client is told to wait (at least 1)."""
    return max(1, math.ceil(wait))
