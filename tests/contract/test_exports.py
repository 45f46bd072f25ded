"""Exports made through each SDK hold exactly the ingested numbers, and their links are guarded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from tests.contract.dataset import (
    FLOW_METRICS,
    REGION_NAMES,
    SLOT,
    VAS_METRICS,
    Key,
    iso,
)
from tests.contract.deployment import Deployment
from tests.contract.exports import FinishedExport, Sheet, create_task, epoch, fetch, finish
from tests.contract.sdk import CdnClient

pytestmark = pytest.mark.contract

FLOW_ZH = ("时间 (UTC)", "域名", "计费区域", "流量(Byte)", "带宽(bps)")
VAS_EN = (
    "Time (UTC)",
    "Domain",
    "Billing Region",
    "Static HTTPS Requests",
    "Dynamic HTTP Requests",
    "Dynamic HTTPS Requests",
)
FLOW_EN_ACCOUNT = ("Time (UTC)", "Account", "Billing Region", "Traffic (Byte)", "Bandwidth (bps)")
#: The sheets around the detail: summary and notes first, chart data last.
REPORT_SHEETS = {"zh-cn": ("汇总", "说明", "图表数据"), "en-us": ("Summary", "Notes", "Chart Data")}


@dataclass(frozen=True)
class Case:
    """One export request and the workbook it must produce."""

    params: dict[str, str]
    sheet: str
    header: tuple[str, ...]
    language: str
    expected: dict[Key, list[tuple[int, ...]]]

    @property
    def flow(self) -> bool:
        return self.params["Type"] == "flow"


def cases(d: Deployment) -> dict[str, Case]:
    data = d.dataset
    window = {"StartTime": iso(data.start), "EndTime": iso(data.end)}
    mine = (d.domain_a, d.domain_b, d.domain_c)
    return {
        "domains": Case(
            {"Type": "flow", **window, "DomainNames": ",".join(mine), "Language": "zh-cn"},
            "明细",
            FLOW_ZH,
            "zh-cn",
            data.expected(FLOW_METRICS, mine),
        ),
        "group": Case(
            {"Type": "vas", **window, "Group": d.group, "Language": "en-us", "TaskName": "组 vas"},
            "Detail",
            VAS_EN,
            "en-us",
            data.expected(VAS_METRICS, (d.domain_a, d.domain_b)),
        ),
        "account": Case(
            {"Type": "flow", **window, "Language": "en-us"},
            "Detail",
            FLOW_EN_ACCOUNT,
            "en-us",
            data.expected(FLOW_METRICS, mine, account_label=d.alice.name),
        ),
    }


@pytest.fixture(scope="module")
def exports(alice: CdnClient, deployment: Deployment) -> dict[str, tuple[Case, FinishedExport]]:
    """Every case exported once per SDK mode; all are queued before the first is awaited."""
    planned = cases(deployment)
    ids = {name: create_task(alice, case.params) for name, case in planned.items()}
    return {name: (planned[name], finish(alice, ids[name])) for name in planned}


def detail_sheet(export: FinishedExport, name: str) -> Sheet:
    return next(sheet for sheet in export.sheets if sheet.name == name)


def series_of(sheet: Sheet) -> dict[tuple[str, str], list[tuple[Any, ...]]]:
    """Rows grouped by (label, region name), in the order they first appear."""
    grouped: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for row in sheet.rows:
        grouped.setdefault((str(row[1]), str(row[2])), []).append(row)
    return grouped


def check_workbook(case: Case, export: FinishedExport, slots: list[int]) -> None:
    summary, notes, chart = REPORT_SHEETS[case.language]
    assert [s.name for s in export.sheets] == [summary, notes, case.sheet, chart]
    sheet = detail_sheet(export, case.sheet)
    assert sheet.header == case.header
    names = REGION_NAMES[case.language]
    grouped = series_of(sheet)
    assert list(grouped) == [(label, names[region]) for label, region in case.expected]
    for (label, region), values in case.expected.items():
        rows = grouped[(label, names[region])]
        # Zero-filled: one row for every 5-minute slot of the window, in time order.
        assert [epoch(r[0]) for r in rows] == slots, (label, region)
        width = len(values[0])
        totals = [sum(r[3 + i] for r in rows) for i in range(width)]
        assert totals == [sum(v[i] for v in values) for i in range(width)], (label, region)
        assert [tuple(r[3 : 3 + width]) for r in rows] == values, (label, region)
        if case.flow:
            bandwidth = [v[0] * 8 / SLOT for v in values]
            assert [r[4] for r in rows] == pytest.approx(bandwidth, rel=1e-9, abs=0)


@pytest.mark.parametrize("name", ["domains", "group", "account"])
def test_workbook_holds_exactly_the_ingested_usage(
    exports: dict[str, tuple[Case, FinishedExport]], deployment: Deployment, name: str
) -> None:
    case, export = exports[name]
    assert export.item["TaskConfig"]["StartTime"] == case.params["StartTime"]
    assert export.item["TaskConfig"]["EndTime"] == case.params["EndTime"]
    check_workbook(case, export, deployment.dataset.slots)


def test_account_export_is_the_sum_of_its_domains(
    exports: dict[str, tuple[Case, FinishedExport]], deployment: Deployment
) -> None:
    per_domain = series_of(detail_sheet(exports["domains"][1], "明细"))
    per_account = series_of(detail_sheet(exports["account"][1], "Detail"))
    zh, en = REGION_NAMES["zh-cn"], REGION_NAMES["en-us"]
    for code in ("CN", "AP1", "NA"):
        summed = sum(
            int(row[3])
            for (_, region), rows in per_domain.items()
            if region == zh[code]
            for row in rows
        )
        assert summed > 0, code
        account_rows = per_account[(deployment.alice.name, en[code])]
        assert sum(int(row[3]) for row in account_rows) == summed, code


def test_download_is_an_xlsx_attachment(
    exports: dict[str, tuple[Case, FinishedExport]],
) -> None:
    for _, export in exports.values():
        assert export.download.status == 200
        disposition = export.download.headers["content-disposition"]
        assert re.fullmatch(r'attachment; filename="[\w.-]+\.xlsx"', disposition), disposition
        assert export.download.body.startswith(b"PK")


def test_tampered_download_link_is_forbidden(
    exports: dict[str, tuple[Case, FinishedExport]],
) -> None:
    url = exports["domains"][1].item["DownloadUrl"]
    head, signature = url.split("Signature=")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    assert fetch(f"{head}Signature={flipped}").status == 403
    assert fetch(url).status == 200
