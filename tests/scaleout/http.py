"""Sending a signed RPC request to a live server over HTTP, as the scale-out tests do."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from cdnexport.protocol.request import RpcRequest


def send(url: str, req: RpcRequest) -> tuple[int, dict[str, Any]]:
    """POST the request's query to ``url``; the status and the JSON body, errors included."""
    target = f"{url}/?{req.raw_query}"
    request = urllib.request.Request(target, data=b"", method="POST")  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310 - loopback
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())
