"""The record of which log content has been added for which domain (``ingested_log``).

A claim is made inside the transaction that adds the samples, so the samples and the record
commit together or not at all; ``ON CONFLICT DO NOTHING`` makes a concurrent second ingestion of
the same file wait for the first and then claim nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from cdnexport.db.schema import ingested_log

# Keeps a statement's bound parameters well under SQLite's limit.
ROWS_PER_STATEMENT = 500


@dataclass(frozen=True, slots=True)
class LogFile:
    """What the record keeps of one file: its content digest, name and line count."""

    digest: str
    name: str
    lines: int


def claim_domains(
    conn: Connection,
    account_id: int,
    log: LogFile,
    totals: Mapping[int, tuple[int, int]],
    now: int,
) -> set[int]:
    """Record ``log`` as added for each domain of ``totals`` (domain id -> (traffic bytes,
    static HTTPS requests)); returns the domains newly recorded, leaving out those recorded
    by an earlier ingestion of the same content."""
    if not totals:
        return set()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    rows = [
        {
            "account_id": account_id,
            "file_digest": log.digest,
            "domain_id": domain_id,
            "file_name": log.name[-512:],
            "lines": log.lines,
            "traffic_bytes": traffic,
            "static_https": requests,
            "ingested_at": now,
        }
        for domain_id, (traffic, requests) in sorted(totals.items())
    ]
    claimed: set[int] = set()
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        statement = (
            dialect.insert(ingested_log)
            .values(rows[start : start + ROWS_PER_STATEMENT])
            .on_conflict_do_nothing(index_elements=["account_id", "file_digest", "domain_id"])
            .returning(ingested_log.c.domain_id)
        )
        claimed.update(int(domain_id) for domain_id in conn.execute(statement).scalars())
    return claimed


def recorded_domains(conn: Connection, account_id: int, digest: str) -> set[int]:
    """The domains the content ``digest`` has been added for."""
    query = select(ingested_log.c.domain_id).where(
        ingested_log.c.account_id == account_id, ingested_log.c.file_digest == digest
    )
    return {int(domain_id) for domain_id in conn.execute(query).scalars()}
