"""The framework-neutral shape of an incoming RPC request and how its parameters are read.

Parameters come from the query string and, for form posts, the body, as both SDK families send.
Each name may appear once across both: a second value is refused rather than one silently
winning, and a value holding a NUL character is refused before it can reach a database that
cannot store it (PostgreSQL) or one that would store it silently (SQLite).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from cdnexport import errors

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
#: Names echoed in an error are cut to this many characters.
_ECHO_NAME = 64


@dataclass(frozen=True, slots=True)
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
    """
    return parse_qsl(text, keep_blank_values=True, errors="replace")


def has_form_body(req: RpcRequest) -> bool:
    """Whether the body is ``application/x-www-form-urlencoded`` (parameters ignored)."""
    media_type = req.headers.get("content-type", "").split(";", 1)[0]
    return media_type.strip().lower() == FORM_CONTENT_TYPE


def parse_params(req: RpcRequest) -> dict[str, str]:
    """All request parameters: the query string and the form body, if any.

    Raises InvalidParameter for a name given more than once (in one source or across both)
    and for a value holding a NUL character.
    """
    pairs = form_pairs(req.raw_query)
    if req.body and has_form_body(req):
        pairs += form_pairs(req.body.decode("utf-8", errors="replace"))
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise errors.InvalidParameter(_echo(name), "It was given more than once.")
        if "\0" in value or "\0" in name:
            raise errors.InvalidParameter(_echo(name), "It holds a NUL character.")
        params[name] = value
    return params


def _echo(name: str) -> str:
    """A parameter name as an error message may repeat it: bounded in length."""
    return name if len(name) <= _ECHO_NAME else f"{name[:_ECHO_NAME]}..."
