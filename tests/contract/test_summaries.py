"""The PDF usage summary through each SDK: create, list, download, delete; its own ids and list;
its figures as the PDF's text states them, against the ingested numbers."""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.contract.dataset import iso
from tests.contract.deployment import Deployment
from tests.contract.exports import POLL_SECONDS, TASK_TIMEOUT, Fetched, fetch
from tests.contract.sdk import ApiError, Body, CdnClient, TeaClient, data_items

pytestmark = pytest.mark.contract

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@dataclass(frozen=True)
class FinishedSummary:
    task_id: str
    item: Body
    download: Fetched


def find_summary(client: CdnClient, task_id: str) -> Body | None:
    for item in data_items(client.describe_summaries(page_size=50)):
        if item["TaskId"] == task_id:
            return item
    return None


def finish_summary(client: CdnClient, task_id: str) -> FinishedSummary:
    deadline = time.monotonic() + TASK_TIMEOUT
    while True:
        item = find_summary(client, task_id)
        assert item is not None, f"summary {task_id} is not listed"
        if item["Status"] != "created":
            break
        assert time.monotonic() < deadline, f"summary {task_id} still created"
        time.sleep(POLL_SECONDS)
    assert item["Status"] == "success", item
    return FinishedSummary(task_id, item, fetch(item["DownloadUrl"]))


def window(d: Deployment) -> dict[str, str]:
    return {"StartTime": iso(d.dataset.start), "EndTime": iso(d.dataset.end)}


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "summary.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


@pytest.fixture(scope="module")
def summary(alice: CdnClient, deployment: Deployment) -> FinishedSummary:
    created = alice.create_summary(
        {**window(deployment), "Language": "en-us", "TaskName": "账单 summary"}
    )
    assert isinstance(created["TaskId"], str)
    assert (created["StartTime"], created["EndTime"]) == tuple(window(deployment).values())
    return finish_summary(alice, created["TaskId"])


def test_describe_shape_as_the_sdk_models_parse_it(
    alice: CdnClient, summary: FinishedSummary, deployment: Deployment
) -> None:
    start, end = window(deployment).values()
    if isinstance(alice, TeaClient):
        body: Any = alice.describe_summaries_model(page_size=50)
        page = body.usage_data_per_page
        assert (page.page_size, page.page_number) == (50, 1)
        assert isinstance(page.total_count, int) and page.total_count >= 1
        (mine,) = (i for i in page.data.data_item if i.task_id == summary.task_id)
        assert (mine.status, mine.task_name) == ("success", "账单 summary")
        assert (mine.task_config.start_time, mine.task_config.end_time) == (start, end)
        assert ISO_UTC.match(mine.create_time) and ISO_UTC.match(mine.update_time)
        assert mine.download_url.startswith(deployment.server.download_prefix)
        return
    raw = alice.describe_summaries(page_size=50)
    page_raw = raw["UsageDataPerPage"]
    assert (page_raw["PageSize"], page_raw["PageNumber"]) == (50, 1)
    assert isinstance(page_raw["TotalCount"], int)
    (found,) = (i for i in data_items(raw) if i["TaskId"] == summary.task_id)
    assert (found["Status"], found["TaskName"]) == ("success", "账单 summary")
    assert (found["TaskConfig"]["StartTime"], found["TaskConfig"]["EndTime"]) == (start, end)
    assert found["DownloadUrl"].startswith(deployment.server.download_prefix)


def test_download_is_the_pdf_with_the_ingested_figures(
    summary: FinishedSummary, deployment: Deployment, tmp_path: Path
) -> None:
    got = summary.download
    assert got.status == 200
    assert got.headers["content-type"] == "application/pdf"
    assert got.body.startswith(b"%PDF-")
    # The tea models drop fields they do not know, such as FileSize; the legacy SDK keeps all.
    assert summary.item.get("FileSize", len(got.body)) == len(got.body)
    text = pdf_text(got.body, tmp_path)
    data = deployment.dataset
    inside = [s for s in data.samples if data.start <= s.ts < data.end]
    traffic = sum(s.traffic_bytes for s in inside)
    requests = sum(s.static_https + s.dynamic_http + s.dynamic_https for s in inside)
    overall = re.search(r"^\s*Overall\s+([0-9,]+)\s", text, re.MULTILINE)
    assert overall is not None and overall.group(1) == f"{traffic:,}"
    overall_requests = re.findall(r"^\s*Overall\s+.*\s([0-9,]+)\s*$", text, re.MULTILINE)
    assert f"{requests:,}" in overall_requests
    assert deployment.alice.name in text
    assert f"Here n = {len(data.slots):,}" in text


def test_each_family_lists_and_deletes_only_its_own(
    alice: CdnClient, summary: FinishedSummary
) -> None:
    assert all(item["TaskId"] != summary.task_id for item in data_items(alice.describe(50)))
    assert all(
        item["TaskId"].startswith("summary-")
        for item in data_items(alice.describe_summaries(page_size=50))
    )
    with pytest.raises(ApiError) as refused:
        alice.delete(summary.task_id)
    assert (refused.value.code, refused.value.http_status) == ("InvalidTaskId.Malformed", 400)
    assert find_summary(alice, summary.task_id) is not None


def test_another_account_neither_sees_nor_deletes_it(
    bob: CdnClient, alice: CdnClient, summary: FinishedSummary
) -> None:
    assert find_summary(bob, summary.task_id) is None
    with pytest.raises(ApiError) as refused:
        bob.delete_summary(summary.task_id)
    assert refused.value.code == "InvalidTaskId.Malformed"
    assert find_summary(alice, summary.task_id) is not None


def test_chinese_by_default_then_deleted_with_its_file(
    alice: CdnClient, deployment: Deployment, tmp_path: Path
) -> None:
    start = deployment.dataset.start
    params = {"StartTime": iso(start), "EndTime": iso(start + 86400)}
    done = finish_summary(alice, alice.create_summary(params)["TaskId"])
    assert done.item["TaskConfig"].get("Language", "zh-cn") == "zh-cn"
    flat = re.sub(r"\s+", "", pdf_text(done.download.body, tmp_path))
    assert "CDN用量汇总" in flat and "全部合计" in flat
    answer = alice.delete_summary(done.task_id)
    assert isinstance(answer["RequestId"], str)
    assert find_summary(alice, done.task_id) is None
    assert fetch(done.item["DownloadUrl"]).status in (403, 404)
    with pytest.raises(ApiError) as again:
        alice.delete_summary(done.task_id)
    assert (again.value.code, again.value.http_status) == ("InvalidTaskId.Malformed", 400)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"StartTime": None}, "MissingTimeParameter"),
        ({"StartTime": "yesterday"}, "InvalidStartTime.Malformed"),
        ({"EndTime": "2000-01-01T00:00:00Z"}, "InvalidTimeRange"),
        ({"Language": "fr-fr"}, "InvalidParameter"),
    ],
)
def test_create_refuses_bad_parameters(
    alice: CdnClient, deployment: Deployment, changes: dict[str, str | None], code: str
) -> None:
    merged = {**window(deployment), **changes}
    params = {name: value for name, value in merged.items() if value is not None}
    with pytest.raises(ApiError) as refused:
        alice.create_summary(params)
    assert (refused.value.code, refused.value.http_status) == (code, 400)
