"""Log lines as text or JSON, with the RequestId and TaskId of what is in progress."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from cdnexport import logs


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level


def test_json_lines_carry_the_ids(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure("INFO", "json")
    log = logging.getLogger("cdnexport.test")
    with logs.request_context("REQ-1"):
        log.info("in a call")
        with logs.task_context(42):
            log.warning("in a task")
    log.info("outside")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["message"] for line in lines] == ["in a call", "in a task", "outside"]
    assert lines[0]["RequestId"] == "REQ-1" and "TaskId" not in lines[0]
    assert (lines[1]["RequestId"], lines[1]["TaskId"], lines[1]["level"]) == (
        "REQ-1",
        42,
        "WARNING",
    )
    assert "RequestId" not in lines[2]


def test_text_lines_end_with_the_ids(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure("INFO", "text")
    with logs.task_context(7):
        logging.getLogger("cdnexport.test").info("exporting")
    assert capsys.readouterr().err.rstrip().endswith("exporting [TaskId=7]")
