"""Names of stored exports (detail files and PDF summaries) and of the files customers
download."""

from __future__ import annotations

from datetime import UTC, datetime

from cdnexport.domain.task import ExportTask, TaskKind
from cdnexport.export.formats import extension


def file_extension(task: ExportTask) -> str:
    """The extension of the task's file, without the dot: ``pdf`` or its ``FileFormat``'s."""
    if task.spec.kind is TaskKind.SUMMARY:
        return "pdf"
    return extension(task.spec.file_format)


def file_key(task: ExportTask) -> str:
    """The object key of a task's file; one per task, so a re-run replaces, never adds."""
    return f"{task.account_id}/{task.id}.{file_extension(task)}"


def download_filename(task: ExportTask) -> str:
    """A readable ASCII file name, e.g. ``usage-detail-flow-20240501-20240531-42.xlsx`` (with
    the extension of the task's ``FileFormat``) or ``usage-summary-20240501-20240531-43.pdf``."""

    def day(epoch: int) -> str:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%d")

    spec = task.spec
    family = "summary" if spec.kind is TaskKind.SUMMARY else f"detail-{spec.export_type.value}"
    return f"usage-{family}-{day(spec.start)}-{day(spec.end - 1)}-{task.id}.{file_extension(task)}"
