"""The operator CLI, driven through typer's runner against a temporary data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdnexport.cli import app
from cdnexport.clock import SystemClock
from cdnexport.db import accounts
from cdnexport.demo_tenant import ensure_demo_tenant, usage_banner
from tests.support import make_services

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CDNEXPORT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CDNEXPORT_LOG_LEVEL", "WARNING")
    return tmp_path / "data"


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_account_domain_group_and_ingest(tmp_path: Path) -> None:
    created = json.loads(run("account", "create", "acme", "--json"))
    assert created["AccessKeyId"].startswith("LTAI") and len(created["AccessKeySecret"]) >= 30
    assert "added 2 domain(s)" in run(
        "domain", "add", "acme", "www.acme.example", "IMG.acme.example"
    )
    run("group", "create", "acme", "web", "www.acme.example", "img.acme.example")
    csv = tmp_path / "u.csv"
    csv.write_text(
        "time,domain,region,traffic_bytes\n"
        "2026-11-01T00:00:00Z,www.acme.example,CN,100\n"
        "2026-11-01T00:05:00Z,img.acme.example,EU,5\n"
    )
    assert "ingested 2 rows" in run("usage", "ingest", "acme", str(csv))


def test_errors_exit_2_with_a_message(tmp_path: Path) -> None:
    run("account", "create", "acme")
    result = runner.invoke(app, ["account", "create", "acme"])
    assert result.exit_code == 2 and "exists" in result.output
    result = runner.invoke(app, ["domain", "add", "nobody", "x.example"])
    assert result.exit_code == 2 and "no account" in result.output
    run("account", "create", "other")
    run("domain", "add", "other", "taken.example")
    result = runner.invoke(app, ["domain", "add", "acme", "taken.example"])
    assert result.exit_code == 2 and "another account" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("time,domain,region,traffic_bytes\n2026-11-01T00:01:00Z,taken.example,CN,1\n")
    result = runner.invoke(app, ["usage", "ingest", "acme", str(bad)])
    assert result.exit_code == 2 and "line 2" in result.output


def test_demo_usage_and_disable(data_dir: Path) -> None:
    run("account", "create", "d")
    assert "demo usage written" in run("usage", "demo", "d", "--domains", "2", "--days", "2")
    run("account", "disable", "d")
    services = make_services(data_dir.parent, SystemClock())
    with services.db.read() as conn:
        account = accounts.by_name(conn, "d")
        assert not account.active
        assert accounts.group_domains(conn, account.id, "demo") is not None
    run("account", "enable", "d")


def test_settings_and_migrate() -> None:
    assert "CDNEXPORT_DATABASE_URL" in run("settings")
    assert "schema is current" in run("migrate")


def test_demo_tenant_is_created_once_and_banner_has_a_runnable_snippet(tmp_path: Path) -> None:
    services = make_services(tmp_path, SystemClock())
    first = ensure_demo_tenant(services, domains=1, days=1)
    again = ensure_demo_tenant(services, domains=1, days=1)
    assert first == again
    banner = usage_banner(first, "http://127.0.0.1:8080", 1_780_000_000)
    assert first.access_key_id in banner and first.access_key_secret in banner
    assert 'endpoint="127.0.0.1:8080", protocol="http"' in banner
    assert 'start_time="2026-05-21T00:00:00Z", end_time="2026-05-28T00:00:00Z"' in banner
    snippet = banner.split("(pip install alibabacloud_cdn20180510):", 1)[1]
    compile(snippet, "<banner>", "exec")


def test_operator_add_stores_only_a_hash(data_dir: Path) -> None:
    from sqlalchemy import select

    from cdnexport.db import operators
    from cdnexport.db.schema import operator

    out = runner.invoke(
        app, ["operator", "add", "ops", "--password-stdin"], input="s3cret-enough!\n"
    )
    assert out.exit_code == 0, out.output
    assert "/console/operator/" in out.output
    short = runner.invoke(app, ["operator", "add", "ops2", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 12" in short.output
    again = runner.invoke(
        app, ["operator", "add", "ops", "--password-stdin"], input="s3cret-enough!\n"
    )
    assert again.exit_code == 2 and "exists" in again.output
    services = make_services(data_dir.parent, SystemClock(), data_dir=data_dir)
    with services.db.write() as conn:
        stored = conn.execute(select(operator.c.password_hash)).scalar_one()
        assert stored.startswith("$argon2id$") and "s3cret" not in stored
        assert operators.verify(conn, "ops", "s3cret-enough!") is not None
        assert operators.verify(conn, "ops", "s3cret-enough?") is None
        assert operators.verify(conn, "nobody", "s3cret-enough!") is None
    services.db.dispose()
