"""What every handler receives besides its parameters."""

from __future__ import annotations

from dataclasses import dataclass

from cdnexport.db.accounts import Account
from cdnexport.services import Services


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str
    account: Account
    now: int
    services: Services
