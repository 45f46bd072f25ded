"""Names of stored exports and of the files customers download."""

from __future__ import annotations

from datetime import UTC, datetime

from cdnexport.domain.task import ExportTask
from cdnexport.export.formats import extension


def file_key(task: ExportTask) -> str:
    """The object key of a task's file; one per task, so a re-run replaces, never adds."""
    return f"{task.account_id}/{task.id}.{extension(task.spec.file_format)}"


def download_filename(task: ExportTask) -> str:
    """A readable ASCII file name, e.g. ``usage-detail-flow-20240501-20240531-42.xlsx``, with
    the extension of the task's ``FileFormat``."""

    def day(epoch: int) -> str:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%d")

    spec = task.spec
    return (
        f"usage-detail-{spec.export_type.value}-{day(spec.start)}-{day(spec.end - 1)}-"
        f"{task.id}.{extension(spec.file_format)}"
    )
