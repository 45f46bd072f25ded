"""The framework-neutral shape of an incoming RPC request and how its parameters are read.

Parameters come from the query string and, for form posts, the body, as both SDK families send.

Every request comes through here, so the reading is hand-written rather than ``parse_qsl``.
Most query parts need no decoding at all. A query whose raw text is already in the RFC 3986 form
a V1 signature is computed over (what the SDKs send) is decoded in one pass and marked, so that
the signature check can sort that text instead of encoding every parameter again.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

# A query in canonical form: ``name=value`` parts joined by ``&``, each name made of unreserved
# characters only, each value of unreserved characters and upper-case ``%XX`` escapes of the
# ASCII bytes RFC 3986 encoding escapes (so not of ``A-Z a-z 0-9 - . _ ~``). Decoding such a
# value and encoding it again gives back the same text. ``%26`` (an ``&`` in a value) is left
# out as well, for ``_decode_canonical``'s sake.
_UNRESERVED = "A-Za-z0-9_.~-"
_ESCAPE = "%(?:[01][0-9A-F]|2[0-57-9A-CF]|3[A-F]|40|5[B-E]|60|7[B-DF])"
_PART = f"[{_UNRESERVED}]++=[{_UNRESERVED}]*+(?:{_ESCAPE}[{_UNRESERVED}]*+)*+"
_CANONICAL_QUERY = re.compile(f"{_PART}(?:&{_PART})*+")


@dataclass(slots=True)  # not frozen: built for every call, and frozen ones build slowly
class RpcRequest:
    """One HTTP request as the web layer received it; header names are lower-case."""

    method: str
    path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes


class Params(dict[str, str]):
    """Decoded request parameters, a plain dict to every reader, that may also know the raw
    query they were read from when that query is already in canonical form (``_CANONICAL_QUERY``).

    The knowledge only holds while the contents stay as read, which ``canonical_query`` checks.
    """

    __slots__ = ("_as_read", "_canonical_query")

    def keep_canonical_query(self, query: str) -> None:
        """Record that ``query``, in canonical form, holds exactly the parameters now held."""
        self._canonical_query = query
        self._as_read = dict(self)

    def canonical_query(self) -> str | None:
        """The query ``keep_canonical_query`` recorded, if the contents are still as they were."""
        query: str | None = getattr(self, "_canonical_query", None)
        if query is None or self != self._as_read:
            return None
        return query


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


def _decode_canonical(query: str) -> list[str]:
    """The names and values of a query in canonical form, decoded, alternating.

    With each ``=`` after a name turned into ``&``, names and values alternate between the
    ``&``s; with each ``%`` then turned into ``=``, binascii's quoted-printable decoder (``=XX``
    is byte XX, every other character stays) percent-decodes the whole query in C, several
    times faster than ``unquote`` part by part. ``_CANONICAL_QUERY`` lets no ``%26`` through,
    so every ``&`` left separates.
    """
    text = query.replace("=", "&").replace("%", "=")
    return binascii.a2b_qp(text).decode("ascii").split("&")


def _canonical_params(raw_query: str) -> Params | None:
    """The parameters of a query already in canonical form; None for anything else (a repeated
    name included), which the general path reads."""
    if not _CANONICAL_QUERY.fullmatch(raw_query):
        return None
    fields = _decode_canonical(raw_query)
    # Names and values alternate (the regex saw one "=" per part); zip's strict= would cost as
    # much again as the pairing itself.
    pairs = iter(fields)
    params = Params(zip(pairs, pairs))  # noqa: B905
    if 2 * len(params) != len(fields):
        return None  # a repeated name, whose earlier parts the canonical query would keep
    params.keep_canonical_query(raw_query)
    return params


def has_form_body(req: RpcRequest) -> bool:
    """Whether the body is ``application/x-www-form-urlencoded`` (parameters ignored)."""
    media_type = req.headers.get("content-type", "").split(";", 1)[0]
    return media_type.strip().lower() == FORM_CONTENT_TYPE


def parse_params(req: RpcRequest) -> dict[str, str]:
    """All request parameters: the query string, then the form body, if any, on top.

    On a name clash the body value wins and, within one source, the last occurrence wins.
    That matches how both official SDKs merge query and body before computing a V1
    signature, so the server signs exactly what the client signed.

    The result is a ``Params``; when the body adds nothing and the query is already in
    canonical form, its ``canonical_query()`` returns that query.
    """
    with_body = bool(req.body) and has_form_body(req)
    if not with_body:
        canonical = _canonical_params(req.raw_query)
        if canonical is not None:
            return canonical
    params = Params(form_pairs(req.raw_query))
    if with_body:
        params.update(form_pairs(req.body.decode("utf-8", errors="replace")))
    return params
