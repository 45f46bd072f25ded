"""The web console over HTTP: sessions, cookies, CSRF, throttling, tenants and escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert
from starlette.testclient import TestClient

from cdnexport.clock import ManualClock
from cdnexport.db import accounts, operators
from cdnexport.db.accounts import Account
from cdnexport.db.engine import Database
from cdnexport.db.schema import domain
from cdnexport.services import Services
from cdnexport.web.app import create_app
from cdnexport.web.console.auth import MAX_PER_ADDRESS, MAX_PER_KEY
from tests.support import add_account, make_services
from tests.unit.web.console_client import ORIGIN, csrf_of, operator_sign_in, post, sign_in

NOW = 1_764_547_200  # 2025-12-01T00:00:00Z
GENERIC = "Sign-in failed: the credentials are not valid or the account is disabled."
EXPORT = {"Type": "flow", "Start": "2025-11-20T00:00", "End": "2025-11-21T00:00"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def services(tmp_path: Path, clock: ManualClock, db: Database) -> Iterator[Services]:
    """On SQLite, and on PostgreSQL when configured (one code path for sessions)."""
    svc = make_services(tmp_path, clock, database_url=db.url)
    yield svc
    svc.db.dispose()


@pytest.fixture
def alice(services: Services) -> Account:
    return add_account(services, "alice", ("a.example.com", "b.example.com"))


@pytest.fixture
def bob(services: Services) -> Account:
    return add_account(services, "bob", ("bob.example.com",))


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), headers={"accept-language": "en-US"}) as c:
        yield c


def signed_in(services: Services, account: Account) -> TestClient:
    client = TestClient(create_app(services), headers={"accept-language": "en-US"})
    assert sign_in(client, account).status_code == 303
    return client


def test_sign_in_sets_a_strict_session_cookie(client: TestClient, alice: Account) -> None:
    resp = sign_in(client, alice)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/console/usage"
    cookie = next(c for c in resp.headers.get_list("set-cookie") if "cdnexport_session=" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/console/" in cookie
    assert "Secure" not in cookie  # the public URL is http
    assert client.get("/console/exports").status_code == 200


def test_cookies_are_secure_behind_an_https_public_url(tmp_path: Path, clock: ManualClock) -> None:
    services = make_services(tmp_path, clock, public_url="https://cdn.example.com")
    account = add_account(services, "alice")
    # Over https, as the browser would reach it: a Secure cookie is not sent back over http.
    with TestClient(create_app(services), base_url="https://testserver") as client:
        resp = sign_in(client, account)
    assert resp.status_code == 303
    cookies = resp.headers.get_list("set-cookie")
    assert any("cdnexport_session=" in c and "Secure" in c for c in cookies)
    services.db.dispose()


def test_one_generic_message_for_every_failure(
    client: TestClient, services: Services, alice: Account
) -> None:
    wrong_secret = sign_in(client, alice, "nope")
    unknown = sign_in(client, Account(0, "x", "LTAIunknownkey00000000", "s", True))
    with services.db.write() as conn:
        accounts.set_active(conn, alice.id, False)
    disabled = sign_in(client, alice)
    for resp in (wrong_secret, unknown, disabled):
        assert resp.status_code == 401
        assert GENERIC in resp.text
    assert wrong_secret.text.count(GENERIC) == 1


def test_pages_need_a_session(client: TestClient) -> None:
    for path in ("/console/exports", "/console/usage", "/console/operator/queue"):
        resp = client.get(path, follow_redirects=False)
        assert resp.status_code == 303
        assert resp.headers["location"].endswith("/signin")
    assert client.get("/console/exports/status.json").status_code == 401


def test_every_state_change_needs_the_csrf_token(
    services: Services, alice: Account, client: TestClient
) -> None:
    sign_in(client, alice)
    for path in ("/console/exports", "/console/exports/1/delete", "/console/signout"):
        missing = client.post(path, data=EXPORT, follow_redirects=False)
        wrong = client.post(path, data={**EXPORT, "csrf": "x" * 43}, follow_redirects=False)
        assert missing.status_code == 403
        assert wrong.status_code == 403
    page = client.get("/console/exports").text
    other_site = client.post(
        "/console/exports",
        data={**EXPORT, "csrf": csrf_of(page)},
        headers={"origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert other_site.status_code == 403
    # Sign-in and the language switch carry the pre-session token.
    assert client.post("/console/signin", data={"access_key_id": "a"}).status_code == 403
    assert client.post("/console/lang", data={"lang": "zh-cn"}).status_code == 403
    assert "cdnexport_session" in client.cookies  # none of that signed anyone out
    assert client.get("/console/exports").status_code == 200


def test_a_session_given_before_sign_in_is_never_adopted(
    services: Services, alice: Account
) -> None:
    client = TestClient(create_app(services))
    planted = "attacker-chosen-token-0123456789abcdef"
    client.cookies.set("cdnexport_session", planted, path="/console/")
    resp = sign_in(client, alice)
    issued = re.search(r"cdnexport_session=([^;]+)", resp.headers["set-cookie"])
    assert issued is not None
    assert issued.group(1) != planted
    attacker = TestClient(create_app(services))
    attacker.cookies.set("cdnexport_session", planted, path="/console/")
    assert attacker.get("/console/exports", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session_on_the_server(services: Services, alice: Account) -> None:
    client = signed_in(services, alice)
    token = client.cookies["cdnexport_session"]
    resp = post(client, "/console/signout", "/console/exports", {})
    assert resp.status_code == 303
    replay = TestClient(create_app(services))
    replay.cookies.set("cdnexport_session", token, path="/console/")
    assert replay.get("/console/exports", follow_redirects=False).status_code == 303


def test_idle_and_absolute_expiry(services: Services, alice: Account, clock: ManualClock) -> None:
    settings = services.settings
    client = signed_in(services, alice)
    clock.advance(settings.console_idle_seconds - 10)
    assert client.get("/console/exports").status_code == 200
    clock.advance(settings.console_idle_seconds + 1)
    resp = client.get("/console/exports", follow_redirects=False)
    assert resp.headers["location"] == "/console/signin?ended=1"
    client = signed_in(services, alice)
    step = settings.console_idle_seconds // 2
    for _ in range(settings.console_session_seconds // step - 1):
        clock.advance(step)
        assert client.get("/console/exports", follow_redirects=False).status_code == 200
    clock.advance(step + 1)
    assert client.get("/console/exports", follow_redirects=False).status_code == 303


def test_disabling_or_rotating_the_key_ends_sessions(services: Services, alice: Account) -> None:
    client = signed_in(services, alice)
    with services.db.write() as conn:
        accounts.set_active(conn, alice.id, False)
        accounts.set_active(conn, alice.id, True)
    assert client.get("/console/exports", follow_redirects=False).status_code == 200
    with services.db.write() as conn:
        accounts.set_active(conn, alice.id, False)
    assert client.get("/console/exports", follow_redirects=False).status_code == 303
    with services.db.write() as conn:
        accounts.set_active(conn, alice.id, True)
    client = signed_in(services, alice)
    with services.db.write() as conn:
        accounts.rotate_key(conn, alice.id)
    assert client.get("/console/exports", follow_redirects=False).status_code == 303


def test_sign_in_is_throttled_per_key(
    client: TestClient, services: Services, alice: Account, clock: ManualClock
) -> None:
    for _ in range(MAX_PER_KEY):
        assert sign_in(client, alice, "wrong").status_code == 401
    throttled = sign_in(client, alice)  # even the right secret
    assert throttled.status_code == 429
    assert "Too many sign-in attempts" in throttled.text
    clock.advance(901)
    assert sign_in(client, alice).status_code == 303


def test_sign_in_is_throttled_per_address(
    client: TestClient, services: Services, alice: Account
) -> None:
    for n in range(MAX_PER_ADDRESS):
        ghost = Account(0, "x", f"LTAIghost{n:015d}", "s", True)
        assert sign_in(client, ghost, "wrong").status_code == 401
    assert sign_in(client, alice).status_code == 429


def test_one_tenant_cannot_see_or_delete_anothers_tasks(
    services: Services, alice: Account, bob: Account
) -> None:
    a = signed_in(services, alice)
    assert (
        post(a, "/console/exports", "/console/exports", {**EXPORT, "TaskName": "mine"}).status_code
        == 303
    )
    task_id = a.get("/console/exports/status.json").json()["tasks"][0]["id"]
    b = signed_in(services, bob)
    listing = b.get("/console/exports").text
    assert "mine" not in listing
    assert b.get("/console/exports/status.json").json()["tasks"] == []
    resp = post(b, f"/console/exports/{task_id}/delete", "/console/exports", {})
    assert resp.status_code == 400
    assert "InvalidTaskId" in resp.text
    assert a.get("/console/exports/status.json").json()["tasks"][0]["id"] == task_id
    # Bob cannot name Alice's domains either: the API's own rule and message.
    resp = post(
        b, "/console/exports", "/console/exports", {**EXPORT, "DomainNames": "a.example.com"}
    )
    assert resp.status_code == 400
    assert "IllegalOperation" in resp.text


def test_the_export_form_reports_the_apis_messages(services: Services, alice: Account) -> None:
    client = signed_in(services, alice)
    resp = post(
        client, "/console/exports", "/console/exports", {**EXPORT, "End": "2025-12-31T00:00"}
    )
    assert resp.status_code == 400
    assert (
        "InvalidTimeRange: Invalid StartTime and EndTime range. One task spans at most 31 days."
        in resp.text
    )
    assert 'value="2025-12-31T00:00"' in resp.text  # the form keeps what was typed


def test_the_export_form_offers_every_file_format(services: Services, alice: Account) -> None:
    client = signed_in(services, alice)
    page = client.get("/console/exports").text
    assert re.findall(r'<option value="([a-z.]+)"', page.split('name="FileFormat"')[1])[:4] == [
        "xlsx", "csv", "csv.gz", "parquet",
    ]  # fmt: skip
    resp = post(client, "/console/exports", "/console/exports", {**EXPORT, "FileFormat": "parquet"})
    assert resp.status_code in (200, 303), resp.text[:500]
    listed = client.get("/console/exports").text
    assert "flow · parquet" in listed
    bad = post(client, "/console/exports", "/console/exports", {**EXPORT, "FileFormat": "pdf"})
    assert bad.status_code == 400
    assert "InvalidParameter" in bad.text and "FileFormat" in bad.text


def test_pdf_summaries_are_created_listed_and_deleted(
    services: Services, alice: Account, bob: Account
) -> None:
    client = signed_in(services, alice)
    page = client.get("/console/summaries")
    assert page.status_code == 200 and 'name="Start"' in page.text
    window = {"Start": "2025-11-01T00:00", "End": "2025-12-01T00:00", "TaskName": "Nov <b>"}
    created = post(
        client, "/console/summaries", "/console/summaries", {**window, "Language": "en-us"}
    )
    assert created.status_code in (200, 303), created.text[:300]
    listed = client.get("/console/summaries").text
    assert "summary-" in listed and "Nov &lt;b&gt;" in listed
    task_id = re.findall(r'data-task-id="(summary-[0-9]+)"', listed)[0]
    # The detail list does not show it, and another tenant cannot delete it.
    assert task_id not in client.get("/console/exports").text
    other = signed_in(services, bob)
    refused = post(other, f"/console/summaries/{task_id}/delete", "/console/summaries", {})
    assert refused.status_code == 400
    assert task_id in client.get("/console/summaries").text
    too_long = {**window, "End": "2026-01-05T00:00"}
    bad = post(client, "/console/summaries", "/console/summaries", too_long)
    assert bad.status_code == 400 and "InvalidTimeRange" in bad.text
    gone = post(client, f"/console/summaries/{task_id}/delete", "/console/summaries", {})
    assert gone.status_code in (200, 303)
    assert task_id not in client.get("/console/summaries").text


def test_markup_in_names_is_rendered_inert(services: Services, alice: Account) -> None:
    hostile = "<script>alert(1)</script>"
    with services.db.write() as conn:
        # Domain names are checked where they enter now; a row from before that, written
        # straight to the table, must still be shown inert. Group names may hold markup.
        conn.execute(insert(domain).values(account_id=alice.id, name=f"{hostile}.example.com"))
        accounts.add_domains(conn, alice.id, ["a.example.com"])
        accounts.create_group(conn, alice.id, hostile, ["a.example.com"])
        operators.create_operator(conn, "root", "correct horse battery", NOW)
    client = signed_in(services, alice)
    post(client, "/console/exports", "/console/exports", {**EXPORT, "TaskName": hostile})
    page = client.get("/console/exports").text
    assert hostile not in page
    # The task name, and the value and text of the domain's and the group's options.
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 5
    assert hostile not in client.get("/console/usage").text
    assert operator_sign_in(client, "root", "correct horse battery").status_code == 303
    for path in ("domains", "freshness", "queue"):
        assert hostile not in client.get(f"/console/operator/{path}").text


def test_console_headers(services: Services, alice: Account) -> None:
    client = signed_in(services, alice)
    for path in ("/console/signin", "/console/exports", "/console/exports/status.json"):
        resp = client.get(path)
        csp = resp.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert resp.headers["cache-control"] == "no-store"
    page = client.get("/console/exports").text
    assert "<script>" not in page and "onclick" not in page and "style=" not in page
    assert client.get("/console/static/console.js").status_code == 200


def test_the_language_is_chosen_and_remembered(client: TestClient) -> None:
    page = client.get("/console/signin").text
    assert ">Sign in</button>" in page
    resp = client.post(
        "/console/lang",
        data={"lang": "zh-cn", "next": "/console/signin", "csrf": csrf_of(page)},
        headers={"origin": ORIGIN},
        follow_redirects=False,
    )
    assert resp.headers["location"] == "/console/signin"
    assert "登录" in client.get("/console/signin").text
    away = client.post(
        "/console/lang",
        data={"lang": "en-us", "next": "//evil.example/", "csrf": csrf_of(page)},
        headers={"origin": ORIGIN},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/console/"


def test_operator_flows(services: Services, alice: Account) -> None:
    with services.db.write() as conn:
        operators.create_operator(conn, "root", "correct horse battery", NOW)
    client = TestClient(create_app(services), headers={"accept-language": "en-US"})
    assert operator_sign_in(client, "root", "wrong password!").status_code == 401
    assert operator_sign_in(client, "root", "correct horse battery").status_code == 303
    # A customer session is a different thing.
    assert client.get("/console/exports", follow_redirects=False).status_code == 303
    page = "/console/operator/accounts"
    created = post(client, page, page, {"name": "carol"})
    assert created.status_code == 200
    key_id = re.search(r"<code>(LTAI\w+)</code>", created.text)
    assert key_id is not None
    customer = signed_in(services, alice)
    post(client, f"/console/operator/accounts/{alice.id}/disable", page, {})
    assert customer.get("/console/exports", follow_redirects=False).status_code == 303
    post(client, f"/console/operator/accounts/{alice.id}/enable", page, {})
    rotated = post(client, f"/console/operator/accounts/{alice.id}/rotate", page, {})
    assert alice.access_key_id not in rotated.text
    domains = "/console/operator/domains"
    assert (
        post(client, domains, domains, {"account": "carol", "domains": "c.example.com"}).status_code
        == 303
    )
    post(
        client,
        "/console/operator/groups",
        domains,
        {"account": "carol", "group": "g1", "domains": "c.example.com"},
    )
    listing = client.get(domains).text
    assert "c.example.com" in listing and "g1" in listing
    assert "c.example.com" in client.get("/console/operator/freshness").text


def test_operators_see_the_queue_and_retry_a_failed_task(
    services: Services, alice: Account, clock: ManualClock
) -> None:
    from sqlalchemy import update

    from cdnexport.db import tasks
    from cdnexport.db.schema import export_task
    from tests.support import flow_spec

    with services.db.write() as conn:
        operators.create_operator(conn, "root", "correct horse battery", NOW)
        failed = tasks.insert_task(conn, alice.id, flow_spec(NOW, "broken"), NOW)
        conn.execute(
            update(export_task)
            .where(export_task.c.id == failed)
            .values(status="failed", error_message="disk <full>", attempts=5)
        )
        running = tasks.insert_task(conn, alice.id, flow_spec(NOW, "busy"), NOW)
        conn.execute(
            update(export_task)
            .where(export_task.c.id == running)
            .values(lease_owner="worker-7", lease_expires_at=NOW + 30, progress=42)
        )
        tasks.insert_task(conn, alice.id, flow_spec(NOW, "later"), NOW)
    client = TestClient(create_app(services), headers={"accept-language": "en-US"})
    operator_sign_in(client, "root", "correct horse battery")
    page = client.get("/console/operator/queue").text
    assert "disk &lt;full&gt;" in page
    assert "worker-7" in page and 'value="42"' in page
    assert "Running (1)" in page and "Waiting (1)" in page and "Failed (1)" in page
    live = {t["id"]: t for t in client.get("/console/operator/queue.json").json()["tasks"]}
    assert live[str(running)] == {"id": str(running), "status": "running", "progress": 42}
    resp = post(client, f"/console/operator/queue/{failed}/retry", "/console/operator/queue", {})
    assert resp.status_code == 303
    page = client.get("/console/operator/queue").text
    assert "Waiting (2)" in page and "Failed (0)" in page
    again = post(client, f"/console/operator/queue/{failed}/retry", "/console/operator/queue", {})
    assert again.status_code == 400
