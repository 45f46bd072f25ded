"""``create_app``: the ASGI application, with its routes passed to the constructor.

The RPC endpoint at ``/`` reads a request within ``Settings.max_request_bytes`` (refusing a
larger one before reading its body) and hands it to ``RpcEdge.handle`` in a thread: the one way
every call is served, whatever the backends.

Threads rather than the event loop, because a call may wait on a database lock, a network round
trip or an outage, and none of that may hold up the other calls; a few threads rather than
many (``Settings.request_threads``), because the calls share one interpreter lock: with 40
threads a process spent several times the CPU per call of one with 8, switching between them.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from cdnexport import errors, metrics
from cdnexport.api.table import ACTIONS
from cdnexport.protocol.request import RpcRequest
from cdnexport.services import Services
from cdnexport.storage.local import InvalidLink, LocalBlobStore
from cdnexport.storage.media import content_type
from cdnexport.web.console import create_console
from cdnexport.web.rpc import RpcEdge, RpcResponse

log = logging.getLogger(__name__)
Lifespan = Callable[[Starlette], Any]
RPC_METHODS = frozenset({"GET", "HEAD", "POST"})


class RpcEndpoint:
    """The ASGI endpoint of every RPC call (any HTTP method reaches it, to be answered in
    Alibaba's error shape when it is not one the API takes)."""

    def __init__(self, edge: RpcEdge, max_bytes: int, threads: int) -> None:
        self._edge = edge
        self._max_bytes = max_bytes
        self._threads = threads
        self._limiter: anyio.CapacityLimiter | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request = Request(scope, receive)
        method = request.method
        headers = dict(request.headers.items())  # names in lower case
        query = scope["query_string"].decode("latin-1")
        head = RpcRequest(method, "/", query, headers, b"")
        result: RpcResponse
        if method not in RPC_METHODS:
            result = self._edge.refuse(errors.UnsupportedHTTPMethod(method), head)
        else:
            body = await self._body(request, len(query), headers.get("content-length", ""))
            if body is None:
                result = self._edge.refuse(errors.RequestTooLarge(self._max_bytes), head)
            else:
                req = RpcRequest(method, scope["path"], query, headers, body)
                if self._limiter is None:  # made on the event loop that serves
                    self._limiter = anyio.CapacityLimiter(self._threads)
                result = await anyio.to_thread.run_sync(
                    self._edge.handle, req, limiter=self._limiter
                )
        response = Response(
            b"" if method == "HEAD" else result.body,
            status_code=result.status,
            headers=result.headers,
            media_type=result.content_type,
        )
        if method == "HEAD":
            response.headers["content-length"] = str(len(result.body))
        await response(scope, receive, send)
        # A name the client made up is not a label: it would grow the metrics without bound.
        action = result.action if result.action in ACTIONS else ""
        metrics.observe_call(action, result.code, time.perf_counter() - started)

    async def _body(self, request: Request, query_bytes: int, declared: str) -> bytes | None:
        """The body, or None when it and the query together pass the limit (checked on the
        declared length before reading, and again as it arrives)."""
        room = self._max_bytes - query_bytes
        if room < 0 or (declared.isascii() and declared.isdigit() and int(declared) > room):
            return None
        chunks = bytearray()
        async for chunk in request.stream():
            chunks += chunk
            if len(chunks) > room:
                return None
        return bytes(chunks)


def _unreachable(services: Services) -> list[str]:
    down = []
    for name, probe in services.probes:
        try:
            probe()
        except Exception as exc:  # any failure of a probe means "not ready"
            log.warning("readiness: %s unavailable: %s", name, str(exc).splitlines()[:1])
            down.append(name)
    return down


def create_app(
    services: Services, *, background: Lifespan | None = None, freeze_heap: bool = False
) -> Starlette:
    """The RPC endpoint at ``/``, download links at ``/download/...``, liveness at ``/healthz``,
    readiness (the database and Redis answer) at ``/readyz`` and Prometheus' ``/metrics``.

    ``background`` is an optional lifespan (e.g. in-process export workers) run with the app.
    ``freeze_heap`` (for a server process, not tests) hides what exists once the app has
    started from the garbage collector (``gc.freeze``): modules, settings and the like, which
    each full collection would otherwise scan again (measured here under load: 40-46 ms each,
    the whole of the p99 latency).
    """
    edge = RpcEdge(services)
    settings = services.settings

    async def download(request: Request) -> Response:
        store = services.store
        if not isinstance(store, LocalBlobStore):
            return PlainTextResponse("Not Found", status_code=404)
        key = request.path_params["key"]
        query = request.query_params
        filename = query.get("name", "")
        try:
            path = store.resolve(
                key,
                filename,
                query.get("Expires", ""),
                query.get("Signature", ""),
                int(services.clock.now()),
            )
        except InvalidLink:
            return PlainTextResponse("Forbidden: invalid or expired link", status_code=403)
        name = filename or path.name
        return FileResponse(path, filename=name, media_type=content_type(name))

    async def healthz(_request: Request) -> Response:
        """Liveness: the process answers."""
        return PlainTextResponse("ok")

    async def metrics_page(_request: Request) -> Response:
        """The Prometheus scrape: every process's counters, and the queue as stored."""
        body, content_type = await anyio.to_thread.run_sync(
            metrics.render_metrics, services.db, services.clock.now()
        )
        return Response(body, media_type=content_type, headers={"cache-control": "no-store"})

    async def readyz(_request: Request) -> Response:
        """Readiness: every dependency answers (503, naming the ones that do not)."""
        down = await anyio.to_thread.run_sync(_unreachable, services)
        if down:
            return PlainTextResponse(f"unavailable: {', '.join(down)}", status_code=503)
        return PlainTextResponse("ready")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if freeze_heap:
            gc.collect()
            gc.freeze()
        if background is None:
            yield
        else:
            async with background(app):
                yield

    return Starlette(
        routes=[
            Route("/", RpcEndpoint(edge, settings.max_request_bytes, settings.request_threads)),
            Route("/download/{key:path}", download, methods=["GET", "HEAD"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Mount("/console", app=create_console(services)),
            Route("/metrics", metrics_page, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
