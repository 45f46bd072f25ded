"""Operators of the web console: a name and an Argon2id password hash (argon2-cffi)."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, insert, select, update

from cdnexport.db.accounts import Conflict, NotFound
from cdnexport.db.schema import operator

_HASHER = PasswordHasher()
#: Checked against when the name is unknown, so that both failures take the same time.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")
MIN_PASSWORD = 12


@dataclass(frozen=True, slots=True)
class Operator:
    id: int
    name: str
    active: bool


def create_operator(conn: Connection, name: str, password: str, now: int) -> Operator:
    """A new operator; the password is stored only as its Argon2id hash."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")
    if conn.execute(select(operator.c.id).where(operator.c.name == name)).first():
        raise Conflict(f"operator {name!r} exists")
    pk = conn.execute(
        insert(operator).values(
            name=name, password_hash=_HASHER.hash(password), active=True, created_at=now
        )
    ).inserted_primary_key
    assert pk is not None
    return Operator(int(pk[0]), name, True)


def verify(conn: Connection, name: str, password: str) -> Operator | None:
    """The active operator ``name`` if ``password`` is theirs, else None."""
    row = conn.execute(
        select(operator.c.id, operator.c.password_hash, operator.c.active).where(
            operator.c.name == name
        )
    ).first()
    stored = str(row[1]) if row else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row[2]:
        return None
    if _HASHER.check_needs_rehash(stored):
        conn.execute(
            update(operator)
            .where(operator.c.id == row[0])
            .values(password_hash=_HASHER.hash(password))
        )
    return Operator(int(row[0]), name, True)


def get(conn: Connection, operator_id: int) -> Operator | None:
    row = conn.execute(
        select(operator.c.id, operator.c.name, operator.c.active).where(
            operator.c.id == operator_id
        )
    ).first()
    return Operator(int(row[0]), str(row[1]), bool(row[2])) if row else None


def set_active(conn: Connection, name: str, active: bool) -> None:
    result = conn.execute(update(operator).where(operator.c.name == name).values(active=active))
    if result.rowcount != 1:
        raise NotFound(f"no operator {name!r}")
