from __future__ import annotations

import pytest

from cdnexport.domain.task import ExportType, Language
from cdnexport.export import layout
from cdnexport.export.writer import CellKind


@pytest.mark.parametrize(
    ("language", "names"),
    [
        (Language.ZH_CN, ["明细", "明细 (2)", "明细 (3)"]),
        (Language.EN_US, ["Detail", "Detail (2)", "Detail (3)"]),
    ],
)
def test_sheet_names_are_numbered_after_the_first(language: Language, names: list[str]) -> None:
    assert [layout.sheet_name(language, number) for number in (1, 2, 3)] == names


def test_sheet_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        layout.sheet_name(Language.ZH_CN, 0)


def test_flow_columns_in_chinese() -> None:
    columns = layout.columns(ExportType.FLOW, Language.ZH_CN, "domain", "UTC")
    assert [(c.header, c.kind) for c in columns] == [
        ("时间 (UTC)", CellKind.DATETIME),
        ("域名", CellKind.TEXT),
        ("计费区域", CellKind.TEXT),
        ("流量(Byte)", CellKind.INT),
        ("带宽(bps)", CellKind.FLOAT),
    ]


def test_vas_columns_in_english() -> None:
    columns = layout.columns(ExportType.VAS, Language.EN_US, "group", "Asia/Shanghai")
    assert [(c.header, c.kind) for c in columns] == [
        ("Time (Asia/Shanghai)", CellKind.DATETIME),
        ("Group", CellKind.TEXT),
        ("Billing Region", CellKind.TEXT),
        ("Static HTTPS Requests", CellKind.INT),
        ("Dynamic HTTP Requests", CellKind.INT),
        ("Dynamic HTTPS Requests", CellKind.INT),
    ]


def test_vas_columns_in_chinese() -> None:
    headers = [c.header for c in layout.columns(ExportType.VAS, Language.ZH_CN, "domain", "UTC")]
    assert headers[3:] == ["静态HTTPS请求数", "动态HTTP请求数", "动态HTTPS请求数"]


@pytest.mark.parametrize(
    ("label_kind", "zh", "en"),
    [("domain", "域名", "Domain"), ("account", "账号", "Account"), ("group", "分组", "Group")],
)
def test_label_column_follows_the_scope(label_kind: layout.LabelKind, zh: str, en: str) -> None:
    assert layout.columns(ExportType.FLOW, Language.ZH_CN, label_kind, "UTC")[1].header == zh
    assert layout.columns(ExportType.FLOW, Language.EN_US, label_kind, "UTC")[1].header == en


@pytest.mark.parametrize(
    ("zone", "header"),
    [
        ("UTC", "Time (UTC)"),
        ("Etc/UTC", "Time (UTC)"),
        ("Europe/Berlin", "Time (Europe/Berlin)"),
        ("America/Argentina/Buenos_Aires", "Time (America/Argentina/Buenos_Aires)"),
    ],
)
def test_time_header_names_the_zone(zone: str, header: str) -> None:
    assert layout.time_header(Language.EN_US, zone) == header


def test_every_column_is_wide_enough_for_its_header() -> None:
    zone = "America/Argentina/Buenos_Aires"
    for column in layout.columns(ExportType.VAS, Language.EN_US, "account", zone):
        assert column.width >= len(column.header)


def test_region_names_are_localized_by_id() -> None:
    assert layout.region_names(Language.ZH_CN)[0] == "中国内地"
    assert layout.region_names(Language.EN_US)[5] == "Europe"
    assert len(layout.region_names(Language.EN_US)) == 8
