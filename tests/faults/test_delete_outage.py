"""Delete with the object store down keeps the task (and the way to its file): it answers
ServiceUnavailable, and the same Delete succeeds once the store is back. On both engines."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdnexport.clock import ManualClock
from cdnexport.db import queue, tasks
from cdnexport.db.engine import Database
from cdnexport.services import Services
from cdnexport.storage.s3 import S3BlobStore
from cdnexport.web.rpc import RpcEdge
from tests.faults.proxy import TcpProxy
from tests.scaleout.backing import S3Server
from tests.support import add_account, flow_spec, make_services, v1_request

NOW = 1_780_000_000
DELETE = "DeleteUsageDetailDataExportTask"


@pytest.fixture
def services(
    db: Database, tmp_path: Path, s3_through_proxy: tuple[S3BlobStore, TcpProxy]
) -> Iterator[Services]:
    svc = make_services(tmp_path, ManualClock(NOW), database_url=db.url)
    yield dataclasses.replace(svc, store=s3_through_proxy[0])
    svc.db.dispose()


def test_delete_while_the_object_store_is_down_keeps_the_task(
    services: Services,
    s3_through_proxy: tuple[S3BlobStore, TcpProxy],
    s3_server: S3Server,
    tmp_path: Path,
) -> None:
    store, proxy = s3_through_proxy
    account = add_account(services, "deleter")
    with services.db.write() as conn:
        task_id = tasks.insert_task(conn, account.id, flow_spec(NOW), NOW)
        held = queue.claim(conn, "w", NOW, 30, 5)
    assert held is not None
    source = tmp_path / "done.xlsx"
    source.write_bytes(b"PK a finished workbook")
    key = f"{account.id}/{task_id}.xlsx"
    store.put_file(key, source)
    with services.db.write() as conn:
        assert queue.complete(conn, held, NOW, key, 22, 1)
    stored = store.object_key(key)
    edge = RpcEdge(services)

    proxy.cut()
    resp = edge.handle(v1_request(account, DELETE, {"TaskId": str(task_id)}, NOW))
    body = json.loads(resp.body)
    assert (resp.status, body["Code"]) == (503, "ServiceUnavailable"), body
    assert resp.headers["retry-after"] == "1" and body["RequestId"]
    with services.db.read() as conn:
        assert tasks.get_task(conn, account.id, task_id) is not None
    assert s3_server.keys(stored) == [stored]

    proxy.restore()
    resp = edge.handle(v1_request(account, DELETE, {"TaskId": str(task_id)}, NOW))
    assert resp.status == 200, resp.body
    with services.db.read() as conn:
        assert tasks.get_task(conn, account.id, task_id) is None
    assert s3_server.keys(stored) == []
