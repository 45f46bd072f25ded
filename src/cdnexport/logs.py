"""Logging set-up for every command: plain lines, or one JSON object per line
(``CDNEXPORT_LOG_FORMAT=json``), with the RequestId of the call and the TaskId of the export in
progress on every line logged while they are, by whatever module logs it.

The JSON lines come from python-json-logger; the two ids ride in context variables, which
follow a call into the thread that serves it and stay apart between threads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_task_id: ContextVar[int | None] = ContextVar("task_id", default=None)
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _Ids(logging.Filter):
    """Puts the current RequestId and TaskId on each record (as ``RequestId``/``TaskId``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id, task_id = _request_id.get(), _task_id.get()
        if request_id is not None:
            record.RequestId = request_id
        if task_id is not None:
            record.TaskId = task_id
        return True


class _TextWithIds(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        values = {name: getattr(record, name, None) for name in ("RequestId", "TaskId")}
        ids = [f"{name}={value}" for name, value in values.items() if value is not None]
        return f"{text} [{' '.join(ids)}]" if ids else text


def configure(level: str, fmt: LogFormat) -> None:
    """Send every logger's records to standard error in ``fmt`` (replacing earlier set-up)."""
    handler = logging.StreamHandler()
    handler.addFilter(_Ids())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(_TextWithIds(_TEXT))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())


@contextmanager
def request_context(request_id: str) -> Iterator[None]:
    """Lines logged inside carry this RequestId."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


@contextmanager
def task_context(task_id: int) -> Iterator[None]:
    """Lines logged inside carry this TaskId."""
    token = _task_id.set(task_id)
    try:
        yield
    finally:
        _task_id.reset(token)
