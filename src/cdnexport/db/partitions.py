"""Monthly partitions of ``usage_sample`` on PostgreSQL, kept by the retention job.

The work is the SQL function ``cdnexport_usage_partitions`` (created by the first migration), so
that creating, filling from the default partition and dropping happen in one locked transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

#: Months of partitions kept ready after the current one, so inserts never wait on DDL.
MONTHS_AHEAD = 2


def maintain(conn: Connection, now: int, keep_after: int, months_ahead: int = MONTHS_AHEAD) -> int:
    """Create partitions up to ``months_ahead`` months after ``now``'s month, drop the ones that
    end before ``keep_after``; returns how many were dropped."""
    dropped = conn.execute(
        text("SELECT cdnexport_usage_partitions(:now, :keep_after, :ahead)"),
        {"now": now, "keep_after": keep_after, "ahead": months_ahead},
    ).scalar_one()
    return int(dropped)


def usage_partitions(conn: Connection) -> list[str]:
    """Names of the partitions of ``usage_sample``, the default one last."""
    rows = conn.execute(
        text(
            "SELECT child.relname FROM pg_inherits AS link "
            "JOIN pg_class AS child ON child.oid = link.inhrelid "
            "WHERE link.inhparent = 'usage_sample'::regclass "
            "ORDER BY child.relname = 'usage_sample_default', child.relname"
        )
    )
    return [str(name) for name in rows.scalars()]
