"""Describe and Delete through each SDK: the answer's shape as the SDK models parse it, paging,
and that an account sees and deletes only its own tasks."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.contract.dataset import iso
from tests.contract.deployment import Deployment
from tests.contract.exports import FinishedExport, create_task, fetch, find_task, finish
from tests.contract.sdk import ApiError, CdnClient, TeaClient, data_items

pytestmark = pytest.mark.contract

TASK_NAME = "用量 export *~ 1"
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def small_export(d: Deployment, domain: str, **extra: str) -> dict[str, str]:
    """One hour of the data window: quick to export."""
    start = d.dataset.start + 3600
    window = {"StartTime": iso(start), "EndTime": iso(start + 3600)}
    return {"Type": "flow", **window, "DomainNames": domain, **extra}


@pytest.fixture(scope="module")
def listed(alice: CdnClient, deployment: Deployment) -> FinishedExport:
    params = small_export(deployment, deployment.domain_a, TaskName=TASK_NAME)
    return finish(alice, create_task(alice, params))


def test_describe_shape_as_the_sdk_models_parse_it(
    alice: CdnClient, listed: FinishedExport, deployment: Deployment
) -> None:
    start = iso(deployment.dataset.start + 3600)
    if isinstance(alice, TeaClient):
        body: Any = alice.describe_model(page_size=50)
        page = body.usage_data_per_page
        assert isinstance(body.request_id, str) and body.request_id
        assert (page.page_size, page.page_number) == (50, 1)
        assert isinstance(page.total_count, int) and page.total_count >= 1
        items = page.data.data_item
        assert isinstance(items, list)
        assert all(isinstance(item.task_id, str) for item in items)
        (mine,) = (item for item in items if item.task_id == listed.task_id)
        assert (mine.status, mine.task_name) == ("success", TASK_NAME)
        assert mine.task_config.start_time == start
        assert ISO_UTC.match(mine.create_time) and ISO_UTC.match(mine.update_time)
        assert mine.download_url.startswith(deployment.server.download_prefix)
        return
    # The legacy SDK hands back the JSON text itself; its types are the contract.
    raw = alice.describe(page_size=50)
    page_raw = raw["UsageDataPerPage"]
    assert isinstance(raw["RequestId"], str) and raw["RequestId"]
    assert (page_raw["PageSize"], page_raw["PageNumber"]) == (50, 1)
    assert isinstance(page_raw["TotalCount"], int) and page_raw["TotalCount"] >= 1
    assert isinstance(page_raw["Data"]["DataItem"], list)
    assert all(isinstance(item["TaskId"], str) for item in data_items(raw))
    (found,) = (item for item in data_items(raw) if item["TaskId"] == listed.task_id)
    assert (found["Status"], found["TaskName"]) == ("success", TASK_NAME)
    assert found["TaskConfig"]["StartTime"] == start
    assert ISO_UTC.match(found["CreateTime"]) and ISO_UTC.match(found["UpdateTime"])
    assert found["DownloadUrl"].startswith(deployment.server.download_prefix)


def test_describe_pages_newest_first(alice: CdnClient, listed: FinishedExport) -> None:
    total = alice.describe(page_size=1)["UsageDataPerPage"]["TotalCount"]
    first = alice.describe(page_size=2, page_number=1)
    second = alice.describe(page_size=2, page_number=2)
    assert first["UsageDataPerPage"]["PageSize"] == 2
    assert second["UsageDataPerPage"]["PageNumber"] == 2
    assert len(data_items(first)) == min(2, total)
    assert len(data_items(second)) == min(2, max(0, total - 2))
    ids = [int(item["TaskId"]) for item in data_items(first) + data_items(second)]
    assert ids == sorted(set(ids), reverse=True)
    assert data_items(alice.describe(page_size=1))[0]["TaskId"] == str(ids[0])
    beyond = alice.describe(page_size=50, page_number=1000)
    assert data_items(beyond) == []
    assert beyond["UsageDataPerPage"]["TotalCount"] == total


def test_describe_lists_only_own_tasks(
    alice: CdnClient, bob: CdnClient, listed: FinishedExport, deployment: Deployment
) -> None:
    bobs = create_task(bob, small_export(deployment, deployment.bob_domain))
    assert find_task(bob, bobs) is not None
    assert find_task(bob, listed.task_id) is None
    assert find_task(alice, bobs) is None
    assert find_task(alice, listed.task_id) is not None


def test_delete_removes_the_task_and_its_download(alice: CdnClient, deployment: Deployment) -> None:
    done = finish(alice, create_task(alice, small_export(deployment, deployment.domain_b)))
    assert done.download.status == 200
    answer = alice.delete(done.task_id)
    assert isinstance(answer["RequestId"], str)
    assert find_task(alice, done.task_id) is None
    assert fetch(done.item["DownloadUrl"]).status in (403, 404)
    with pytest.raises(ApiError) as again:
        alice.delete(done.task_id)
    assert (again.value.code, again.value.http_status) == ("InvalidTaskId.Malformed", 400)


def test_deleting_another_accounts_task_is_refused(
    alice: CdnClient, bob: CdnClient, listed: FinishedExport
) -> None:
    with pytest.raises(ApiError) as refused:
        bob.delete(listed.task_id)
    assert (refused.value.code, refused.value.http_status) == ("InvalidTaskId.Malformed", 400)
    assert find_task(alice, listed.task_id) is not None


def test_a_deleted_tasks_id_and_link_are_not_reused(
    alice: CdnClient,
    deployment: Deployment,
) -> None:
    # Ids name files and appear in signed links, so a deleted task's id must never come back.
    gone = finish(alice, create_task(alice, small_export(deployment, deployment.domain_a)))
    alice.delete(gone.task_id)
    later = finish(alice, create_task(alice, small_export(deployment, deployment.domain_b)))
    assert fetch(gone.item["DownloadUrl"]).status in (403, 404)
    assert later.task_id != gone.task_id
