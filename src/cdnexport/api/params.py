"""Parsing of the wire parameters of the export-task actions into typed values."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cdnexport import errors
from cdnexport.domain.task import ExportType, Language
from cdnexport.domain.window import validate_window

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
            group=raw.get("Group", "").strip(),
            language=language,
            name=name,
            time_zone=_parse_zone(raw.get("TimeZone")),
            client_token=_parse_token(raw.get("ClientToken")),
        )


def _parse_domains(text: str) -> tuple[str, ...]:
    names: list[str] = []
    for part in text.split(","):
        name = part.strip().lower()
        if name and name not in names:
            names.append(name)
    if len(names) > MAX_DOMAINS:
        raise errors.DomainOverLimit(MAX_DOMAINS)
    for name in names:
        if not _DOMAIN.match(name):
            # A syntactically impossible name cannot be owned by anyone.
            raise errors.IllegalOperation()
    return tuple(names)


def _parse_zone(text: str | None) -> str | None:
    if not text:
        return None
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise errors.InvalidParameter("TimeZone", "It must be an IANA time zone name.") from None
    return text


def _parse_token(text: str | None) -> str | None:
    if text is None or text == "":
        return None
    if not _TOKEN.match(text):
        raise errors.InvalidParameter("ClientToken", "At most 64 printable ASCII characters.")
    return text


@dataclass(frozen=True, slots=True)
class DescribeParams:
    page_size: int
    page_number: int

    @classmethod
    def from_wire(cls, raw: Mapping[str, str]) -> DescribeParams:
        return _describe_params(raw.get("PageSize"), raw.get("PageNumber"))


# Clients poll with the same few pages; the answer for each is made once.
@functools.lru_cache(maxsize=256)
def _describe_params(size_text: str | None, number_text: str | None) -> DescribeParams:
    size = _bounded_int(size_text, 20, 1, 50)
    if size is None:
        raise errors.InvalidPageSize()
    number = _bounded_int(number_text, 1, 1, 100_000)
    if number is None:
        raise errors.InvalidPageNumber()
    return DescribeParams(size, number)


def _bounded_int(text: str | None, default: int, low: int, high: int) -> int | None:
    if text is None or text == "":
        return default
    if not text.strip().isdigit():
        return None
    value = int(text.strip())
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
        if not text.isdigit() or len(text) > 18:
            raise errors.InvalidTaskId()
        return cls(int(text))
