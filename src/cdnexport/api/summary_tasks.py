"""The three PDF usage-summary actions: CreateUserUsageDataExportTask, Describe… and Delete….

PDF tasks are rows of the same task table as detail exports (``kind`` summary), so the same
queue and workers run them: claimed with a lease, fenced, retried and recovered after a crash.
Each family lists and deletes only its own tasks, and PDF TaskIds (``summary-<n>``) never name
a detail task. The report covers the whole account, in the deployment's report zone.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdnexport import errors
from cdnexport.api.context import RequestContext
from cdnexport.api.params import DescribeParams, SummaryCreateParams, SummaryDeleteParams
from cdnexport.api.tasks import DeleteResult, DescribeResult, page_with_links, remove_task
from cdnexport.db import tasks
from cdnexport.domain.task import (
    ExportTask,
    ExportType,
    ScopeKind,
    TaskKind,
    TaskSpec,
    TaskStatus,
    summary_task_id,
)
from cdnexport.domain.window import format_utc


@dataclass(frozen=True, slots=True)
class SummaryCreateResult:
    task_id: str
    start: int
    end: int

    def to_wire(self) -> dict[str, object]:
        return {
            "TaskId": self.task_id,
            "StartTime": format_utc(self.start),
            "EndTime": format_utc(self.end),
        }


def create_summary(ctx: RequestContext, params: SummaryCreateParams) -> SummaryCreateResult:
    """Queue a PDF summary of the caller's whole account over the window."""
    settings = ctx.services.settings
    spec = TaskSpec(
        # The column is the detail family's; a summary covers both flow and vas figures.
        export_type=ExportType.FLOW,
        start=params.start,
        end=params.end,
        scope=ScopeKind.ACCOUNT,
        domains=(),
        group="",
        language=params.language,
        time_zone=settings.time_zone,
        name=params.name,
        kind=TaskKind.SUMMARY,
    )
    with ctx.services.db.write() as conn:
        # One quota for both families: they share the workers.
        if tasks.count_unfinished(conn, ctx.account.id) >= settings.max_unfinished_tasks:
            raise errors.QuotaExceeded(settings.max_unfinished_tasks)
        row_id = tasks.insert_task(conn, ctx.account.id, spec, ctx.now)
    return SummaryCreateResult(summary_task_id(row_id), params.start, params.end)


@dataclass(frozen=True, slots=True)
class SummaryView:
    task: ExportTask
    download_url: str
    url_expires: int

    def to_wire(self) -> dict[str, object]:
        task, spec = self.task, self.task.spec
        item: dict[str, object] = {
            "TaskId": summary_task_id(task.id),
            "TaskName": spec.name,
            "Status": task.status.value,
            "CreateTime": format_utc(task.created_at),
            "UpdateTime": format_utc(task.updated_at),
            "Progress": task.progress,
            "TaskConfig": {
                # As requested: the window is [StartTime, EndTime), as for detail tasks.
                "StartTime": format_utc(spec.start),
                "EndTime": format_utc(spec.end),
                "Language": spec.language.value,
                "TimeZone": spec.time_zone,
            },
        }
        if task.status is TaskStatus.SUCCESS:
            item["DownloadUrl"] = self.download_url
            item["UrlExpireTime"] = format_utc(self.url_expires)
            item["FileSize"] = task.file_size
        if task.status is TaskStatus.FAILED:
            item["ErrorMessage"] = task.error_message
        return item


def describe_summaries(ctx: RequestContext, params: DescribeParams) -> DescribeResult:
    """The caller's PDF tasks of the last 90 days, newest first, with fresh download links."""
    total, linked = page_with_links(ctx, params, TaskKind.SUMMARY)
    views = tuple(SummaryView(*item) for item in linked)
    return DescribeResult(params.page_size, params.page_number, total, views)


def delete_summary(ctx: RequestContext, params: SummaryDeleteParams) -> DeleteResult:
    """Remove the PDF task and its file (as the detail Delete does, file first); a running one
    stops at its next heartbeat."""
    remove_task(ctx, params.task_id, TaskKind.SUMMARY)
    return DeleteResult()
