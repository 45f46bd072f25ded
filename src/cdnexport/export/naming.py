"""Names of stored exports (workbooks and PDF summaries) and of the files customers download."""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime

from cdnexport.domain.task import ExportTask, TaskKind

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _extension(task: ExportTask) -> str:
    return "pdf" if task.spec.kind is TaskKind.SUMMARY else "xlsx"


def file_key(task: ExportTask) -> str:
    """The object key of a task's file; one per task, so a re-run replaces, never adds."""
    return f"{task.account_id}/{task.id}.{_extension(task)}"


def download_filename(task: ExportTask) -> str:
    """A readable ASCII file name, e.g. ``usage-detail-flow-20240501-20240531-42.xlsx`` or
    ``usage-summary-20240501-20240531-43.pdf``."""

    def day(epoch: int) -> str:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%d")

    spec = task.spec
    family = "summary" if spec.kind is TaskKind.SUMMARY else f"detail-{spec.export_type.value}"
    return f"usage-{family}-{day(spec.start)}-{day(spec.end - 1)}-{task.id}.{_extension(task)}"


def content_type(filename: str) -> str:
    """The media type a download of ``filename`` is served with."""
    if filename.endswith(".xlsx"):
        return XLSX_TYPE
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
