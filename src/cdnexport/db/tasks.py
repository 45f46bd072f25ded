"""The task table as seen by the API: create, look up, list and delete export tasks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from cdnexport.db import rawsql
from cdnexport.db.engine import Database
from cdnexport.db.schema import account, export_task
from cdnexport.domain.task import (
    ExportTask,
    ExportType,
    FileFormat,
    Language,
    ScopeKind,
    TaskSpec,
    TaskStatus,
)

COLUMNS = (
    export_task.c.id,
    export_task.c.account_id,
    export_task.c.export_type,
    export_task.c.start_ts,
    export_task.c.end_ts,
    export_task.c.scope,
    export_task.c.domains,
    export_task.c.group_name,
    export_task.c.language,
    export_task.c.time_zone,
    export_task.c.name,
    export_task.c.status,
    export_task.c.created_at,
    export_task.c.updated_at,
    export_task.c.progress,
    export_task.c.error_message,
    export_task.c.file_key,
    export_task.c.file_size,
    export_task.c.row_count,
    export_task.c.attempts,
    export_task.c.file_format,
)


# Plain dict lookups: calling an enum class by value is several times slower, and Describe
# builds thousands of records a second.
_EXPORT_TYPES = {member.value: member for member in ExportType}
_SCOPES = {member.value: member for member in ScopeKind}
_LANGUAGES = {member.value: member for member in Language}
_STATUSES = {member.value: member for member in TaskStatus}
_FORMATS = {member.value: member for member in FileFormat}


def from_row(row: Row[Any] | Sequence[Any]) -> ExportTask:
    """Build the record from a row selected with ``COLUMNS``."""
    (tid, account_id, etype, start, end, scope, domains, group, lang, tz, name, status,
     created, updated, progress, error, key, size, rows, attempts, fmt) = tuple(row)  # fmt: skip
    spec = TaskSpec(
        export_type=_EXPORT_TYPES.get(etype) or ExportType(etype),
        start=int(start),
        end=int(end),
        scope=_SCOPES.get(scope) or ScopeKind(scope),
        domains=tuple(d for d in str(domains).split(",") if d),
        group=str(group),
        language=_LANGUAGES.get(lang) or Language(lang),
        time_zone=str(tz),
        name=str(name),
        file_format=_FORMATS.get(fmt) or FileFormat(fmt),
    )
    return ExportTask(
        id=int(tid),
        account_id=int(account_id),
        spec=spec,
        status=_STATUSES.get(status) or TaskStatus(status),
        created_at=int(created),
        updated_at=int(updated),
        progress=int(progress),
        error_message=str(error),
        file_key=str(key),
        file_size=int(size),
        row_count=int(rows),
        attempts=int(attempts),
    )


def insert_task(
    conn: Connection,
    account_id: int,
    spec: TaskSpec,
    now: int,
    client_token: str | None = None,
    params_digest: str = "",
) -> int:
    """Queue a new task; it is claimable at once."""
    result = conn.execute(
        insert(export_task).values(
            account_id=account_id,
            name=spec.name,
            export_type=spec.export_type.value,
            start_ts=spec.start,
            end_ts=spec.end,
            scope=spec.scope.value,
            domains=",".join(spec.domains),
            group_name=spec.group,
            language=spec.language.value,
            time_zone=spec.time_zone,
            file_format=spec.file_format.value,
            client_token=client_token,
            params_digest=params_digest,
            status=TaskStatus.CREATED.value,
            progress=0,
            error_message="",
            file_key="",
            file_size=0,
            row_count=0,
            created_at=now,
            updated_at=now,
            run_at=now,
            attempts=0,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def count_unfinished(conn: Connection, account_id: int) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(export_task)
            .where(
                export_task.c.account_id == account_id,
                export_task.c.status == TaskStatus.CREATED.value,
            )
        ).scalar_one()
    )


def lock_account(conn: Connection, account_id: int) -> None:
    """Hold the account's row until the transaction ends, so that Creates of one account take
    turns between counting its tasks and inserting one (PostgreSQL; SQLite's writers already
    take turns). ``FOR NO KEY UPDATE`` leaves inserts that only reference the row unblocked."""
    conn.execute(
        select(account.c.id).where(account.c.id == account_id).with_for_update(key_share=True)
    )


def by_client_token(conn: Connection, account_id: int, token: str) -> tuple[ExportTask, str] | None:
    """The task created with ``token``, with the digest of its parameters."""
    row = conn.execute(
        select(*COLUMNS, export_task.c.params_digest).where(
            export_task.c.account_id == account_id,
            export_task.c.client_token == token,
        )
    ).first()
    if row is None:
        return None
    return from_row(row[:-1]), str(row[-1])


def forget_client_token(conn: Connection, task_id: int) -> None:
    """Free a token past its idempotency window for a new task (one task per token)."""
    conn.execute(update(export_task).where(export_task.c.id == task_id).values(client_token=None))


def get_task(conn: Connection, account_id: int, task_id: int) -> ExportTask | None:
    row = conn.execute(
        select(*COLUMNS).where(export_task.c.id == task_id, export_task.c.account_id == account_id)
    ).first()
    return from_row(row) if row else None


def delete_task(conn: Connection, account_id: int, task_id: int, file_key: str) -> bool:
    """Remove the task row if its file is still ``file_key`` (the one already deleted from the
    object store); False when the row is gone or its worker stored a file meanwhile. A worker
    running it loses its fence and discards its file."""
    result = conn.execute(
        delete(export_task).where(
            export_task.c.id == task_id,
            export_task.c.account_id == account_id,
            export_task.c.file_key == file_key,
        )
    )
    return result.rowcount == 1


_NAMES = ", ".join(column.name for column in COLUMNS)
_MINE = "account_id = ? AND created_at >= ?"
# The total rides along with the page, so that both come from one statement (one snapshot).
_PAGE = (
    f"SELECT {_NAMES}, (SELECT COUNT(*) FROM export_task WHERE {_MINE}) FROM export_task "
    f"WHERE {_MINE} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
)
_TOTAL = f"SELECT COUNT(*) FROM export_task WHERE {_MINE}"


def list_page(
    db: Database, account_id: int, since: int, limit: int, offset: int
) -> tuple[int, list[ExportTask]]:
    """One page of the account's tasks created since ``since``, newest first, and the total;
    plain SQL on a pooled DB-API connection, as Describe runs it for every call."""
    mine = (account_id, since)
    with rawsql.pooled(db) as conn:
        cursor = conn.cursor()
        try:
            cursor.execute(rawsql.sql(db, _PAGE), (*mine, *mine, limit, offset))
            rows = cursor.fetchall()
            if rows:
                total = rows[0][-1]
            else:
                # A page past the end has no row to carry the total.
                cursor.execute(rawsql.sql(db, _TOTAL), mine)
                found = cursor.fetchone()
                total = found[0] if found else 0
        finally:
            cursor.close()
    return int(total), [from_row(row[:-1]) for row in rows]
