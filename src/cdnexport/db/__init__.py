"""Persistence: schema, engine set-up, repositories and the task queue.

One code path serves SQLite (embedded default) and PostgreSQL (scale-out): SQLAlchemy Core
statements, with the few dialect differences (row locking, upserts) handled in ``engine``.
"""
