"""Response bodies on the wire: format negotiation, JSON/XML rendering and the error body.

The XML is written by hand because Alibaba's shape (lists as repeated elements named after
their key, no wrapper, lower-case booleans) is not what a generic dict-to-XML library emits.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from cdnexport.errors import ServiceError, UnsupportedFormat

Format = Literal["JSON", "XML"]

JSON_CONTENT_TYPE = "application/json;charset=utf-8"
XML_CONTENT_TYPE = "text/xml;charset=utf-8"
XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>"
RECOMMEND_URL = "https://api.aliyun.com/troubleshoot"
PRODUCT = "Cdn"

_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# Characters XML 1.0 cannot carry at all, even escaped; user text (task names) could hold them.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _accepts_json(accept: str) -> bool:
    media_types = (part.split(";", 1)[0].strip().lower() for part in accept.split(","))
    return "application/json" in media_types


def negotiate_format(params: Mapping[str, str], headers: Mapping[str, str], version: str) -> Format:
    """The response format: ``Format`` (any case) first, then V3's ``accept``, else XML.

    ``version`` is the signature scheme, ``"v1"`` or ``"v3"``. XML is the default because the
    CDN common-parameter page says so; a blank ``Format`` counts as absent. Any other value
    raises UnsupportedFormat, which the caller then renders in the default format.
    """
    requested = params.get("Format", "").strip().upper()
    if requested == "JSON":
        return "JSON"
    if requested == "XML":
        return "XML"
    if requested:
        raise UnsupportedFormat()
    if version == "v3" and _accepts_json(headers.get("accept", "")):
        return "JSON"
    return "XML"


def _json_default(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} cannot be rendered as JSON")


def _xml_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_XML_FORBIDDEN.sub("\ufffd", str(value)))


def _xml_element(parts: list[str], name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, list | tuple):
        for item in value:
            _xml_element(parts, name, item)
        return
    if not _XML_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not usable as an XML element name")
    if isinstance(value, Mapping):
        parts.append(f"<{name}>")
        for key, item in value.items():
            _xml_element(parts, str(key), item)
        parts.append(f"</{name}>")
    else:
        parts.append(f"<{name}>{_xml_text(value)}</{name}>")


def _render(root: str, body: Mapping[str, object], fmt: Format) -> tuple[bytes, str]:
    if fmt == "JSON":
        text = json.dumps(
            body, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default
        )
        return text.encode(), JSON_CONTENT_TYPE
    parts = [XML_DECLARATION]
    _xml_element(parts, root, body)
    return "".join(parts).encode(), XML_CONTENT_TYPE


def render_body(action: str, body: Mapping[str, object], fmt: Format) -> tuple[bytes, str]:
    """A success body and its content type; XML has the root ``<{action}Response>``.

    In XML a list under key K becomes repeated ``<K>`` elements and None is left out; JSON
    keeps the mapping as given (None becomes null, which the SDKs drop).
    """
    return _render(f"{action}Response", body, fmt)


def recommend_url(code: str, request_id: str) -> str:
    """The troubleshooting link real gateways put in ``Recommend``."""
    query = urlencode({"q": code, "product": PRODUCT, "requestId": request_id})
    return f"{RECOMMEND_URL}?{query}"


def render_error(
    err: ServiceError, request_id: str, host_id: str, fmt: Format
) -> tuple[bytes, str]:
    """The error body (``RequestId, HostId, Code, Message, Recommend``); XML root ``<Error>``."""
    body = {
        "RequestId": request_id,
        "HostId": host_id,
        "Code": err.code,
        "Message": err.message,
        "Recommend": recommend_url(err.code, request_id),
    }
    return _render("Error", body, fmt)


def new_request_id() -> str:
    """A fresh request id in Alibaba's shape: an upper-case UUID4."""
    return str(uuid.uuid4()).upper()
