"""Signature nonces: a nonce may be used once per AccessKey within its time to live.

The database store is shared by every API process of a deployment; the memory store serves
unit tests. The insert is plain SQL on a DB-API connection (``db.rawsql``): it runs on every
request, and ``use_many`` lets a caller with many requests in flight commit them together.

The embedded SQLite default keeps them elsewhere (``db.nonce_journal``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import delete, select

from cdnexport.db import rawsql
from cdnexport.db.engine import Database
from cdnexport.db.schema import signature_nonce

# A row left over from an expired use is taken over instead of blocking the nonce; RETURNING
# yields a row exactly when this call recorded the nonce.
_UPSERT = (
    "INSERT INTO signature_nonce (access_key_id, nonce, expires_at) VALUES (?, ?, ?) "
    "ON CONFLICT (access_key_id, nonce) DO UPDATE SET expires_at = excluded.expires_at "
    "WHERE signature_nonce.expires_at < ?"
)
_UPSERT_RETURNING = f"{_UPSERT} RETURNING expires_at"


#: The arguments of one ``use`` call: AccessKeyId, nonce, now, time to live.
NonceCall = tuple[str, str, int, int]


class NonceStore(Protocol):
    def use(self, access_key_id: str, nonce: str, now: int, ttl: int) -> bool:
        """Record the nonce; False when it was already used and has not expired."""
        ...

    def purge(self, now: int) -> int:
        """Forget expired nonces; returns how many."""
        ...


@runtime_checkable
class BatchNonceStore(NonceStore, Protocol):
    def use_many(self, calls: Sequence[NonceCall]) -> list[bool]:
        """``use`` for each call in order, as one transaction (later calls see earlier ones)."""
        ...


class DbNonceStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._upsert = rawsql.sql(db, _UPSERT)
        self._upsert_returning = rawsql.sql(db, _UPSERT_RETURNING)

    def use(self, access_key_id: str, nonce: str, now: int, ttl: int) -> bool:
        return self.use_many([(access_key_id, nonce, now, ttl)])[0]

    def use_many(self, calls: Sequence[NonceCall]) -> list[bool]:
        """One commit for all the calls: on SQLite a commit rewrites whole pages of the WAL,
        so a batch costs little more than a single nonce.

        All the upserts go in one ``executemany``; when the rows it changed are as many as
        the calls, every nonce was fresh (the usual case). Otherwise the batch is rolled back
        and replayed one statement at a time to learn which ones were used before.
        """
        rows = [(key, nonce, now + ttl, now) for key, nonce, now, ttl in calls]
        with rawsql.pooled(self._db) as conn:
            cursor = conn.cursor()
            try:
                self._begin(cursor, len(rows))
                cursor.executemany(self._upsert, rows)
                if cursor.rowcount == len(rows):
                    conn.commit()
                    return [True] * len(rows)
                conn.rollback()
                self._begin(cursor, len(rows))
                recorded = []
                for row in rows:
                    cursor.execute(self._upsert_returning, row)
                    # Reading to the end lets SQLite finish the statement before the next.
                    recorded.append(len(cursor.fetchall()) > 0)
                conn.commit()
                return recorded
            finally:
                cursor.close()

    def _begin(self, cursor: Any, count: int) -> None:
        if self._db.is_sqlite and count > 1:
            cursor.execute("BEGIN IMMEDIATE")

    def live(self, now: int) -> list[tuple[str, str, int]]:
        """The nonces still in use at ``now``: (AccessKeyId, nonce, expires_at)."""
        with self._db.read() as conn:
            rows = conn.execute(
                select(
                    signature_nonce.c.access_key_id,
                    signature_nonce.c.nonce,
                    signature_nonce.c.expires_at,
                ).where(signature_nonce.c.expires_at >= now)
            ).all()
        return [(str(key), str(nonce), int(expires)) for key, nonce, expires in rows]

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

    def use_many(self, calls: Sequence[NonceCall]) -> list[bool]:
        return [self.use(*call) for call in calls]

    def purge(self, now: int) -> int:
        with self._lock:
            old = [k for k, exp in self._seen.items() if exp < now]
            for k in old:
                del self._seen[k]
            return len(old)
