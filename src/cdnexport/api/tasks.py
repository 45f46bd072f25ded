"""The three usage-detail export actions: create, describe (list) and delete."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.exc import IntegrityError

from cdnexport import errors
from cdnexport.api.context import RequestContext
from cdnexport.api.params import CreateParams, DeleteParams, DescribeParams
from cdnexport.db import accounts, tasks
from cdnexport.domain.task import (
    ExportTask,
    FileFormat,
    ScopeKind,
    TaskKind,
    TaskSpec,
    TaskStatus,
)
from cdnexport.domain.window import format_utc
from cdnexport.export.naming import download_filename

IDEMPOTENCY_SECONDS = 86400
LIST_DAYS = 90
#: Rounds of Delete: a second one is needed when the export stored its file meanwhile.
_DELETE_ROUNDS = 3


@dataclass(frozen=True, slots=True)
class CreateResult:
    task_id: int
    start: int
    end: int

    def to_wire(self) -> dict[str, object]:
        return {
            "TaskId": str(self.task_id),
            "StartTime": format_utc(self.start),
            "EndTime": format_utc(self.end),
        }


def _digest(params: CreateParams) -> str:
    fields = {
        "type": params.export_type.value,
        "start": params.start,
        "end": params.end,
        "domains": list(params.domains),
        "group": params.group,
        "language": params.language.value,
        "name": params.name,
        "tz": params.time_zone,
    }
    if params.file_format is not FileFormat.XLSX:
        # Only when chosen, so the digests of tasks made before FileFormat existed still match.
        fields["format"] = params.file_format.value
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def create_task(ctx: RequestContext, params: CreateParams) -> CreateResult:
    """Validate the scope against what the caller owns and queue the export."""
    digest = _digest(params)
    try:
        return _create(ctx, params, digest)
    except IntegrityError:
        # A concurrent Create with the same ClientToken committed first (the unique index
        # refused this one's row): answer its task.
        if not params.client_token:
            raise
        with ctx.services.db.read() as conn:
            found = tasks.by_client_token(conn, ctx.account.id, params.client_token)
        if found is None:
            raise
        return _same_task(found, digest)


def _same_task(found: tuple[ExportTask, str], digest: str) -> CreateResult:
    task, old_digest = found
    if old_digest != digest:
        raise errors.IdempotentParameterMismatch()
    return CreateResult(task.id, task.spec.start, task.spec.end)


def _create(ctx: RequestContext, params: CreateParams, digest: str) -> CreateResult:
    account_id = ctx.account.id
    settings = ctx.services.settings
    with ctx.services.db.write() as conn:
        # Creates of one account take turns from here to the commit: the quota count and the
        # ClientToken look-up stay true until this task is inserted.
        tasks.lock_account(conn, account_id)
        if params.client_token:
            found = tasks.by_client_token(conn, account_id, params.client_token)
            if found is not None and found[0].created_at >= ctx.now - IDEMPOTENCY_SECONDS:
                return _same_task(found, digest)
            if found is not None:
                tasks.forget_client_token(conn, found[0].id)
        domains: tuple[str, ...] = ()
        if params.group:
            scope = ScopeKind.GROUP
            if accounts.group_domains(conn, account_id, params.group) is None:
                raise errors.InvalidParameter("Group", "No such domain group.")
        elif params.domains:
            scope, domains = ScopeKind.DOMAINS, params.domains
            if accounts.domain_ids(conn, account_id, params.domains) is None:
                raise errors.IllegalOperation()
        else:
            scope = ScopeKind.ACCOUNT
        if tasks.count_unfinished(conn, account_id) >= settings.max_unfinished_tasks:
            raise errors.QuotaExceeded(settings.max_unfinished_tasks)
        spec = TaskSpec(
            export_type=params.export_type,
            start=params.start,
            end=params.end,
            scope=scope,
            domains=domains,
            group=params.group,
            language=params.language,
            time_zone=params.time_zone or settings.time_zone,
            name=params.name,
            file_format=params.file_format,
        )
        task_id = tasks.insert_task(conn, account_id, spec, ctx.now, params.client_token, digest)
    return CreateResult(task_id, params.start, params.end)


@dataclass(frozen=True, slots=True)
class TaskView:
    task: ExportTask
    download_url: str
    url_expires: int

    def to_wire(self) -> dict[str, object]:
        task, spec = self.task, self.task.spec
        config: dict[str, object] = {
            "StartTime": format_utc(spec.start),
            "EndTime": format_utc(spec.end),
            "Type": spec.export_type.value,
            "Language": spec.language.value,
            "TimeZone": spec.time_zone,
            "FileFormat": spec.file_format.value,
        }
        if spec.domains:
            config["DomainNames"] = ",".join(spec.domains)
        if spec.group:
            config["Group"] = spec.group
        item: dict[str, object] = {
            "TaskId": str(task.id),
            "TaskName": spec.name,
            "Status": task.status.value,
            "CreateTime": format_utc(task.created_at),
            "UpdateTime": format_utc(task.updated_at),
            "Progress": task.progress,
            "TaskConfig": config,
        }
        if task.status is TaskStatus.SUCCESS:
            item["DownloadUrl"] = self.download_url
            item["UrlExpireTime"] = format_utc(self.url_expires)
            item["FileSize"] = task.file_size
            item["RowCount"] = task.row_count
        if task.status is TaskStatus.FAILED:
            item["ErrorMessage"] = task.error_message
        return item


class TaskItem(Protocol):
    """A listed task as one family's Describe shows it."""

    @property
    def task(self) -> ExportTask: ...

    def to_wire(self) -> dict[str, object]: ...


@dataclass(frozen=True, slots=True)
class DescribeResult:
    """One page of either family's list; the items render themselves."""

    page_size: int
    page_number: int
    total: int
    items: tuple[TaskItem, ...]

    def to_wire(self) -> dict[str, object]:
        return {
            "UsageDataPerPage": {
                "PageSize": self.page_size,
                "PageNumber": self.page_number,
                "TotalCount": self.total,
                "Data": {"DataItem": [view.to_wire() for view in self.items]},
            }
        }


def page_with_links(
    ctx: RequestContext, params: DescribeParams, kind: TaskKind
) -> tuple[int, list[tuple[ExportTask, str, int]]]:
    """The caller's tasks of one family of the last 90 days, newest first: each with a fresh
    download link and its expiry when it succeeded ("" and 0 otherwise), and the total."""
    now = ctx.now
    offset = (params.page_number - 1) * params.page_size
    total, page = tasks.list_page(
        ctx.services.db, ctx.account.id, now - LIST_DAYS * 86400, params.page_size, offset, kind
    )
    ttl = ctx.services.settings.download_ttl_seconds
    linked = []
    for task in page:
        url, expires = "", 0
        if task.status is TaskStatus.SUCCESS and task.file_key:
            url, expires = ctx.services.store.download_url(
                task.file_key, download_filename(task), now, ttl
            )
        linked.append((task, url, expires))
    return total, linked


def describe_tasks(ctx: RequestContext, params: DescribeParams) -> DescribeResult:
    """The caller's detail tasks of the last 90 days, newest first, with fresh download links."""
    total, linked = page_with_links(ctx, params, TaskKind.DETAIL)
    views = tuple(TaskView(*item) for item in linked)
    return DescribeResult(params.page_size, params.page_number, total, views)


@dataclass(frozen=True, slots=True)
class DeleteResult:
    """Delete of either family answers the RequestId alone."""

    def to_wire(self) -> dict[str, object]:
        return {}


def delete_task(ctx: RequestContext, params: DeleteParams) -> DeleteResult:
    """Remove the task and its file; a running export stops at its next heartbeat."""
    remove_task(ctx, params.task_id, TaskKind.DETAIL)
    return DeleteResult()


def remove_task(ctx: RequestContext, task_id: int, kind: TaskKind) -> None:
    """Remove a task of family ``kind`` and its file (``InvalidTaskId`` when the caller has
    none with that id).

    The file goes first and the row after, so that an object store that cannot be reached
    answers ServiceUnavailable with the task (and the way to its file) still there. A file
    stored while this ran (the export finished meanwhile) is deleted in a second round.
    """
    db, store = ctx.services.db, ctx.services.store
    for _ in range(_DELETE_ROUNDS):
        with db.read() as conn:
            task = tasks.get_task(conn, ctx.account.id, task_id, kind)
        if task is None:
            raise errors.InvalidTaskId()
        if task.file_key:
            store.delete(task.file_key)
        with db.write() as conn:
            if tasks.delete_task(conn, ctx.account.id, task.id, task.file_key):
                return
    raise errors.ServiceUnavailable()
