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
    """A connection from the engine's pool, returned (rolled back) on exit.

    SQLite connections are in autocommit mode (see ``db.engine``); on PostgreSQL a write must
    call ``commit()`` itself.
    """
    conn = db.engine.raw_connection()
    try:
        yield conn
    finally:
        conn.close()


def sql(db: Database, template: str) -> str:
    """``template`` with each ``?`` replaced by the driver's marker (no ``?`` in literals)."""
    return template if db.is_sqlite else template.replace("?", "%s")
