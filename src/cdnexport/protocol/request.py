"""The framework-neutral shape of an incoming RPC request and how its parameters are read.

Parameters come from the query string and, for form posts, the body, as both SDK families send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class RpcRequest:
    """One HTTP request as the web layer received it; header names are lower-case."""

    method: str
    path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes


def form_pairs(text: str) -> list[tuple[str, str]]:
    """Decode ``a=1&b=x+y`` form style, keeping blank values and the original order.

    ``+`` and ``%20`` both decode to a space, since the tea SDK sends one and the legacy SDK
    the other. Bytes that are not UTF-8 become U+FFFD rather than an error; such a request
    then simply fails signature verification.

    The result is ``parse_qsl(text, keep_blank_values=True, errors="replace")``'s; written
    out so that the many parts needing no decoding skip it (every request comes through here).
    """
    pairs = []
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in part or "+" in part:
            name = unquote(name.replace("+", " "), errors="replace")
            value = unquote(value.replace("+", " "), errors="replace")
        pairs.append((name, value))
    return pairs


def has_form_body(req: RpcRequest) -> bool:
    """Whether the body is ``application/x-www-form-urlencoded`` (parameters ignored)."""
    media_type = req.headers.get("content-type", "").split(";", 1)[0]
    return media_type.strip().lower() == FORM_CONTENT_TYPE


def parse_params(req: RpcRequest) -> dict[str, str]:
    """All request parameters: the query string, then the form body, if any, on top.

    On a name clash the body value wins and, within one source, the last occurrence wins.
    That matches how both official SDKs merge query and body before computing a V1
    signature, so the server signs exactly what the client signed.
    """
    params = dict(form_pairs(req.raw_query))
    if req.body and has_form_body(req):
        params.update(form_pairs(req.body.decode("utf-8", errors="replace")))
    return params
