"""The Alibaba RPC edge: parse requests, verify V1/V3 signatures, render JSON/XML bodies."""

from cdnexport.protocol.render import (
    Format,
    negotiate_format,
    new_request_id,
    render_body,
    render_error,
)
from cdnexport.protocol.request import RpcRequest, parse_params
from cdnexport.protocol.signature import (
    SignedInfo,
    extract,
    sign_v1,
    sign_v3,
    signature_version,
    verify,
)

__all__ = [
    "Format",
    "RpcRequest",
    "SignedInfo",
    "extract",
    "negotiate_format",
    "new_request_id",
    "parse_params",
    "render_body",
    "render_error",
    "sign_v1",
    "sign_v3",
    "signature_version",
    "verify",
]
