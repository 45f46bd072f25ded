"""Accounts, their AccessKeys, domains and domain groups."""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select

from cdnexport.db import rawsql
from cdnexport.db.engine import Database
from cdnexport.db.schema import account, domain, domain_group, group_member
from cdnexport.domain import names as names_rules


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    access_key_id: str
    access_key_secret: str
    active: bool


class NotFound(LookupError):
    """A named account, domain or group does not exist (for operator commands)."""


class Conflict(ValueError):
    """A name is taken (for operator commands)."""


_ALNUM = string.ascii_letters + string.digits


def _new_access_key() -> tuple[str, str]:
    key_id = "LTAI" + "".join(secrets.choice(_ALNUM) for _ in range(20))
    secret = "".join(secrets.choice(_ALNUM) for _ in range(30))
    return key_id, secret


def create_account(conn: Connection, name: str, now: int) -> Account:
    """Create an account with a fresh AccessKey pair."""
    if conn.execute(select(account.c.id).where(account.c.name == name)).first():
        raise Conflict(f"account {name!r} exists")
    key_id, secret = _new_access_key()
    new_id = conn.execute(
        insert(account).values(
            name=name,
            access_key_id=key_id,
            access_key_secret=secret,
            active=True,
            created_at=now,
        )
    ).inserted_primary_key
    assert new_id is not None
    return Account(int(new_id[0]), name, key_id, secret, True)


def _from_row(row: Sequence[object]) -> Account:
    return Account(int(str(row[0])), str(row[1]), str(row[2]), str(row[3]), bool(row[4]))


_COLUMNS = (
    account.c.id,
    account.c.name,
    account.c.access_key_id,
    account.c.access_key_secret,
    account.c.active,
)


_BY_ACCESS_KEY = (
    "SELECT id, name, access_key_id, access_key_secret, active FROM account WHERE access_key_id = ?"
)


def find_access_key(db: Database, access_key_id: str) -> Account | None:
    """The account holding ``access_key_id`` (active or not); plain SQL, as every call runs it."""
    with rawsql.pooled(db) as conn:
        cursor = conn.cursor()
        try:
            cursor.execute(rawsql.sql(db, _BY_ACCESS_KEY), (access_key_id,))
            row = cursor.fetchone()
        finally:
            cursor.close()
    return _from_row(row) if row else None


def by_name(conn: Connection, name: str) -> Account:
    """The account called ``name``, or the account whose id is ``name``."""
    where = account.c.name == name
    if name.isdigit():
        where = where | (account.c.id == int(name))
    row = conn.execute(select(*_COLUMNS).where(where)).first()
    if row is None:
        raise NotFound(f"no account {name!r}")
    return _from_row(row)


def get_account(conn: Connection, account_id: int) -> Account | None:
    row = conn.execute(select(*_COLUMNS).where(account.c.id == account_id)).first()
    return _from_row(row) if row else None


def set_active(conn: Connection, account_id: int, active: bool) -> None:
    conn.execute(account.update().where(account.c.id == account_id).values(active=active))


def add_domains(conn: Connection, account_id: int, names: Sequence[str]) -> list[str]:
    """Give domains to an account; returns the names added (already-owned ones are skipped).
    Raises ``InvalidName`` before adding any when one is not a hostname."""
    added = []
    for name in [names_rules.domain_name(raw) for raw in names]:
        owner = conn.execute(select(domain.c.account_id).where(domain.c.name == name)).scalar()
        if owner == account_id:
            continue
        if owner is not None:
            raise Conflict(f"domain {name!r} belongs to another account")
        conn.execute(insert(domain).values(account_id=account_id, name=name))
        added.append(name)
    return added


def domain_ids(conn: Connection, account_id: int, names: Sequence[str]) -> dict[str, int] | None:
    """Ids of the named domains if the account owns all of them, else None."""
    rows = conn.execute(
        select(domain.c.name, domain.c.id).where(
            domain.c.account_id == account_id, domain.c.name.in_(names)
        )
    ).all()
    found = {str(n): int(i) for n, i in rows}
    return found if len(found) == len(set(names)) else None


def all_domain_ids(conn: Connection, account_id: int) -> list[int]:
    rows = conn.execute(select(domain.c.id).where(domain.c.account_id == account_id))
    return [int(i) for i in rows.scalars()]


def create_group(conn: Connection, account_id: int, name: str, domains: Sequence[str]) -> None:
    """Create (or extend) a domain group from domains the account owns."""
    names_rules.group_name(name)
    ids = domain_ids(conn, account_id, [d.strip().lower() for d in domains])
    if ids is None:
        raise NotFound("every domain of a group must belong to the account")
    group_id = conn.execute(
        select(domain_group.c.id).where(
            domain_group.c.account_id == account_id, domain_group.c.name == name
        )
    ).scalar()
    if group_id is None:
        pk = conn.execute(
            insert(domain_group).values(account_id=account_id, name=name)
        ).inserted_primary_key
        assert pk is not None
        group_id = pk[0]
    present = set(
        conn.execute(
            select(group_member.c.domain_id).where(group_member.c.group_id == group_id)
        ).scalars()
    )
    rows = [{"group_id": group_id, "domain_id": d} for d in ids.values() if d not in present]
    if rows:
        conn.execute(insert(group_member), rows)


def group_domains(conn: Connection, account_id: int, name: str) -> dict[str, int] | None:
    """The domains (name -> id) of the account's group ``name``, or None when there is none."""
    group_id = conn.execute(
        select(domain_group.c.id).where(
            domain_group.c.account_id == account_id, domain_group.c.name == name
        )
    ).scalar()
    if group_id is None:
        return None
    rows = conn.execute(
        select(domain.c.name, domain.c.id)
        .join(group_member, group_member.c.domain_id == domain.c.id)
        .where(group_member.c.group_id == group_id)
    ).all()
    return {str(n): int(i) for n, i in rows}


def remove_group(conn: Connection, account_id: int, name: str) -> None:
    conn.execute(
        delete(domain_group).where(
            domain_group.c.account_id == account_id, domain_group.c.name == name
        )
    )


def count_accounts(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(account)).scalar_one())


def rotate_key(conn: Connection, account_id: int) -> Account:
    """Give the account a new AccessKey pair; the old one stops working at once."""
    key_id, secret = _new_access_key()
    conn.execute(
        account.update()
        .where(account.c.id == account_id)
        .values(access_key_id=key_id, access_key_secret=secret)
    )
    row = conn.execute(select(*_COLUMNS).where(account.c.id == account_id)).first()
    if row is None:
        raise NotFound(f"no account {account_id}")
    return _from_row(row)


def list_accounts(conn: Connection) -> list[tuple[Account, int]]:
    """Every account with its number of domains, by name."""
    counts = (
        select(domain.c.account_id, func.count().label("n"))
        .group_by(domain.c.account_id)
        .subquery()
    )
    rows = conn.execute(
        select(*_COLUMNS, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.account_id == account.c.id)
        .order_by(account.c.name)
    ).all()
    return [(_from_row(row[:5]), int(row[5])) for row in rows]


def account_domains(conn: Connection, account_id: int) -> list[tuple[int, str]]:
    """The account's domains (id, name), by name."""
    rows = conn.execute(
        select(domain.c.id, domain.c.name)
        .where(domain.c.account_id == account_id)
        .order_by(domain.c.name)
    ).all()
    return [(int(i), str(n)) for i, n in rows]


def account_groups(conn: Connection, account_id: int) -> list[tuple[str, list[str]]]:
    """The account's groups with their domain names, by name."""
    rows = conn.execute(
        select(domain_group.c.name, domain.c.name)
        .select_from(domain_group)
        .outerjoin(group_member, group_member.c.group_id == domain_group.c.id)
        .outerjoin(domain, domain.c.id == group_member.c.domain_id)
        .where(domain_group.c.account_id == account_id)
        .order_by(domain_group.c.name, domain.c.name)
    ).all()
    groups: dict[str, list[str]] = {}
    for group_name, domain_name in rows:
        members = groups.setdefault(str(group_name), [])
        if domain_name is not None:
            members.append(str(domain_name))
    return list(groups.items())
