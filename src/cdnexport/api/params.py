"""Parsing of the wire parameters of the export-task actions into typed values."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cdnexport import errors
from cdnexport.domain.task import ExportType, FileFormat, Language
from cdnexport.domain.window import validate_window
from cdnexport.domain.zones import is_zone_name

MAX_DOMAINS = 100
MAX_TASK_NAME = 256
_LANGUAGES = {
    "zh-cn": Language.ZH_CN,
    "zh": Language.ZH_CN,
    "cn": Language.ZH_CN,
    "en-us": Language.EN_US,
    "en": Language.EN_US,
}
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9-]{1,63}$"
)
_TOKEN = re.compile(r"^[\x21-\x7e]{1,64}$")
# ASCII only: str.isdigit() also accepts "²" and other digits int() refuses. 18 digits at most,
# so every value fits a 64-bit integer.
_DIGITS = re.compile(r"[0-9]{1,18}")
MAX_GROUP_NAME = 256


@dataclass(frozen=True, slots=True)
class CreateParams:
    export_type: ExportType
    start: int
    end: int
    domains: tuple[str, ...]
    group: str
    language: Language
    name: str
    time_zone: str | None
    client_token: str | None
    file_format: FileFormat = FileFormat.XLSX

    @classmethod
    def from_wire(cls, raw: Mapping[str, str], now: int) -> CreateParams:
        type_text = raw.get("Type")
        if not type_text:
            raise errors.MissingParameter("Type")
        try:
            export_type = ExportType(type_text.strip().lower())
        except ValueError:
            raise errors.InvalidParameter("Type", "It must be flow or vas.") from None
        start, end = validate_window(raw.get("StartTime"), raw.get("EndTime"), now)
        lang_text = (raw.get("Language") or "zh-cn").strip().lower()
        language = _LANGUAGES.get(lang_text)
        if language is None:
            raise errors.InvalidParameter("Language", "It must be zh-cn or en-us.")
        name = raw.get("TaskName", "")
        if len(name) > MAX_TASK_NAME:
            raise errors.InvalidParameter("TaskName", f"At most {MAX_TASK_NAME} characters.")
        return cls(
            export_type=export_type,
            start=start,
            end=end,
            domains=_parse_domains(raw.get("DomainNames", "")),
            group=_parse_group(raw.get("Group", "")),
            language=language,
            name=name,
            time_zone=_parse_zone(raw.get("TimeZone")),
            client_token=_parse_token(raw.get("ClientToken")),
            file_format=_parse_format(raw.get("FileFormat")),
        )


def _parse_domains(text: str) -> tuple[str, ...]:
    # A syntactically impossible name cannot be owned by anyone.
    return parse_domain_list(text, MAX_DOMAINS, errors.IllegalOperation)


def parse_domain_list(
    text: str, limit: int, malformed: Callable[[], errors.ServiceError]
) -> tuple[str, ...]:
    """The distinct lower-cased names of a comma list, in order; more than ``limit`` stop the
    reading at once (DomainOverLimit), a name no domain can have raises ``malformed()``."""
    names: dict[str, None] = {}
    for part in text.split(","):
        name = part.strip().lower()
        if name:
            names[name] = None
            if len(names) > limit:
                raise errors.DomainOverLimit(limit)
    for name in names:
        if not _DOMAIN.match(name):
            raise malformed()
    return tuple(names)


def _parse_group(text: str) -> str:
    name = text.strip()
    if len(name) > MAX_GROUP_NAME:
        raise errors.InvalidParameter("Group", "No such domain group.")
    return name


def _parse_zone(text: str | None) -> str | None:
    if not text:
        return None
    if not is_zone_name(text):
        raise errors.InvalidParameter("TimeZone", "It must be an IANA time zone name.")
    return text


_FORMATS = {member.value: member for member in FileFormat}


def _parse_format(text: str | None) -> FileFormat:
    """``FileFormat``, an extension of ours: absent or empty means the workbook."""
    if text is None or text.strip() == "":
        return FileFormat.XLSX
    found = _FORMATS.get(text.strip().lower())
    if found is None:
        raise errors.InvalidParameter("FileFormat", "It must be xlsx, csv, csv.gz or parquet.")
    return found


def _parse_token(text: str | None) -> str | None:
    if text is None or text == "":
        return None
    if not _TOKEN.fullmatch(text):
        raise errors.InvalidParameter("ClientToken", "At most 64 printable ASCII characters.")
    return text


@dataclass(frozen=True, slots=True)
class DescribeParams:
    page_size: int
    page_number: int

    @classmethod
    def from_wire(cls, raw: Mapping[str, str]) -> DescribeParams:
        size = bounded_int(raw.get("PageSize"), 20, 1, 50)
        if size is None:
            raise errors.InvalidPageSize()
        number = bounded_int(raw.get("PageNumber"), 1, 1, 100_000)
        if number is None:
            raise errors.InvalidPageNumber()
        return cls(size, number)


def bounded_int(text: str | None, default: int, low: int, high: int) -> int | None:
    """A whole number in [low, high] written in ASCII digits; None for anything else."""
    if text is None or text == "":
        return default
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


@dataclass(frozen=True, slots=True)
class DeleteParams:
    task_id: int

    @classmethod
    def from_wire(cls, raw: Mapping[str, str]) -> DeleteParams:
        text = raw.get("TaskId")
        if not text:
            raise errors.MissingParameter("TaskId")
        text = text.strip()
        if not _DIGITS.fullmatch(text):
            raise errors.InvalidTaskId()
        return cls(int(text))
