"""``create_app``: the ASGI application, with its routes passed to the constructor."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from cdnexport.db.nonces import BatchNonceStore
from cdnexport.protocol.request import RpcRequest
from cdnexport.services import Services
from cdnexport.storage.local import InvalidLink, LocalBlobStore
from cdnexport.web.nonce_batch import NonceBatcher
from cdnexport.web.rpc import RpcEdge, RpcResponse

Lifespan = Callable[[Starlette], Any]


def create_app(services: Services, *, background: Lifespan | None = None) -> Starlette:
    """The RPC endpoint at ``/``, download links at ``/download/...``, health at ``/healthz``.

    ``background`` is an optional lifespan (e.g. in-process export workers) run with the app.
    Where ``RpcEdge.inline`` allows it, and while the lifespan runs, calls are served on the
    event loop with their nonces batched; otherwise each call runs in a thread.
    """
    edge = RpcEdge(services)
    nonces = services.nonces
    batcher = NonceBatcher(nonces) if edge.inline and isinstance(nonces, BatchNonceStore) else None
    running: list[NonceBatcher] = []  # the batcher, once the lifespan has started it

    async def on_loop(req: RpcRequest, batcher: NonceBatcher) -> RpcResponse:
        with edge.lend():
            step = edge.admit(req)
        if isinstance(step, RpcResponse):
            return step
        recorded = batcher.submit(step.nonce)
        with contextlib.suppress(Exception):
            await recorded  # a failure reaches complete() through recorded.result
        if step.reads_only:
            with edge.lend():
                return edge.complete(step, recorded.result)
        return await run_in_threadpool(edge.complete, step, recorded.result)

    async def rpc(request: Request) -> Response:
        body = await request.body()
        scope = request.scope
        req = RpcRequest(
            method=request.method,
            path=scope["path"],
            raw_query=scope["query_string"].decode("latin-1"),
            # ASGI servers hand over header names in lower case already.
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            body=body,
        )
        if running:
            result = await on_loop(req, running[0])
        else:
            # Database work may wait on a lock held by a worker; keep it off the event loop.
            result = await run_in_threadpool(edge.handle, req)
        return Response(
            result.body, status_code=result.status, media_type=None,
            headers={"content-type": result.content_type, **result.headers},
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
            batcher.start()
            running.append(batcher)
        try:
            if background is None:
                yield
                return
            async with background(app):
                yield
        finally:
            running.clear()
            if batcher is not None:
                batcher.stop()
            edge.close()

    return Starlette(
        routes=[
            Route("/", rpc, methods=["GET", "POST"]),
            Route("/download/{key:path}", download, methods=["GET", "HEAD"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
