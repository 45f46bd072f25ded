"""Signature nonces: a nonce may be used once per AccessKey within its time to live.

The database store is shared by every API process of a deployment on either engine; the memory
store serves unit tests, and ``cache.redis_nonces`` the deployments with Redis. Recording is one
upsert on a pooled DB-API connection (``db.rawsql``): a row left over from an expired use is
taken over, and RETURNING yields a row exactly when this call recorded the nonce.
"""

from __future__ import annotations

import threading
from typing import Protocol

from sqlalchemy import delete

from cdnexport.db import rawsql
from cdnexport.db.engine import Database
from cdnexport.db.schema import signature_nonce

_UPSERT = (
    "INSERT INTO signature_nonce (access_key_id, nonce, expires_at) VALUES (?, ?, ?) "
    "ON CONFLICT (access_key_id, nonce) DO UPDATE SET expires_at = excluded.expires_at "
    "WHERE signature_nonce.expires_at < ? RETURNING expires_at"
)


class NonceStore(Protocol):
    def use(self, access_key_id: str, nonce: str, now: int, ttl: int) -> bool:
        """Record the nonce; False when it was already used and has not expired."""
        ...

    def purge(self, now: int) -> int:
        """Forget expired nonces; returns how many."""
        ...


class DbNonceStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._upsert = rawsql.sql(db, _UPSERT)

    def use(self, access_key_id: str, nonce: str, now: int, ttl: int) -> bool:
        with self._db.writing(), rawsql.pooled(self._db) as conn:
            cursor = conn.cursor()
            try:
                cursor.execute(self._upsert, (access_key_id, nonce, now + ttl, now))
                # Reading to the end lets SQLite finish (and so commit) the statement.
                recorded = len(cursor.fetchall()) > 0
            finally:
                cursor.close()
        return recorded

    def purge(self, now: int) -> int:
        with self._db.engine.begin() as conn:
            result = conn.execute(delete(signature_nonce).where(signature_nonce.c.expires_at < now))
            return int(result.rowcount)


class MemoryNonceStore:
    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def use(self, access_key_id: str, nonce: str, now: int, ttl: int) -> bool:
        key = (access_key_id, nonce)
        with self._lock:
            expires = self._seen.get(key)
            if expires is not None and expires >= now:
                return False
            self._seen[key] = now + ttl
            return True

    def purge(self, now: int) -> int:
        with self._lock:
            old = [k for k, exp in self._seen.items() if exp < now]
            for k in old:
                del self._seen[k]
            return len(old)
