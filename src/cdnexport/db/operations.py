"""What the operators' console reads and does beyond accounts: usage freshness and the queue."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, or_, select, update

from cdnexport.db.schema import account, domain, export_task, usage_sample
from cdnexport.db.tasks import COLUMNS, from_row
from cdnexport.domain.task import ExportTask, TaskStatus

_CREATED = TaskStatus.CREATED.value
QUEUE_ROWS = 200


@dataclass(frozen=True, slots=True)
class Freshness:
    account: str
    domain: str
    #: Newest sample time (epoch seconds), or None when the domain has none.
    newest: int | None
    #: Samples (all regions) with a time in the last day.
    last_day: int


def freshness(conn: Connection, now: int) -> list[Freshness]:
    """Every domain's newest sample and its samples of the last 24 hours, by account and name."""
    newest = (
        select(usage_sample.c.domain_id, func.max(usage_sample.c.ts).label("newest"))
        .group_by(usage_sample.c.domain_id)
        .subquery()
    )
    recent = (
        select(usage_sample.c.domain_id, func.count().label("n"))
        .where(usage_sample.c.ts >= now - 86400)
        .group_by(usage_sample.c.domain_id)
        .subquery()
    )
    rows = conn.execute(
        select(account.c.name, domain.c.name, newest.c.newest, func.coalesce(recent.c.n, 0))
        .select_from(domain)
        .join(account, account.c.id == domain.c.account_id)
        .outerjoin(newest, newest.c.domain_id == domain.c.id)
        .outerjoin(recent, recent.c.domain_id == domain.c.id)
        .order_by(account.c.name, domain.c.name)
    ).all()
    return [Freshness(str(a), str(d), None if n is None else int(n), int(c)) for a, d, n, c in rows]


@dataclass(frozen=True, slots=True)
class QueuedTask:
    task: ExportTask
    account: str
    #: The worker holding a live lease, or "" while waiting.
    worker: str


@dataclass(frozen=True, slots=True)
class QueueView:
    waiting: list[QueuedTask]
    running: list[QueuedTask]
    failed: list[QueuedTask]


def queue(conn: Connection, now: int) -> QueueView:
    """Unfinished tasks (split by whether a live lease holds them) and the latest failures."""
    live = and_(export_task.c.lease_owner.is_not(None), export_task.c.lease_expires_at >= now)
    base = select(*COLUMNS, account.c.name, export_task.c.lease_owner).join(
        account, account.c.id == export_task.c.account_id
    )
    unfinished = conn.execute(
        base.where(export_task.c.status == _CREATED)
        .order_by(export_task.c.run_at, export_task.c.id)
        .limit(QUEUE_ROWS)
    ).all()
    failed = conn.execute(
        base.where(export_task.c.status == TaskStatus.FAILED.value)
        .order_by(export_task.c.updated_at.desc(), export_task.c.id.desc())
        .limit(QUEUE_ROWS)
    ).all()
    view = QueueView([], [], [])
    holders = {
        int(tid): str(owner)
        for tid, owner in conn.execute(
            select(export_task.c.id, export_task.c.lease_owner).where(
                export_task.c.status == _CREATED, live
            )
        ).all()
    }
    for row in unfinished:
        task = from_row(row[: len(COLUMNS)])
        owner = holders.get(task.id, "")
        item = QueuedTask(task, str(row[len(COLUMNS)]), owner)
        (view.running if owner else view.waiting).append(item)
    view.failed.extend(
        QueuedTask(from_row(row[: len(COLUMNS)]), str(row[len(COLUMNS)]), "") for row in failed
    )
    return view


def retry_failed(conn: Connection, task_id: int, now: int) -> bool:
    """Put a failed task back in the queue with a fresh set of attempts; False when it is not
    (or no longer) failed."""
    result = conn.execute(
        update(export_task)
        .where(
            export_task.c.id == task_id,
            export_task.c.status == TaskStatus.FAILED.value,
            or_(export_task.c.lease_owner.is_(None), export_task.c.lease_expires_at < now),
        )
        .values(
            status=_CREATED,
            attempts=0,
            progress=0,
            error_message="",
            run_at=now,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
    )
    return result.rowcount == 1
