"""The bare endpoint Describe is compared with: Starlette answering a constant JSON body,
served like ``cdnexport serve`` serves the API (``python -m bench.bare_app HOST PORT``)."""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"RequestId":"00000000-0000-0000-0000-000000000000","UsageDataPerPage":{}}'


async def constant(_request: Request) -> Response:
    return Response(BODY, media_type="application/json")


async def healthz(_request: Request) -> Response:
    return Response(b"ok", media_type="text/plain")


app = Starlette(routes=[Route("/", constant, methods=["GET", "POST"]), Route("/healthz", healthz)])


def main(argv: list[str]) -> None:
    host, port = argv
    # The options of ``cdnexport serve`` with one API process (``cdnexport.web.serve``).
    uvicorn.run(app, host=host, port=int(port), log_level="warning", access_log=False)


if __name__ == "__main__":
    main(sys.argv[1:])
