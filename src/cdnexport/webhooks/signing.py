"""The signature of a webhook delivery, as Stripe signs its events.

``X-Cdnexport-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, the HMAC taken under the
account's webhook secret (its UTF-8 bytes) over ``"<t>.<raw body>"``. A receiver recomputes it
from the raw body it got, compares in constant time and refuses a ``t`` more than 300 seconds
away from its clock; the README gives the recipe.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

SIGNATURE_HEADER: Final = "X-Cdnexport-Signature"
EVENT_ID_HEADER: Final = "X-Cdnexport-Event-Id"
TOLERANCE_SECONDS: Final = 300


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value for ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
