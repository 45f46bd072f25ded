"""Waiting for a task through an SDK, downloading its link without credentials, reading the rows."""

from __future__ import annotations

import io
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import openpyxl

from tests.contract.sdk import Body, CdnClient, data_items

TASK_TIMEOUT = 60.0
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes


@dataclass(frozen=True)
class FinishedExport:
    task_id: str
    item: Body
    download: Fetched

    @cached_property
    def sheets(self) -> list[Sheet]:
        return read_sheets(self.download.body)


@dataclass(frozen=True)
class Sheet:
    name: str
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def find_task(client: CdnClient, task_id: str) -> Body | None:
    for item in data_items(client.describe(page_size=50)):
        if item["TaskId"] == task_id:
            return item
    return None


def wait_for_task(client: CdnClient, task_id: str, timeout: float = TASK_TIMEOUT) -> Body:
    """Poll Describe until the task leaves ``created``; return its item."""
    deadline = time.monotonic() + timeout
    while True:
        item = find_task(client, task_id)
        assert item is not None, f"task {task_id} is not listed"
        if item["Status"] != "created":
            return item
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} still {item['Status']} after {timeout} s")
        time.sleep(POLL_SECONDS)


def fetch(url: str) -> Fetched:
    """GET ``url`` with plain urllib; an HTTP error is a result, not an exception."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - loopback test URL
            return Fetched(resp.status, _lower(resp.headers.items()), resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Fetched(exc.code, _lower(exc.headers.items()), exc.read())


def _lower(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


def create_task(client: CdnClient, params: Mapping[str, str]) -> str:
    task_id = client.create(params)["TaskId"]
    assert isinstance(task_id, str), task_id
    return task_id


def finish(client: CdnClient, task_id: str) -> FinishedExport:
    """Wait for the task to succeed and download its workbook."""
    item = wait_for_task(client, task_id)
    assert item["Status"] == "success", item
    return FinishedExport(task_id, item, fetch(item["DownloadUrl"]))


def read_sheets(data: bytes) -> list[Sheet]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        sheets = []
        for ws in book.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            sheets.append(Sheet(ws.title, tuple(str(c) for c in rows[0]), rows[1:]))
        return sheets
    finally:
        book.close()


def epoch(cell: Any) -> int:
    """A workbook time cell (a naive UTC datetime) as epoch seconds, rounded to the second."""
    assert isinstance(cell, datetime), cell
    return round(cell.replace(tzinfo=UTC).timestamp())
