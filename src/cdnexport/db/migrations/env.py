"""Alembic's entry point: runs the migrations on the connection ``db.migrate`` hands over.

The caller holds the transaction (and, on PostgreSQL, an advisory lock), so every revision of one
``upgrade`` commits together or not at all.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection


def run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("cdnexport migrations are applied with `cdnexport migrate`")
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


run()
