"""Server-side sessions of the web console, and the failed sign-ins that throttle it.

The cookie holds a random token; the table holds its SHA-256, so a copy of the table opens no
session. A customer session remembers the AccessKey ID it was opened with: disabling the account
or rotating its key ends it at the next request, as does deleting the session (sign-out).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from cdnexport.db.schema import account, console_session, operator, signin_attempt


class Kind(enum.StrEnum):
    CUSTOMER = "customer"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Session:
    kind: Kind
    principal_id: int
    #: The account's or the operator's name.
    name: str
    csrf: str
    created_at: int


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    conn: Connection, kind: Kind, principal_id: int, credential: str, now: int
) -> tuple[str, Session]:
    """A new session (always a new token: one given before sign-in is never adopted)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    conn.execute(
        insert(console_session).values(
            token_hash=_hash(token),
            kind=kind.value,
            principal_id=principal_id,
            credential=credential,
            csrf=csrf,
            created_at=now,
            seen_at=now,
        )
    )
    return token, Session(kind, principal_id, "", csrf, now)


#: The idle clock is restarted at most this often, so that most page views only read.
TOUCH_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Found:
    """What a read of a session's row says: the live session, or None; and what to write."""

    session: Session | None
    #: The row is expired or orphaned (principal disabled, key rotated): delete it.
    stale: bool
    #: The idle clock is due a restart.
    touch: bool


def lookup(conn: Connection, kind: Kind, token: str, now: int, idle: int, absolute: int) -> Found:
    """Read the session of ``token``; it lives while its principal is active with the same
    credential, it was used within ``idle`` and opened within ``absolute`` seconds."""
    cs = console_session
    if kind is Kind.CUSTOMER:
        principal = account
        alive = and_(account.c.active, account.c.access_key_id == cs.c.credential)
    else:
        principal = operator
        alive = and_(operator.c.active, operator.c.name == cs.c.credential)
    row = conn.execute(
        select(cs.c.principal_id, principal.c.name, cs.c.csrf, cs.c.created_at, cs.c.seen_at)
        .join(principal, principal.c.id == cs.c.principal_id)
        .where(cs.c.token_hash == _hash(token), cs.c.kind == kind.value, alive)
    ).first()
    if row is None or row[4] + idle <= now or row[3] + absolute <= now:
        return Found(None, True, False)
    session = Session(kind, int(row[0]), str(row[1]), str(row[2]), int(row[3]))
    return Found(session, False, now - int(row[4]) >= TOUCH_SECONDS)


def touch(conn: Connection, token: str, now: int) -> None:
    conn.execute(
        update(console_session)
        .where(console_session.c.token_hash == _hash(token))
        .values(seen_at=now)
    )


def close(conn: Connection, token: str) -> None:
    conn.execute(delete(console_session).where(console_session.c.token_hash == _hash(token)))


def close_all(conn: Connection, kind: Kind, principal_id: int) -> int:
    """End every session of one principal; returns how many."""
    result = conn.execute(
        delete(console_session).where(
            console_session.c.kind == kind.value, console_session.c.principal_id == principal_id
        )
    )
    return int(result.rowcount)


def purge(conn: Connection, now: int, idle: int, absolute: int, window: int) -> None:
    """Remove expired sessions and sign-in attempts older than ``window``."""
    cs = console_session
    conn.execute(
        delete(cs).where(or_(cs.c.seen_at + idle <= now, cs.c.created_at + absolute <= now))
    )
    conn.execute(delete(signin_attempt).where(signin_attempt.c.at < now - window))


def recent_failures(conn: Connection, subjects: tuple[str, ...], since: int) -> dict[str, int]:
    """Failed sign-ins since ``since`` per subject (address or key)."""
    rows = conn.execute(
        select(signin_attempt.c.subject, func.count())
        .where(signin_attempt.c.subject.in_(subjects), signin_attempt.c.at >= since)
        .group_by(signin_attempt.c.subject)
    ).all()
    return {str(subject): int(count) for subject, count in rows}


def record_failure(conn: Connection, subjects: tuple[str, ...], now: int) -> None:
    conn.execute(insert(signin_attempt), [{"subject": s[:200], "at": now} for s in subjects])
