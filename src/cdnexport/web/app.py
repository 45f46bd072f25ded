"""``create_app``: the ASGI application, with its routes passed to the constructor.

The RPC endpoint at ``/`` is a plain ASGI callable in front of Starlette rather than one of its
routes: it is every API call's path, and Starlette's request, response, routing and middleware
objects cost about 12 µs a call, a third of what uvicorn itself spends (measured with wrk on
this kind of machine: a constant body at 51k requests/s as plain ASGI, 32k as a route).
Everything else (downloads, health, the lifespan) goes to Starlette.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from cdnexport.db.nonces import BatchNonceStore
from cdnexport.protocol.request import RpcRequest
from cdnexport.services import Services
from cdnexport.storage.local import InvalidLink, LocalBlobStore
from cdnexport.web.nonce_batch import NonceBatcher
from cdnexport.web.rpc import RpcEdge, RpcResponse

Lifespan = Callable[[Starlette], Any]
RPC_METHODS = frozenset({"GET", "HEAD", "POST"})
ALLOW = b"GET, HEAD, POST"
PLAIN = b"text/plain; charset=utf-8"


def create_app(
    services: Services, *, background: Lifespan | None = None, freeze_heap: bool = False
) -> ASGIApp:
    """The RPC endpoint at ``/``, download links at ``/download/...``, health at ``/healthz``.

    ``background`` is an optional lifespan (e.g. in-process export workers) run with the app.
    ``freeze_heap`` (for a server process, not tests) hides what exists once the app has
    started from the garbage collector (``gc.freeze``): modules, settings and the like, which
    a full collection would otherwise scan every time. Measured here under Describe load,
    those collections took 40-46 ms each and were the whole of the p99 latency. It also makes
    the collector run less often.
    Where ``RpcEdge.inline`` allows it, and while the lifespan runs, calls are served on the
    event loop with their nonces batched; otherwise each call runs in a thread.
    """
    edge = RpcEdge(services)
    nonces = services.nonces
    batcher = (
        NonceBatcher(nonces, on_flush=edge.observe_changes)
        if edge.inline and isinstance(nonces, BatchNonceStore)
        else None
    )
    running: list[NonceBatcher] = []  # the batcher, while the lifespan runs

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        # The RPC endpoint is served here (not by a function this one calls: every frame
        # between the server and an awaiting call is resumed again when the call goes on).
        if scope["type"] != "http" or scope["path"] != "/":
            await rest(scope, receive, send)
            return
        method = scope["method"]
        if method not in RPC_METHODS:
            await _send(send, 405, b"Method Not Allowed", PLAIN, [(b"allow", ALLOW)])
            return
        # ASGI servers hand over header names in lower case already.
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        body = await _body(receive) if _has_body(headers) else b""
        query = scope["query_string"].decode("latin-1")
        req = RpcRequest(method, scope["path"], query, headers, body)
        if not running:
            # Database work may wait on a lock held by a worker; keep it off the event loop.
            result = await run_in_threadpool(edge.handle, req)
        else:
            # On the loop, which holds its own database connection (``lifespan``).
            step = edge.admit(req, held=True)
            if isinstance(step, RpcResponse):
                result = step
            else:
                recorded = running[0].submit(step.nonce)
                # A failure reaches complete() through recorded.result; try costs less than
                # contextlib.suppress, a context manager made for every call.
                try:  # noqa: SIM105
                    await recorded
                except Exception:  # noqa: S110
                    pass
                if step.reads_only:
                    result = edge.complete(step, recorded.result, held=True)
                else:
                    result = await run_in_threadpool(edge.complete, step, recorded.result)
        extra = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in result.headers.items()]
        payload = b"" if method == "HEAD" else result.body
        await _send(
            send, result.status, payload, result.content_type.encode("latin-1"), extra,
            len(result.body),
        )  # fmt: skip

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
        return FileResponse(
            path,
            filename=filename or path.name,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if batcher is not None:
            batcher.attach(asyncio.get_running_loop())
            running.append(batcher)
        if freeze_heap:
            gc.collect()
            gc.freeze()
            # Calls make few reference cycles; collect the young ones every 50,000 new
            # objects rather than every 700 (a few µs a call under load, measured).
            gc.set_threshold(50_000, 20, 100)
        try:
            with edge.lend() if batcher is not None else contextlib.nullcontext():
                if background is None:
                    yield
                else:
                    async with background(app):
                        yield
        finally:
            running.clear()
            if batcher is not None:
                batcher.flush()
                batcher.attach(None)
            edge.close()

    rest = Starlette(
        routes=[
            Route("/download/{key:path}", download, methods=["GET", "HEAD"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )

    return app


def _has_body(headers: Mapping[str, str]) -> bool:
    """Whether an HTTP/1.1 request has a body: only Content-Length or chunking gives one."""
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away; the call is answered to nobody
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(
    send: Send,
    status: int,
    payload: bytes,
    content_type: bytes,
    extra: list[tuple[bytes, bytes]],
    length: int | None = None,
) -> None:
    size = len(payload) if length is None else length
    headers = [(b"content-type", content_type), (b"content-length", str(size).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
