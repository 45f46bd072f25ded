"""``create_app``: the ASGI application, with its routes passed to the constructor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from cdnexport.protocol.request import RpcRequest
from cdnexport.services import Services
from cdnexport.storage.local import InvalidLink, LocalBlobStore
from cdnexport.web.rpc import RpcEdge

Lifespan = Callable[[Starlette], Any]


def create_app(services: Services, *, background: Lifespan | None = None) -> Starlette:
    """The RPC endpoint at ``/``, download links at ``/download/...``, health at ``/healthz``.

    ``background`` is an optional lifespan (e.g. in-process export workers) run with the app.
    """
    edge = RpcEdge(services)

    async def rpc(request: Request) -> Response:
        body = await request.body()
        req = RpcRequest(
            method=request.method,
            path=request.url.path,
            raw_query=request.url.query,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
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
        if background is None:
            yield
            return
        async with background(app):
            yield

    return Starlette(
        routes=[
            Route("/", rpc, methods=["GET", "POST"]),
            Route("/download/{key:path}", download, methods=["GET", "HEAD"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
