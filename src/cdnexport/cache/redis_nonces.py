"""Signature nonces in Redis: one ``SET NX EX`` per request, and Redis expires them itself."""

from __future__ import annotations

from redis import Redis


class RedisNonceStore:
    """A ``NonceStore`` shared by every API process that uses the same Redis and key prefix."""

    def __init__(self, client: Redis, prefix: str = "cdnexport:") -> None:
        self._client = client
        self._prefix = f"{prefix}nonce:"

    def use(self, access_key_id: str, nonce: str, now: int, ttl: int) -> bool:
        # The length prefix keeps ("a:b", "c") and ("a", "b:c") apart.
        key = f"{self._prefix}{len(access_key_id)}:{access_key_id}:{nonce}"
        return bool(self._client.set(key, now + ttl, nx=True, ex=max(1, ttl)))

    def purge(self, now: int) -> int:
        return 0
