"""Per-key token buckets in Redis, updated by one Lua script so that concurrent API processes
never both spend the last token.

Same rule as the in-process ``TokenBucketLimiter``: ``rate`` calls per second with a burst of
``rate``, the rate given with each call. Time is the caller's clock; a caller whose clock is
behind the last update gains no tokens (elapsed time is clamped at zero).
"""

from __future__ import annotations

from redis import Redis

# KEYS[1] bucket; ARGV: rate, now, ttl. Returns the wait in seconds as a string (Lua numbers
# would be truncated to integers on the way out).
_TAKE = """
local rate = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or rate
local at = tonumber(state[2]) or now
if now > at then
  tokens = math.min(rate, tokens + (now - at) * rate)
  at = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
  'at', string.format('%.17g', at))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return string.format('%.17g', wait)
"""


class RedisRateLimiter:
    """A ``RateLimiter`` whose buckets every API process sharing the Redis draws from."""

    def __init__(self, client: Redis, prefix: str = "cdnexport:") -> None:
        self._prefix = f"{prefix}rate:"
        self._take = client.register_script(_TAKE)
        # An idle bucket refills within a second; keep it a little longer, then let it go.
        self._ttl = 2

    def acquire(self, key: str, rate: float, now: float) -> float:
        wait = self._take(keys=[f"{self._prefix}{key}"], args=[float(rate), repr(now), self._ttl])
        return float(wait.decode() if isinstance(wait, bytes) else wait)
