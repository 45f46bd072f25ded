"""Webhook endpoints, the outbox of their events, and the log of delivery attempts.

``record_finish`` is called by the queue inside the transaction that finishes a task, so an
event row exists exactly when the finish is committed (and only for accounts with a webhook).
The delivery loop claims due events as the queue claims tasks: one statement that takes the row
and pushes ``next_attempt_at`` past a lease, so a loop that dies mid-delivery leaves an event
that becomes due again; every later write is fenced on (id, attempts).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, delete, insert, literal, select, update

from cdnexport.db.schema import export_task, webhook_delivery, webhook_endpoint, webhook_event
from cdnexport.db.tasks import COLUMNS, from_row
from cdnexport.domain.task import ExportTask


class EventType(enum.StrEnum):
    SUCCEEDED = "export.succeeded"
    FAILED = "export.failed"


class EventStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # retried for the whole retry window without a 2xx answer


@dataclass(frozen=True, slots=True)
class Endpoint:
    account_id: int
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class DueEvent:
    """An event claimed for one delivery attempt."""

    id: str
    account_id: int
    task_id: int
    type: EventType
    created_at: int
    attempt: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """One line of the delivery log."""

    event_id: str
    event_type: str
    task_id: int
    attempt: int
    at: int
    url: str
    status_code: int | None
    error: str
    duration_ms: int
    event_status: str


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def set_endpoint(conn: Connection, account_id: int, url: str, secret: str, now: int) -> None:
    """Create or replace the account's webhook (a new secret each time)."""
    found = conn.execute(
        update(webhook_endpoint)
        .where(webhook_endpoint.c.account_id == account_id)
        .values(url=url, secret=secret, updated_at=now)
    )
    if found.rowcount == 0:
        conn.execute(
            insert(webhook_endpoint).values(
                account_id=account_id, url=url, secret=secret, created_at=now, updated_at=now
            )
        )


def get_endpoint(conn: Connection, account_id: int) -> Endpoint | None:
    row = conn.execute(
        select(webhook_endpoint.c.url, webhook_endpoint.c.secret).where(
            webhook_endpoint.c.account_id == account_id
        )
    ).first()
    return None if row is None else Endpoint(account_id, str(row[0]), str(row[1]))


def record_finish(conn: Connection, task_id: int, event_type: EventType, now: int) -> bool:
    """Queue the event of a task's finish when its account has a webhook; True if queued.

    One INSERT ... SELECT, so an account without a webhook costs one indexed lookup.
    """
    chosen = (
        select(
            literal(new_event_id()),
            export_task.c.account_id,
            export_task.c.id,
            literal(event_type.value),
            literal(now),
            literal(EventStatus.PENDING.value),
            literal(0),
            literal(now),
            literal(""),
        )
        .select_from(
            export_task.join(
                webhook_endpoint, webhook_endpoint.c.account_id == export_task.c.account_id
            )
        )
        .where(export_task.c.id == task_id)
    )
    result = conn.execute(
        insert(webhook_event).from_select(
            [
                "id",
                "account_id",
                "task_id",
                "type",
                "created_at",
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
            ],
            chosen,
        )
    )
    return result.rowcount == 1


def _claimable(now: int) -> ColumnElement[bool]:
    return and_(
        webhook_event.c.status == EventStatus.PENDING.value,
        webhook_event.c.next_attempt_at <= now,
    )


def claim_due(conn: Connection, now: int, lease: int) -> DueEvent | None:
    """Take the event due first for one attempt, leased for ``lease`` seconds; None if none."""
    pick = (
        select(webhook_event.c.id)
        .where(_claimable(now))
        .order_by(webhook_event.c.next_attempt_at, webhook_event.c.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    row = conn.execute(
        update(webhook_event)
        .where(webhook_event.c.id == pick, _claimable(now))
        .values(next_attempt_at=now + lease, attempts=webhook_event.c.attempts + 1)
        .returning(
            webhook_event.c.id,
            webhook_event.c.account_id,
            webhook_event.c.task_id,
            webhook_event.c.type,
            webhook_event.c.created_at,
            webhook_event.c.attempts,
        )
    ).first()
    if row is None:
        return None
    return DueEvent(
        str(row[0]), int(row[1]), int(row[2]), EventType(row[3]), int(row[4]), int(row[5])
    )


def _fence(event: DueEvent) -> ColumnElement[bool]:
    return and_(
        webhook_event.c.id == event.id,
        webhook_event.c.attempts == event.attempt,
        webhook_event.c.status == EventStatus.PENDING.value,
    )


def settle(
    conn: Connection,
    event: DueEvent,
    status: EventStatus,
    now: int,
    *,
    retry_at: int = 0,
    error: str = "",
) -> bool:
    """Record an attempt's outcome: delivered, failed for good, or pending again at
    ``retry_at``; False when another loop has claimed the event since."""
    values: dict[str, object] = {"status": status.value, "last_error": error[:2000]}
    if status is EventStatus.DELIVERED:
        values["delivered_at"] = now
    if status is EventStatus.PENDING:
        values["next_attempt_at"] = retry_at
    result = conn.execute(update(webhook_event).where(_fence(event)).values(**values))
    return result.rowcount == 1


def log_attempt(
    conn: Connection,
    event: DueEvent,
    url: str,
    at: int,
    status_code: int | None,
    error: str,
    duration_ms: int,
) -> None:
    conn.execute(
        insert(webhook_delivery).values(
            event_id=event.id,
            account_id=event.account_id,
            attempt=event.attempt,
            at=at,
            url=url,
            status_code=status_code,
            error=error[:2000],
            duration_ms=duration_ms,
        )
    )


def task_of(conn: Connection, task_id: int) -> ExportTask | None:
    """The task an event is about, whatever its family; None once it is deleted or purged."""
    row = conn.execute(select(*COLUMNS).where(export_task.c.id == task_id)).first()
    return None if row is None else from_row(row)


def deliveries(conn: Connection, account_id: int, limit: int) -> list[Delivery]:
    """The account's latest delivery attempts, newest first."""
    rows = conn.execute(
        select(
            webhook_delivery.c.event_id,
            webhook_event.c.type,
            webhook_event.c.task_id,
            webhook_delivery.c.attempt,
            webhook_delivery.c.at,
            webhook_delivery.c.url,
            webhook_delivery.c.status_code,
            webhook_delivery.c.error,
            webhook_delivery.c.duration_ms,
            webhook_event.c.status,
        )
        .select_from(
            webhook_delivery.join(webhook_event, webhook_event.c.id == webhook_delivery.c.event_id)
        )
        .where(webhook_delivery.c.account_id == account_id)
        .order_by(webhook_delivery.c.id.desc())
        .limit(limit)
    ).all()
    return [
        Delivery(
            event_id=str(r[0]),
            event_type=str(r[1]),
            task_id=int(r[2]),
            attempt=int(r[3]),
            at=int(r[4]),
            url=str(r[5]),
            status_code=None if r[6] is None else int(r[6]),
            error=str(r[7]),
            duration_ms=int(r[8]),
            event_status=str(r[9]),
        )
        for r in rows
    ]


def purge_before(conn: Connection, cutoff: int) -> None:
    """Forget events and delivery attempts older than ``cutoff`` (task retention)."""
    conn.execute(delete(webhook_delivery).where(webhook_delivery.c.at < cutoff))
    conn.execute(delete(webhook_event).where(webhook_event.c.created_at < cutoff))
