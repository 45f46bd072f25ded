"""What a workbook is built from besides its usage: the task's window, type and words, and the
facts its summary sheet states."""

from __future__ import annotations

from dataclasses import dataclass

from cdnexport.domain.task import ExportType, Language, ScopeKind
from cdnexport.export.layout import LabelKind


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """What the summary sheet states about the task besides its usage."""

    account: str
    scope: ScopeKind
    #: The group's name, or the domains asked for; empty for a whole-account export.
    scope_names: tuple[str, ...]
    #: When the workbook was made, epoch seconds.
    generated_at: int
    #: The newest sample of any domain in scope, epoch seconds; None when there is none.
    watermark: int | None


@dataclass(frozen=True)
class WorkbookPlan:
    """``facts`` None builds the detail sheets only (as benchmarks of the detail path do)."""

    export_type: ExportType
    language: Language
    time_zone: str
    start: int
    end: int
    label_kind: LabelKind
    facts: ReportFacts | None = None
