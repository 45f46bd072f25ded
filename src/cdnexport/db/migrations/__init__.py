"""Alembic migrations of the cdnexport schema, applied by ``cdnexport migrate`` (``db.migrate``).

Revisions are written by hand as explicit operations, never generated from ``db/schema.py`` at
run time: a revision describes one past state of the schema and must not change with it.
"""
