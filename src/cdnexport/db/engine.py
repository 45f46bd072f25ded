"""Engine set-up for SQLite and PostgreSQL.

SQLite needs three things SQLAlchemy does not do by itself: WAL with a busy timeout, so API and
worker processes share the file; ``BEGIN IMMEDIATE`` for read-then-write transactions, so
two writers never both read a stale snapshot (``Database.write``); and one writer at a time
within a process (``Database.writing``). SQLite's busy handler waits for a lock by sleeping
1, 2, 5, 10... ms and trying again, so threads of one process that take turns through it spend
most of their time asleep (measured here: 765 Describe calls/s with it, each recording a nonce,
against a few thousand with the lock); a lock of the process hands over at once. PostgreSQL
takes concurrent writers as they come.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool, StaticPool

#: How long a SQLite writer waits for its turn, as the busy timeout below.
WRITE_WAIT_SECONDS = 30.0


class _WriterLock:
    """A re-entrant lock whose wait ends, like SQLite's own, in "database is locked"."""

    def __init__(self, timeout: float) -> None:
        self._lock = threading.RLock()
        self._timeout = timeout

    def __enter__(self) -> object:
        if not self._lock.acquire(timeout=self._timeout):
            raise sqlite3.OperationalError("database is locked (no writer turn in time)")
        return self

    def __exit__(self, *_exc: object) -> None:
        self._lock.release()


class Database:
    """An engine plus the two transaction shapes the service uses."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        #: One in-memory SQLite database, whose single connection every caller shares.
        self.is_memory = self.is_sqlite and _is_memory(url)
        #: The file of a SQLite database kept in one.
        self.sqlite_file = (
            Path(parsed.database) if self.is_sqlite and parsed.database and not self.is_memory
            else None
        )  # fmt: skip
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(url)
            self._write_lock: AbstractContextManager[object] = _WriterLock(WRITE_WAIT_SECONDS)
        else:
            self._write_lock = nullcontext()
            self.engine = create_engine(
                parsed.set(drivername="postgresql+psycopg"),
                pool_size=10,
                max_overflow=20,
                # No ping before each use (a round trip per statement on the request path): a
                # connection found dead fails its call, which answers ServiceUnavailable, and
                # SQLAlchemy then drops every pooled connection, so the next calls reconnect.
            )

    def writing(self) -> AbstractContextManager[object]:
        """Held around every write: on SQLite one writer of this process at a time."""
        return self._write_lock

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction that only reads."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that may read then write; serialized against other writers on SQLite."""
        with self._write_lock, self.engine.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    def create_schema(self) -> None:
        """Migrate to the newest schema revision (``db.migrate.upgrade``); used by tests."""
        from cdnexport.db import migrate  # migrate names Database in its signatures

        migrate.upgrade(self)

    def ping(self) -> None:
        """One round trip to the database; raises while it cannot be reached."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()


def _is_memory(url: str) -> bool:
    return ":memory:" in url or url.rstrip("/") == "sqlite:"


def _sqlite_engine(url: str) -> Engine:
    memory = _is_memory(url)
    engine = create_engine(
        url,
        poolclass=StaticPool if memory else QueuePool,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below instead of the driver.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        # Checkpoint every 10,000 WAL pages (40 MB) rather than 1,000: pages written again and
        # again (the nonce table's, the task queue's) are copied once per checkpoint, which
        # takes a third less CPU per recorded nonce and half the wall time (measured here).
        cur.execute("PRAGMA wal_autocheckpoint=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine
