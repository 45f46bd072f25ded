"""Rows the usage tests need: an account with domains, inserted straight into the tables."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from cdnexport.db.engine import Database
from cdnexport.db.schema import account, domain, usage_sample
from cdnexport.domain.window import parse_utc

T0 = 1_714_521_600  # 2024-05-01T00:00:00Z


def utc(text: str) -> int:
    epoch = parse_utc(text)
    assert epoch is not None
    return epoch


def add_account(
    db: Database, account_id: int, name: str, domains: tuple[str, ...]
) -> dict[str, int]:
    """Insert an account owning ``domains``; return the domain ids by name."""
    with db.write() as conn:
        conn.execute(
            insert(account).values(
                id=account_id,
                name=name,
                access_key_id=f"AK{account_id}",
                access_key_secret="secret",
                active=True,
                created_at=0,
            )
        )
        if domains:
            conn.execute(insert(domain), [{"account_id": account_id, "name": n} for n in domains])
        rows = conn.execute(select(domain.c.name, domain.c.id).where(domain.c.name.in_(domains)))
        return {str(row.name): int(row.id) for row in rows}


def sample_rows(db: Database) -> list[tuple[int, ...]]:
    """Every stored sample, ordered by key."""
    with db.read() as conn:
        rows = conn.execute(select(usage_sample).order_by(*usage_sample.primary_key.columns))
        return [tuple(int(v) for v in row) for row in rows]


def sample_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(usage_sample)).scalar_one())
