"""Helpers shared by tests: services on a temporary SQLite file, and signed requests."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from cdnexport.clock import Clock
from cdnexport.config import Settings
from cdnexport.db import accounts
from cdnexport.db.accounts import Account
from cdnexport.db.engine import Database
from cdnexport.domain.task import ExportType, Language, ScopeKind, TaskSpec
from cdnexport.protocol.request import RpcRequest
from cdnexport.protocol.signature import sign_v1, sign_v3
from cdnexport.services import Services, build_services


@contextmanager
def migrated_database(url: str) -> Iterator[Database]:
    """A database at ``url`` on the newest schema, disposed afterwards."""
    db = Database(url)
    db.create_schema()
    try:
        yield db
    finally:
        db.dispose()


def flow_spec(end: int, name: str = "t", **changes: Any) -> TaskSpec:
    """A flow export of the whole account over the day before ``end``, in en-us and UTC;
    ``changes`` replace any field."""
    spec = TaskSpec(
        export_type=ExportType.FLOW,
        start=end - 86400,
        end=end,
        scope=ScopeKind.ACCOUNT,
        domains=(),
        group="",
        language=Language.EN_US,
        time_zone="UTC",
        name=name,
    )
    return dataclasses.replace(spec, **changes)


def make_services(tmp_path: Path, clock: Clock, **overrides: Any) -> Services:
    fields: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "public_url": "http://127.0.0.1:9",
        "url_secret": "test-url-secret",
    }
    settings = Settings(**(fields | overrides))
    return build_services(settings, clock=clock)


def add_account(services: Services, name: str, domains: tuple[str, ...] = ()) -> Account:
    with services.db.write() as conn:
        account = accounts.create_account(conn, name, int(services.clock.now()))
        if domains:
            accounts.add_domains(conn, account.id, list(domains))
    return account


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc3986(params: Mapping[str, str]) -> str:
    return urlencode(params, quote_via=quote, safe="~")


def v1_request(
    account: Account,
    action: str,
    params: Mapping[str, str],
    now: float,
    *,
    method: str = "POST",
    fmt: str = "JSON",
    nonce: str | None = None,
    secret: str | None = None,
    version: str = "2018-05-10",
) -> RpcRequest:
    """A request signed like the legacy SDK does: everything in the query, HMAC-SHA1."""
    full = {
        **params,
        "Action": action,
        "Version": version,
        "Format": fmt,
        "AccessKeyId": account.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "Timestamp": iso(now),
    }
    full["Signature"] = sign_v1(method, full, secret or account.access_key_secret)
    return RpcRequest(method, "/", _rfc3986(full), {"host": "127.0.0.1"}, b"")


def v3_request(
    account: Account,
    action: str,
    params: Mapping[str, str],
    now: float,
    *,
    nonce: str | None = None,
    accept: str = "application/json",
) -> RpcRequest:
    """A request signed like the tea SDK's default: ACS3-HMAC-SHA256 in the headers."""
    query = _rfc3986(params)
    headers = {
        "host": "127.0.0.1",
        "x-acs-action": action,
        "x-acs-version": "2018-05-10",
        "x-acs-date": iso(now),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
        "accept": accept,
    }
    headers["authorization"] = sign_v3(
        "POST", query, headers, b"", account.access_key_secret, account.access_key_id
    )
    return RpcRequest("POST", "/", query, headers, b"")
