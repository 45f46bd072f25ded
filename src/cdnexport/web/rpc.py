"""The RPC edge: authenticate one request, run its action, render the answer.

Framework-free (``RpcRequest`` in, ``RpcResponse`` out) so that the whole wire behaviour is
testable without a server; this is the one place where exceptions become error bodies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from cdnexport import errors
from cdnexport.api.context import RequestContext
from cdnexport.api.table import ACTIONS, API_VERSION
from cdnexport.db import accounts
from cdnexport.db.accounts import Account
from cdnexport.domain.window import parse_utc
from cdnexport.protocol.render import negotiate_format, new_request_id, render_body, render_error
from cdnexport.protocol.request import RpcRequest, parse_params
from cdnexport.protocol.signature import SignedInfo, extract, verify
from cdnexport.ratelimit import retry_after_seconds
from cdnexport.services import Services

log = logging.getLogger(__name__)
HOST_ID = "cdn.aliyuncs.com"


@dataclass(frozen=True, slots=True)
class RpcResponse:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


class RpcEdge:
    def __init__(self, services: Services) -> None:
        self._services = services

    def handle(self, req: RpcRequest) -> RpcResponse:
        request_id = new_request_id()
        fmt: Literal["JSON", "XML"] = "XML"
        action = ""
        try:
            params = parse_params(req)
            fmt = _safe_format(params, req.headers)
            info = extract(req, params)
            action = info.action
            fmt = negotiate_format(params, req.headers, info.version)
            body = self._dispatch(req, params, info, request_id)
        except errors.ServiceError as exc:
            return self._error(exc, request_id, fmt)
        except Exception:
            log.exception("request %s (%s) failed", request_id, action or "?")
            return self._error(errors.InternalError(), request_id, fmt)
        payload, ctype = render_body(action, {"RequestId": request_id, **body}, fmt)
        return RpcResponse(200, payload, ctype, {"x-acs-request-id": request_id})

    def _dispatch(
        self, req: RpcRequest, params: Mapping[str, str], info: SignedInfo, request_id: str
    ) -> dict[str, object]:
        services = self._services
        settings = services.settings
        handler = ACTIONS.get(info.action)
        if handler is None:
            raise errors.ActionNotFound()
        if info.api_version != API_VERSION:
            raise errors.InvalidVersion()
        now = int(services.clock.now())
        signed_at = parse_utc(info.timestamp)
        if signed_at is None:
            raise errors.TimestampFormat()
        if abs(now - signed_at) > settings.timestamp_tolerance_seconds:
            raise errors.TimestampExpired()
        account = self._account(info.access_key_id)
        verify(req, params, info, account.access_key_secret)
        if not services.nonces.use(info.access_key_id, info.nonce, now, settings.nonce_ttl_seconds):
            raise errors.NonceUsed()
        wait = services.limiter.acquire(f"{account.id}:{info.action}", services.clock.now())
        if wait > 0:
            raise errors.Throttled(retry_after_seconds(wait))
        ctx = RequestContext(request_id=request_id, account=account, now=now, services=services)
        return handler(ctx, params)

    def _account(self, access_key_id: str) -> Account:
        with self._services.db.read() as conn:
            account = accounts.by_access_key(conn, access_key_id)
        if account is None:
            raise errors.AccessKeyNotFound()
        if not account.active:
            raise errors.AccessKeyInactive()
        return account

    def _error(
        self, exc: errors.ServiceError, request_id: str, fmt: Literal["JSON", "XML"]
    ) -> RpcResponse:
        payload, ctype = render_error(exc, request_id, HOST_ID, fmt)
        headers = {"x-acs-request-id": request_id}
        if isinstance(exc, errors.Throttled):
            headers["x-acs-retry-after"] = str(exc.retry_after)
        return RpcResponse(exc.http_status, payload, ctype, headers)


def _safe_format(params: Mapping[str, str], headers: Mapping[str, str]) -> Literal["JSON", "XML"]:
    """The format to report errors in before the request is understood."""
    if params.get("Format", "").upper() == "JSON":
        return "JSON"
    if "json" in headers.get("accept", "") and not params.get("Format"):
        return "JSON"
    return "XML"
