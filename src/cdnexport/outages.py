"""Which exceptions mean that a dependency is unreachable, rather than that the code is wrong.

An outage of the database, Redis or the object store is answered ``ServiceUnavailable`` (503)
and logged in one line; anything else is a bug, answered ``InternalError`` with its trace logged.
The drivers' own exception classes are the test: they are what the libraries raise when a
connection is refused, dropped or times out.
"""

from __future__ import annotations

import sqlite3

import sqlalchemy.exc

from cdnexport.storage.base import StorageError

# SQLite reports schema mistakes ("no such table") as OperationalError too: only these are
# the database being unavailable.
_SQLITE_OUTAGES = ("database is locked", "database table is locked", "unable to open", "disk i/o")


def outage_of(exc: BaseException) -> str | None:
    """The dependency ``exc`` says is down (``database``, ``redis``, ``storage``), or None."""
    if isinstance(exc, sqlalchemy.exc.TimeoutError):  # no pooled connection came free in time
        return "database"
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        if exc.connection_invalidated:
            return "database"
        return outage_of(exc.orig) if exc.orig is not None else None
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return "database" if any(part in text for part in _SQLITE_OUTAGES) else None
    if _is_psycopg_outage(exc):
        return "database"
    if _is_redis_outage(exc):
        return "redis"
    if _is_storage_outage(exc):
        return "storage"
    if isinstance(exc, StorageError) and exc.__cause__ is not None:
        return outage_of(exc.__cause__)  # the object store's own error says what happened
    return None


def _is_psycopg_outage(exc: BaseException) -> bool:
    import psycopg

    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def _is_redis_outage(exc: BaseException) -> bool:
    import redis.exceptions

    return isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError)


def _is_storage_outage(exc: BaseException) -> bool:
    import botocore.exceptions

    return isinstance(
        exc,
        botocore.exceptions.EndpointConnectionError
        | botocore.exceptions.ConnectionClosedError
        | botocore.exceptions.ReadTimeoutError
        | botocore.exceptions.ConnectTimeoutError,
    )
