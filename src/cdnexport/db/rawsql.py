"""DB-API access for the request path's few hot statements, on either engine.

Every RPC call runs an AccessKey lookup, a nonce insert and usually one listing; through
SQLAlchemy's ``Connection`` each costs about 100 µs of checkout, transaction events and
statement compilation, several times what SQLite itself spends, so these statements are
plain SQL text on a DB-API connection instead: a pooled one, or the one a ``HeldConnection``
lends to the current call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.pool import PoolProxiedConnection

from cdnexport.db.engine import Database


class _Lent(threading.local):
    """The connection lent to this thread, if any. Per thread, not per context: the event
    loop lends its connection once, for every call it runs, while the app runs."""

    value: tuple[Database, PoolProxiedConnection] | None = None


_lent = _Lent()


@contextmanager
def pooled(db: Database) -> Iterator[PoolProxiedConnection]:
    """The connection lent to this call for ``db``, or one from the engine's pool, returned
    (rolled back) on exit.

    SQLite connections are in autocommit mode (see ``db.engine``); on PostgreSQL a write must
    call ``commit()`` itself.
    """
    lent = _lent.value
    if lent is not None and lent[0] is db:
        yield lent[1]
        return
    conn = db.engine.raw_connection()
    try:
        yield conn
    finally:
        conn.close()


def detached(db: Database) -> PoolProxiedConnection:
    """A connection of the engine's kind that the caller owns and closes.

    On SQLite it never checkpoints the WAL itself (its owner only reads): a checkpoint waits
    for fsync, which on a busy disk takes up to hundreds of milliseconds.
    """
    conn = db.engine.raw_connection()
    conn.detach()
    if db.is_sqlite:
        cursor = conn.cursor()
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()
    return conn


class HeldConnection:
    """One connection kept out of the pool for one thread (the event loop), which saves the
    pool's checkout and return on every statement of its calls."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: PoolProxiedConnection | None = None

    @contextmanager
    def lend(self) -> Iterator[None]:
        """Make ``pooled(db)`` use the held connection inside the block, on this thread."""
        before = _lent.value
        _lent.value = (self._db, self._connection())
        try:
            yield
        finally:
            _lent.value = before

    def data_version(self) -> int | None:
        """SQLite's ``PRAGMA data_version`` of the held connection: it changes exactly when
        another connection, of any process, has committed to the file since the last reading.
        None on other engines, and on in-memory SQLite, whose only connection is shared."""
        if not self._db.is_sqlite or self._db.is_memory:
            return None
        cursor = self._connection().cursor()
        try:
            cursor.execute("PRAGMA data_version")
            row = cursor.fetchone()
        finally:
            cursor.close()
        assert row is not None  # the pragma always answers one row
        return int(row[0])

    def _connection(self) -> PoolProxiedConnection:
        if self._conn is None:
            self._conn = detached(self._db)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def sql(db: Database, template: str) -> str:
    """``template`` with each ``?`` replaced by the driver's marker (no ``?`` in literals)."""
    return template if db.is_sqlite else template.replace("?", "%s")
