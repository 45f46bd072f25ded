"""DB-API access for the request path's few hot statements, on either engine.

Every RPC call runs an AccessKey lookup, a nonce insert and usually one listing; through
SQLAlchemy's ``Connection`` each costs about 100 µs of checkout, transaction events and
statement compilation, several times what SQLite itself spends, so these statements are
plain SQL text on a pooled DB-API connection instead, the same on both engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.pool import PoolProxiedConnection

from cdnexport.db.engine import Database


@contextmanager
def pooled(db: Database) -> Iterator[PoolProxiedConnection]:
    """A connection from the engine's pool in autocommit mode: each statement is its own
    transaction, in one round trip (PostgreSQL would otherwise spend three on BEGIN, the
    statement and COMMIT or ROLLBACK). SQLite's connections are always in that mode
    (``db.engine``)."""
    conn = db.engine.raw_connection()
    driver = conn.driver_connection
    try:
        if not db.is_sqlite:
            driver.autocommit = True  # type: ignore[union-attr]
        yield conn
    finally:
        if not db.is_sqlite:
            driver.autocommit = False  # type: ignore[union-attr]
        conn.close()


def sql(db: Database, template: str) -> str:
    """``template`` with each ``?`` replaced by the driver's marker (no ``?`` in literals)."""
    return template if db.is_sqlite else template.replace("?", "%s")
