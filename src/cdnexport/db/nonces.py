"""Signature nonces: a nonce may be used once per AccessKey within its time to live.

The database store is shared by every API process of a deployment; the memory store serves
unit tests.
"""

from __future__ import annotations

import threading
from typing import Protocol

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite

from cdnexport.db.engine import Database
from cdnexport.db.schema import signature_nonce


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
        dialect = sqlite if db.is_sqlite else postgresql
        stmt = dialect.insert(signature_nonce)
        # A row left over from an expired use is taken over instead of blocking the nonce.
        self._upsert = stmt.on_conflict_do_update(
            index_elements=[signature_nonce.c.access_key_id, signature_nonce.c.nonce],
            set_={"expires_at": stmt.excluded.expires_at},
            where=signature_nonce.c.expires_at < bindparam("now"),
        ).returning(signature_nonce.c.expires_at)

    def use(self, access_key_id: str, nonce: str, now: int, ttl: int) -> bool:
        with self._db.engine.begin() as conn:
            result = conn.execute(
                self._upsert,
                {
                    "access_key_id": access_key_id,
                    "nonce": nonce,
                    "expires_at": now + ttl,
                    "now": now,
                },
            )
            return result.first() is not None

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
