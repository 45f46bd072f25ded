"""The JSON body of a webhook event: its id, type and time, and the task as Describe lists it,
with a download link minted when the body is built (so a retry a day later still links)."""

from __future__ import annotations

import json

from cdnexport.api.tasks import TaskView
from cdnexport.db.webhooks import DueEvent, EventType
from cdnexport.domain.task import ExportTask

#: The task family named in ``data.Kind``; every family finishes through the same queue.
DETAIL_KIND = "detail"


def event_body(event: DueEvent, task: ExportTask | None, url: str, url_expires: int) -> bytes:
    """Compact UTF-8 JSON; ``task`` None (deleted or purged since) leaves its id and outcome."""
    if task is None:
        status = "success" if event.type is EventType.SUCCEEDED else "failed"
        data: dict[str, object] = {"TaskId": str(event.task_id), "Status": status}
    else:
        data = {"Kind": DETAIL_KIND, **TaskView(task, url, url_expires).to_wire()}
    body = {"id": event.id, "type": event.type.value, "created": event.created_at, "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
