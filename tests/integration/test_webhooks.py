"""Webhooks end to end: events written with the finish, delivered to a real receiver on
127.0.0.1 through failures, timeouts and a killed worker, signed as the README says."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, update
from typer.testing import CliRunner

from cdnexport.cli import app
from cdnexport.clock import ManualClock, SystemClock
from cdnexport.db import accounts
from cdnexport.db.accounts import Account
from cdnexport.db.schema import export_task, webhook_event
from cdnexport.domain.regions import REGION_ID
from cdnexport.metrics import render_metrics
from cdnexport.services import Services
from cdnexport.storage.local import LocalBlobStore
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore
from cdnexport.webhooks.delivery import RETRY_WINDOW_SECONDS, Deliverer
from cdnexport.webhooks.manage import delivery_log, set_webhook
from cdnexport.webhooks.sender import HttpSender, MemorySender
from cdnexport.webhooks.targets import TargetRefused
from cdnexport.worker.runner import Worker
from tests.integration.test_crash import CLI
from tests.integration.test_worker import START, BrokenWriter, create, rpc
from tests.receiver import HANG, readme_recipe, running_receiver, verify, wait_until
from tests.support import add_account, iso, make_services


@pytest.fixture
def clock() -> ManualClock:
    # Real time, moved by hand: receivers check the signature's time against their own clock.
    return ManualClock(int(time.time()))


@pytest.fixture
def services(tmp_path: Path, clock: ManualClock) -> Iterator[Services]:
    svc = make_services(
        tmp_path,
        clock,
        webhook_allow_private=True,
        webhook_timeout_seconds=0.5,
        webhook_retry_base_seconds=1.0,
        max_attempts=1,
    )
    yield svc
    svc.db.dispose()


@pytest.fixture
def account(services: Services) -> Account:
    """Account ``f`` with one domain and a few samples (a day's export has 288 rows)."""
    acct = add_account(services, "f", ("x.example.com",))
    with services.db.write() as conn:
        ids = accounts.domain_ids(conn, acct.id, ["x.example.com"])
        assert ids is not None
        rows = [
            (ids["x.example.com"], REGION_ID["CN"], START + 300 * i, 10 + i, 0, 0, 0)
            for i in range(5)
        ]
        assert isinstance(services.usage, SqlUsageStore)
        services.usage.upsert(conn, SampleBatch.from_rows(rows))
    return acct


def events(services: Services) -> list[tuple[str, str, int, int]]:
    with services.db.read() as conn:
        rows = conn.execute(
            select(
                webhook_event.c.type,
                webhook_event.c.status,
                webhook_event.c.attempts,
                webhook_event.c.task_id,
            ).order_by(webhook_event.c.created_at)
        ).all()
    return [(str(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows]


def test_receiver_that_fails_times_out_and_recovers(
    services: Services, account: Account, clock: ManualClock
) -> None:
    before_retried = (
        REGISTRY.get_sample_value("cdnexport_webhook_attempts_total", {"outcome": "retried"}) or 0
    )
    with running_receiver([500, HANG, 200]) as receiver:
        hook = set_webhook(services, "f", receiver.url)
        task_id = create(services, account, FileFormat="csv")
        assert Worker(services).run_once()
        deliverer = Deliverer(services)
        sender = services.webhook_sender()
        try:
            assert deliverer.deliver_one(sender)  # 500
            assert not deliverer.deliver_one(sender)  # backing off for 1 s
            clock.advance(1)
            assert deliverer.deliver_one(sender)  # no answer within 0.5 s
            clock.advance(1)
            assert not deliverer.deliver_one(sender)  # the second wait is 2 s
            clock.advance(1)
            assert deliverer.deliver_one(sender)  # 200
            assert not deliverer.deliver_one(sender)
        finally:
            sender.close()
        got = receiver.received
    assert len(got) == 3
    assert {r.headers["X-Cdnexport-Event-Id"] for r in got} == {got[0].event["id"]}
    for request in got:
        assert verify(
            hook.secret, request.headers["X-Cdnexport-Signature"], request.body, time.time()
        )
    assert events(services) == [("export.succeeded", "delivered", 3, int(task_id))]
    log = delivery_log(services, "f", 10)
    assert [(d.attempt, d.status_code, d.error) for d in log] == [
        (3, 200, ""),
        (2, None, "timed out"),
        (1, 500, "HTTP 500"),
    ]
    assert {d.event_status for d in log} == {"delivered"}
    assert (
        REGISTRY.get_sample_value("cdnexport_webhook_attempts_total", {"outcome": "retried"})
        == before_retried + 2
    )
    scraped = render_metrics(services.db, clock.now())[0].decode()
    assert 'cdnexport_webhook_events{status="delivered"} 1.0' in scraped
    assert "cdnexport_webhook_oldest_pending_seconds 0.0" in scraped


def test_events_verify_with_the_documented_recipe(
    services: Services, account: Account, clock: ManualClock
) -> None:
    with running_receiver() as receiver:
        hook = set_webhook(services, "f", receiver.url)
        task_id = create(services, account, FileFormat="parquet", TaskName="monthly")
        Worker(services).run_once()
        sender = services.webhook_sender()
        try:
            assert Deliverer(services).deliver_one(sender)
        finally:
            sender.close()
        (request,) = receiver.received
    header = request.headers["X-Cdnexport-Signature"]
    assert verify(hook.secret, header, request.body, time.time())
    assert not verify(hook.secret, header, request.body + b" ", time.time())
    assert not verify("whsec_other", header, request.body, time.time())
    assert not verify(hook.secret, header, request.body, time.time() + 301)
    readme_verified = readme_recipe()
    assert readme_verified(hook.secret, header, request.body)
    assert not readme_verified(hook.secret, header, request.body.replace(b"success", b"failed"))
    assert request.headers["Content-Type"] == "application/json"
    event = request.event
    assert event["id"] == request.headers["X-Cdnexport-Event-Id"]
    assert event["id"].startswith("evt_") and event["type"] == "export.succeeded"
    data = event["data"]
    assert (data["Kind"], data["TaskId"], data["Status"]) == ("detail", task_id, "success")
    assert data["TaskName"] == "monthly" and data["TaskConfig"]["FileFormat"] == "parquet"
    assert data["RowCount"] == 288
    # A working link, minted at delivery.
    link = urlsplit(data["DownloadUrl"])
    query = dict(parse_qsl(link.query))
    store = services.store
    assert isinstance(store, LocalBlobStore)
    key = link.path.removeprefix("/download/")
    path = store.resolve(key, query["name"], query["Expires"], query["Signature"], int(clock.now()))
    assert path.suffix == ".parquet" and query["name"].endswith(f"-{task_id}.parquet")


def test_failed_exports_send_export_failed(services: Services, account: Account) -> None:
    memory = MemorySender()
    services = dataclasses.replace(services, webhook_sender=lambda: memory)
    set_webhook(services, "f", "http://127.0.0.1:1/hook")
    task_id = create(services, account)
    Worker(services, writer_factory=BrokenWriter).run_once()
    assert Deliverer(services).deliver_one(memory)
    event = json.loads(memory.sent[0].body)
    assert event["type"] == "export.failed"
    assert event["data"]["TaskId"] == task_id and event["data"]["Status"] == "failed"
    assert event["data"]["ErrorMessage"] == (
        "The export failed (ValueError); the service log has the details."
    )
    assert "DownloadUrl" not in event["data"]


def test_interrupted_too_often_is_a_failure_event(
    services: Services, account: Account, clock: ManualClock
) -> None:
    set_webhook(services, "f", "http://127.0.0.1:1/hook")
    task_id = int(create(services, account))
    with services.db.write() as conn:  # its one attempt died holding the lease
        conn.execute(
            update(export_task)
            .where(export_task.c.id == task_id)
            .values(attempts=1, lease_owner="dead", lease_expires_at=clock.now() - 1)
        )
    Worker(services).upkeep()
    assert events(services) == [("export.failed", "pending", 0, task_id)]


def test_retries_double_and_stop_after_24_hours(
    services: Services, account: Account, clock: ManualClock
) -> None:
    memory = MemorySender(answer=lambda _sent: 503)
    services = dataclasses.replace(services, webhook_sender=lambda: memory)
    set_webhook(services, "f", "http://127.0.0.1:1/hook")
    create(services, account)
    started = clock.now()
    Worker(services).run_once()
    deliverer = Deliverer(services)
    waits: list[float] = []
    while True:
        assert deliverer.deliver_one(memory)
        with services.db.read() as conn:
            status, due = conn.execute(
                select(webhook_event.c.status, webhook_event.c.next_attempt_at)
            ).one()
        if status != "pending":
            break
        waits.append(due - clock.now())
        clock.advance(due - clock.now())
    assert waits[:5] == [1, 2, 4, 8, 16]
    assert status == "failed"
    # Doubling from 1 s: the 17th wait is cut short so that the last attempt is at 24 h.
    assert clock.now() - started == RETRY_WINDOW_SECONDS
    assert len(memory.sent) == len(waits) + 1 == 18


def test_accounts_without_a_webhook_get_no_events(services: Services, account: Account) -> None:
    create(services, account)
    assert Worker(services).run_once()
    assert events(services) == []


def test_private_targets_are_refused_unless_allowed(
    tmp_path: Path, services: Services, account: Account
) -> None:
    strict = dataclasses.replace(
        services,
        settings=services.settings.model_copy(update={"webhook_allow_private": False}),
    )
    with pytest.raises(TargetRefused, match="not a public address"):
        set_webhook(strict, "f", "http://127.0.0.1:8080/hook")
    # Set while allowed; a deployment that no longer allows it refuses at delivery.
    set_webhook(services, "f", "http://127.0.0.1:1/hook")
    create(services, account)
    Worker(services).run_once()
    sender = HttpSender(0.5, allow_private=False)
    try:
        assert Deliverer(strict).deliver_one(sender)
    finally:
        sender.close()
    (attempt,) = delivery_log(services, "f", 5)
    assert attempt.status_code is None and "not a public address" in attempt.error


def test_cli_sets_the_webhook_and_shows_deliveries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDNEXPORT_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setenv("CDNEXPORT_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("CDNEXPORT_LOG_LEVEL", "WARNING")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    run("account", "create", "acme")
    plain = run("webhook", "set", "acme", "http://127.0.0.1:9/h")
    assert "Secret: whsec_" in plain and "shown only now" in plain
    shown = json.loads(run("webhook", "set", "acme", "http://127.0.0.1:9/h", "--json"))
    assert shown["Url"] == "http://127.0.0.1:9/h" and shown["Secret"].startswith("whsec_")
    assert shown["Secret"] not in plain  # a new secret each time
    refused = runner.invoke(app, ["webhook", "set", "acme", "ftp://example.com/"])
    assert refused.exit_code == 2 and "http://" in refused.output
    assert run("webhook", "deliveries", "acme") == ""
    assert json.loads(run("webhook", "deliveries", "acme", "--json")) == []
    missing = runner.invoke(app, ["webhook", "deliveries", "nobody"])
    assert missing.exit_code == 2


def worker_env(services: Services) -> dict[str, str]:
    return {
        **os.environ,
        "CDNEXPORT_DATA_DIR": str(services.settings.data_dir),
        "CDNEXPORT_URL_SECRET": "test-url-secret",
        "CDNEXPORT_POLL_SECONDS": "0.05",
        "CDNEXPORT_WEBHOOK_ALLOW_PRIVATE": "true",
        "CDNEXPORT_WEBHOOK_TIMEOUT_SECONDS": "1",
        "CDNEXPORT_LOG_LEVEL": "INFO",
    }


@pytest.mark.slow
def test_worker_killed_after_the_finish_delivers_after_restart(tmp_path: Path) -> None:
    services = make_services(tmp_path / "real", SystemClock(), webhook_allow_private=True)
    try:
        run_killed_worker(tmp_path, services)
    finally:
        services.db.dispose()


def run_killed_worker(tmp_path: Path, services: Services) -> None:
    acct = add_account(services, "k", ())
    log = tmp_path / "workers.log"
    with running_receiver([HANG]) as receiver:
        hook = set_webhook(services, "k", receiver.url)
        body = rpc(
            services,
            acct,
            "CreateUsageDetailDataExportTask",
            Type="flow",
            StartTime=iso(START),
            EndTime=iso(START + 3600),
        )
        task_id = int(body["TaskId"])
        with log.open("ab") as out:
            first = subprocess.Popen(
                [CLI, "worker"], env=worker_env(services), stdout=out, stderr=out
            )
        try:
            # The task is finished and its event sent, but the answer never comes.
            assert receiver.arrived.wait(30), log.read_text()
            with services.db.read() as conn:
                status = conn.execute(
                    select(export_task.c.status).where(export_task.c.id == task_id)
                ).scalar_one()
            assert status == "success"
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        assert events(services)[0][1] == "pending"
        receiver.release.set()
        with log.open("ab") as out:
            second = subprocess.Popen(
                [CLI, "worker"], env=worker_env(services), stdout=out, stderr=out
            )
        try:
            # Due again once the dead loop's claim has run out (3 x 1 s + 5 s).
            wait_until(lambda: events(services)[0][1] == "delivered", 40)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
        got = receiver.received
    assert len(got) == 2, log.read_text()
    assert got[0].event["id"] == got[1].event["id"]
    for request in got:
        assert verify(
            hook.secret, request.headers["X-Cdnexport-Signature"], request.body, time.time()
        )
    assert second.returncode == 0


def test_the_request_goes_to_the_checked_address_under_its_name() -> None:
    with running_receiver() as receiver:
        port = urlsplit(receiver.url).port
        asked: list[str] = []

        def resolver(host: str, port: int) -> list[str]:
            asked.append(host)
            return ["127.0.0.1"]

        sender = HttpSender(2.0, allow_private=True, resolver=resolver)
        try:
            code = sender.post(f"http://hooks.acme.test:{port}/in", {"X-A": "1"}, b"{}")
        finally:
            sender.close()
        (request,) = receiver.received
    assert code == 200 and asked == ["hooks.acme.test"]
    assert request.headers["Host"] == f"hooks.acme.test:{port}"
    assert request.body == b"{}"


def test_redirects_are_not_followed() -> None:
    with running_receiver([307]) as receiver:
        sender = HttpSender(2.0, allow_private=True)
        try:
            assert sender.post(receiver.url, {}, b"{}") == 307
        finally:
            sender.close()
        assert len(receiver.received) == 1
