"""The RPC edge: authenticate one request, run its action, render the answer.

Framework-free (``RpcRequest`` in, ``RpcResponse`` out) so that the whole wire behaviour is
testable without a server; this is the one place where exceptions become error bodies.

Every call takes the same steps whatever the database, nonce store or rate limiter behind
them: parse, authenticate (action, version, timestamp, AccessKey, signature), record the nonce,
take the rate limit, run the action, render. ``handle`` is synchronous and blocking, and the
web layer runs it in a thread: a call's database, Redis and object-store work then never holds
up the event loop, whatever the engine and however long a lock or an outage makes it wait.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from cdnexport import errors, logs, metrics
from cdnexport.api.context import RequestContext
from cdnexport.api.table import ACTIONS, API_VERSION
from cdnexport.db import accounts
from cdnexport.db.accounts import Account
from cdnexport.domain.window import parse_utc
from cdnexport.outages import outage_of
from cdnexport.protocol.render import negotiate_format, new_request_id, render_body, render_error
from cdnexport.protocol.request import RpcRequest, form_pairs, parse_params
from cdnexport.protocol.signature import SignedInfo, extract, verify
from cdnexport.ratelimit import retry_after_seconds
from cdnexport.services import Services
from cdnexport.web.access_keys import AccessKeyCache

log = logging.getLogger(__name__)
HOST_ID = "cdn.aliyuncs.com"

Format = Literal["JSON", "XML"]


@dataclass(frozen=True, slots=True)
class RpcResponse:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    #: The action named by the call ("" when unknown) and the error Code ("" on success).
    action: str = ""
    code: str = ""


class RpcEdge:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._keys = AccessKeyCache(
            lambda key: accounts.find_access_key(services.db, key),
            services.clock.now,
            services.settings.access_key_cache_seconds,
        )

    def handle(self, req: RpcRequest) -> RpcResponse:
        """Answer one call (blocking: run it in a thread, not on an event loop)."""
        request_id = new_request_id()
        with logs.request_context(request_id):
            return self._handle(req, request_id)

    def _handle(self, req: RpcRequest, request_id: str) -> RpcResponse:
        fmt: Format | None = None  # known once negotiated; errors before that use _safe_format
        action = ""
        try:
            params = parse_params(req)
            info = extract(req, params)
            action = info.action
            fmt = negotiate_format(params, req.headers, info.version)
            return self._run(req, params, info, request_id, fmt)
        except errors.ServiceError as exc:
            return self.error(exc, request_id, fmt or _safe_format(req), action)
        except Exception as exc:
            dependency = outage_of(exc)
            error_fmt = fmt or _safe_format(req)
            if dependency is not None:
                # An outage is one line in the log, not a trace per call.
                log.warning(
                    "request %s (%s): %s unavailable: %s",
                    request_id, action or "?", dependency, _first_line(exc),
                )  # fmt: skip
                metrics.OUTAGES.labels(dependency).inc()
                return self.error(errors.ServiceUnavailable(), request_id, error_fmt, action)
            log.exception("request %s (%s) failed", request_id, action or "?")
            return self.error(errors.InternalError(), request_id, error_fmt, action)

    def refuse(self, exc: errors.ServiceError, req: RpcRequest) -> RpcResponse:
        """The error answer to a call refused before it is read (its method, its size)."""
        return self.error(exc, new_request_id(), _safe_format(req))

    def _run(
        self,
        req: RpcRequest,
        params: Mapping[str, str],
        info: SignedInfo,
        request_id: str,
        fmt: Format,
    ) -> RpcResponse:
        services = self._services
        settings = services.settings
        action = ACTIONS.get(info.action)
        if action is None:
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
        rate = action.rate_per_second or settings.rate_limit_per_second
        wait = services.limiter.acquire(f"{account.id}:{info.action}", rate, services.clock.now())
        if wait > 0:
            raise errors.Throttled(retry_after_seconds(wait))
        parsed = action.parse(params, now)
        result = action.run(RequestContext(request_id, account, now, services), parsed)
        payload, ctype = render_body(
            info.action, {"RequestId": request_id, **result.to_wire()}, fmt
        )
        return RpcResponse(200, payload, ctype, {"x-acs-request-id": request_id}, info.action)

    def _account(self, access_key_id: str) -> Account:
        account = self._keys.get(access_key_id)
        if account is None:
            raise errors.AccessKeyNotFound()
        if not account.active:
            raise errors.AccessKeyInactive()
        return account

    def error(
        self, exc: errors.ServiceError, request_id: str, fmt: Format, action: str = ""
    ) -> RpcResponse:
        payload, ctype = render_error(exc, request_id, HOST_ID, fmt)
        headers = {"x-acs-request-id": request_id}
        if isinstance(exc, errors.Throttled):
            headers["x-acs-retry-after"] = str(exc.retry_after)
        elif isinstance(exc, errors.ServiceUnavailable):
            # The standard header: the tea SDK turns x-acs-retry-after into a throttling error.
            headers["retry-after"] = str(exc.retry_after)
        elif isinstance(exc, errors.UnsupportedHTTPMethod):
            headers["allow"] = "GET, HEAD, POST"
        return RpcResponse(exc.http_status, payload, ctype, headers, action, exc.code)


def _safe_format(req: RpcRequest) -> Format:
    """The format to report errors in before the request is understood: its query's last
    ``Format``, or JSON for a V3 client that accepts it, else XML."""
    requested = dict(form_pairs(req.raw_query)).get("Format", "").strip().upper()
    if requested == "JSON":
        return "JSON"
    if "json" in req.headers.get("accept", "") and not requested:
        return "JSON"
    return "XML"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200] if text else ''}"
