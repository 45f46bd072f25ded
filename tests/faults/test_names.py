"""Names at the door and in the workbook: the CLI refuses names that are not hostnames, and a
name that reached the database anyway (a control character, ``<&``) still makes a workbook every
XML parser reads."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from cdnexport.cli import app
from cdnexport.clock import ManualClock
from cdnexport.db import accounts, tasks
from cdnexport.db.schema import domain, domain_group, group_member
from cdnexport.domain.regions import REGION_ID
from cdnexport.domain.task import ExportType, ScopeKind, TaskStatus
from cdnexport.services import Services
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore
from cdnexport.worker.runner import WRITERS, Worker
from tests.support import add_account, flow_spec, make_services

DAY = 86400
NOW = 1_780_000_000
START = (NOW // DAY - 2) * DAY
HOSTILE_DOMAIN = "bad\x01<&>.example.com"
HOSTILE_GROUP = 'g\x07<&>"\x1f'


@pytest.fixture(params=sorted(WRITERS))
def services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, ManualClock(NOW), workbook_writer=request.param)
    yield svc
    svc.db.dispose()


@pytest.mark.parametrize("export_type", [ExportType.VAS, ExportType.FLOW])
def test_hostile_names_in_the_database_still_make_a_well_formed_workbook(
    services: Services, export_type: ExportType
) -> None:
    account = add_account(services, "acct<&\x02", ("ok.example.com",))
    with services.db.write() as conn:
        # Straight into the table, as an older cdnexport's CLI let through.
        conn.execute(insert(domain).values(account_id=account.id, name=HOSTILE_DOMAIN))
        ids = accounts.domain_ids(conn, account.id, ["ok.example.com", HOSTILE_DOMAIN])
        assert ids is not None
        group_id = conn.execute(
            insert(domain_group).values(account_id=account.id, name=HOSTILE_GROUP)
        ).inserted_primary_key
        assert group_id is not None
        conn.execute(
            insert(group_member), [{"group_id": group_id[0], "domain_id": i} for i in ids.values()]
        )
        rows = [
            (domain_id, REGION_ID["CN"], START + 300 * i, 1000 + i, i, i, i)
            for domain_id in ids.values()
            for i in range(12)
        ]
        assert isinstance(services.usage, SqlUsageStore)
        services.usage.upsert(conn, SampleBatch.from_rows(rows))
        spec = flow_spec(
            START + DAY, "name<&\x03", export_type=export_type, scope=ScopeKind.GROUP,
            group=HOSTILE_GROUP,
        )  # fmt: skip
        task_id = tasks.insert_task(conn, account.id, spec, NOW)
    assert Worker(services).run_once()
    with services.db.read() as conn:
        task = tasks.get_task(conn, account.id, task_id)
    assert task is not None and task.status is TaskStatus.SUCCESS, task
    path = services.settings.exports_dir / task.file_key
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                ET.fromstring(archive.read(name))  # raises on a part that is not well-formed
    book = openpyxl.load_workbook(path)
    try:
        texts = {str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row}
    finally:
        book.close()
    assert any("<&>" in text for text in texts)


def cli(*argv: str, data_dir: Path) -> Any:
    env = {"CDNEXPORT_DATA_DIR": str(data_dir), "CDNEXPORT_URL_SECRET": "s"}
    return CliRunner().invoke(app, list(argv), env=env)


@pytest.mark.parametrize(
    "name",
    [
        "bad\x01.example.com",
        "a<b>.com",
        "two words.com",
        "lead-.example.com",
        "a..b",
        "",
        "x" * 254,
    ],
)
def test_cli_refuses_domain_names_that_are_not_hostnames(tmp_path: Path, name: str) -> None:
    assert cli("account", "create", "acme", data_dir=tmp_path).exit_code == 0
    result = cli("domain", "add", "acme", "ok.example.com", name, data_dir=tmp_path)
    assert result.exit_code != 0
    assert "not a valid domain name" in result.output
    services = make_services(tmp_path.parent / tmp_path.name, ManualClock(NOW))
    try:
        with services.db.read() as conn:
            assert list(conn.execute(select(domain.c.name)).scalars()) == []
    finally:
        services.db.dispose()


@pytest.mark.parametrize("name", ["web\x00", "tab\tname", "a\x7fb", "", " ", "x" * 129])
def test_cli_refuses_group_names_with_control_characters(tmp_path: Path, name: str) -> None:
    assert cli("account", "create", "acme", data_dir=tmp_path).exit_code == 0
    assert cli("domain", "add", "acme", "ok.example.com", data_dir=tmp_path).exit_code == 0
    result = cli("group", "create", "acme", name, "ok.example.com", data_dir=tmp_path)
    assert result.exit_code != 0
    assert "not a valid group name" in result.output


def test_cli_accepts_ordinary_names(tmp_path: Path) -> None:
    assert cli("account", "create", "acme", data_dir=tmp_path).exit_code == 0
    added = cli("domain", "add", "acme", "OK.Example.com", "*.wild.example.com", "xn--fsq.cn",
                data_dir=tmp_path)  # fmt: skip
    assert added.exit_code == 0, added.output
    grouped = cli("group", "create", "acme", "Web 组 <1>", "ok.example.com", data_dir=tmp_path)
    assert grouped.exit_code == 0, grouped.output
