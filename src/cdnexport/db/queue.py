"""The task table as a job queue: atomic claim with a lease, heartbeat, fenced completion.

Hand-written rather than a queue library because none keeps the job in the same row the API
reads, works on both SQLite and PostgreSQL, and recovers a SIGKILLed worker by itself
(measured in shared/reference/deps.md, section 1). Every write after the claim is fenced on
(id, lease_owner, attempts, status=created): a worker that lost its lease, or whose task was
deleted, changes nothing.

The three ways a task finishes (``complete``, ``fail``, ``fail_exhausted``) are also where its
webhook event is written, in the same transaction, whatever the task's kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, delete, or_, select, update

from cdnexport.db import webhooks
from cdnexport.db.schema import export_task
from cdnexport.db.tasks import COLUMNS, from_row
from cdnexport.db.webhooks import EventType
from cdnexport.domain.task import ExportTask, TaskStatus

_CREATED = TaskStatus.CREATED.value


@dataclass(frozen=True, slots=True)
class Claim:
    """A task held by one worker for one attempt."""

    task: ExportTask
    owner: str
    attempt: int


def _fence(claim: Claim) -> ColumnElement[bool]:
    return and_(
        export_task.c.id == claim.task.id,
        export_task.c.lease_owner == claim.owner,
        export_task.c.attempts == claim.attempt,
        export_task.c.status == _CREATED,
    )


def _claimable(now: int, max_attempts: int) -> ColumnElement[bool]:
    return and_(
        export_task.c.status == _CREATED,
        export_task.c.run_at <= now,
        export_task.c.attempts < max_attempts,
        or_(export_task.c.lease_expires_at.is_(None), export_task.c.lease_expires_at < now),
    )


def claim(conn: Connection, owner: str, now: int, lease: int, max_attempts: int) -> Claim | None:
    """Take the oldest claimable task, or None. One statement, so it is atomic on both engines."""
    pick = (
        select(export_task.c.id)
        .where(_claimable(now, max_attempts))
        .order_by(export_task.c.run_at, export_task.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    row = conn.execute(
        update(export_task)
        .where(export_task.c.id == pick, _claimable(now, max_attempts))
        .values(
            lease_owner=owner,
            lease_expires_at=now + lease,
            attempts=export_task.c.attempts + 1,
            progress=0,
        )
        .returning(*COLUMNS)
    ).first()
    if row is None:
        return None
    task = from_row(row)
    return Claim(task, owner, task.attempts)


def heartbeat(conn: Connection, held: Claim, now: int, lease: int, progress: int) -> bool:
    """Extend the lease and record progress; False when the task is no longer ours."""
    result = conn.execute(
        update(export_task)
        .where(_fence(held))
        .values(lease_expires_at=now + lease, progress=progress, updated_at=now)
    )
    return result.rowcount == 1


def complete(
    conn: Connection, held: Claim, now: int, file_key: str, file_size: int, row_count: int
) -> bool:
    """Mark success; False when the task was deleted or re-claimed meanwhile."""
    result = conn.execute(
        update(export_task)
        .where(_fence(held))
        .values(
            status=TaskStatus.SUCCESS.value,
            progress=100,
            file_key=file_key,
            file_size=file_size,
            row_count=row_count,
            error_message="",
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
    )
    if result.rowcount != 1:
        return False
    webhooks.record_finish(conn, held.task.id, EventType.SUCCEEDED, now)
    return True


def fail(conn: Connection, held: Claim, now: int, message: str) -> bool:
    """Mark failure for good."""
    result = conn.execute(
        update(export_task)
        .where(_fence(held))
        .values(
            status=TaskStatus.FAILED.value,
            error_message=message[:2000],
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
    )
    if result.rowcount != 1:
        return False
    webhooks.record_finish(conn, held.task.id, EventType.FAILED, now)
    return True


def retry_later(conn: Connection, held: Claim, now: int, run_at: int, message: str) -> bool:
    """Give the task back, to be claimed again from ``run_at``."""
    result = conn.execute(
        update(export_task)
        .where(_fence(held))
        .values(
            run_at=run_at,
            error_message=message[:2000],
            lease_owner=None,
            lease_expires_at=None,
            progress=0,
            updated_at=now,
        )
    )
    return result.rowcount == 1


def release(conn: Connection, held: Claim, now: int) -> bool:
    """Give the task back at once without counting the attempt (graceful shutdown)."""
    result = conn.execute(
        update(export_task)
        .where(_fence(held))
        .values(
            attempts=export_task.c.attempts - 1,
            lease_owner=None,
            lease_expires_at=None,
            progress=0,
            run_at=now,
            updated_at=now,
        )
    )
    return result.rowcount == 1


def live_attempts(conn: Connection, task_ids: set[int], now: int) -> dict[int, int]:
    """Of ``task_ids``, those an attempt holds with a lease not yet run out: id -> attempt."""
    if not task_ids:
        return {}
    rows = conn.execute(
        select(export_task.c.id, export_task.c.attempts).where(
            export_task.c.id.in_(sorted(task_ids)),
            export_task.c.status == _CREATED,
            export_task.c.lease_owner.is_not(None),
            export_task.c.lease_expires_at >= now,
        )
    )
    return {int(task_id): int(attempt) for task_id, attempt in rows}


def still_held(conn: Connection, held: Claim) -> bool:
    return conn.execute(select(export_task.c.id).where(_fence(held))).first() is not None


def fail_exhausted(conn: Connection, now: int, max_attempts: int) -> int:
    """Fail tasks whose last allowed attempt died (its lease ran out); returns how many."""
    failed = conn.execute(
        update(export_task)
        .where(
            export_task.c.status == _CREATED,
            export_task.c.attempts >= max_attempts,
            or_(export_task.c.lease_expires_at.is_(None), export_task.c.lease_expires_at < now),
        )
        .values(
            status=TaskStatus.FAILED.value,
            error_message="The export was interrupted too many times.",
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
        .returning(export_task.c.id)
    ).all()
    for (task_id,) in failed:
        webhooks.record_finish(conn, int(task_id), EventType.FAILED, now)
    return len(failed)


def purge_before(conn: Connection, cutoff: int) -> list[str]:
    """The file keys of tasks created before ``cutoff``: delete them, then ``purge_rows``."""
    old = export_task.c.created_at < cutoff
    keys = conn.execute(select(export_task.c.file_key).where(old, export_task.c.file_key != ""))
    return [str(k) for k in keys.scalars()]


def purge_rows(conn: Connection, cutoff: int, keys: list[str]) -> int:
    """Delete tasks created before ``cutoff`` whose file is one of ``keys`` (already deleted)
    or who have none; returns how many."""
    result = conn.execute(
        delete(export_task).where(
            export_task.c.created_at < cutoff,
            or_(export_task.c.file_key == "", export_task.c.file_key.in_(keys)),
        )
    )
    return int(result.rowcount)
