"""The export task: its kinds, its status, and the immutable record read from the database."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ExportType(enum.StrEnum):
    FLOW = "flow"
    VAS = "vas"


class Language(enum.StrEnum):
    ZH_CN = "zh-cn"
    EN_US = "en-us"


class TaskStatus(enum.StrEnum):
    """The wire status; only a worker moves a task out of ``created``."""

    CREATED = "created"
    SUCCESS = "success"
    FAILED = "failed"


class FileFormat(enum.StrEnum):
    """The container of a detail export: the workbook, or the detail rows alone as CSV
    (optionally gzipped) or Parquet."""

    XLSX = "xlsx"
    CSV = "csv"
    CSV_GZ = "csv.gz"
    PARQUET = "parquet"


class ScopeKind(enum.StrEnum):
    ACCOUNT = "account"
    GROUP = "group"
    DOMAINS = "domains"


SLOT_SECONDS = 300


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """What a customer asked to export; times are epoch seconds, ``end`` exclusive."""

    export_type: ExportType
    start: int
    end: int
    scope: ScopeKind
    domains: tuple[str, ...]
    group: str
    language: Language
    time_zone: str
    name: str
    file_format: FileFormat = FileFormat.XLSX


@dataclass(frozen=True, slots=True)
class ExportTask:
    """One row of the task table, as handlers and workers see it."""

    id: int
    account_id: int
    spec: TaskSpec
    status: TaskStatus
    created_at: int
    updated_at: int
    progress: int
    error_message: str
    file_key: str
    file_size: int
    row_count: int
    attempts: int
