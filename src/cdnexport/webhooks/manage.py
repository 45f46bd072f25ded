"""What the operator's ``webhook`` commands do: set an account's webhook, read its log."""

from __future__ import annotations

from dataclasses import dataclass

from cdnexport.db import accounts, webhooks
from cdnexport.db.webhooks import Delivery
from cdnexport.services import Services
from cdnexport.webhooks.signing import new_secret
from cdnexport.webhooks.targets import resolve


@dataclass(frozen=True, slots=True)
class WebhookSet:
    account_id: int
    url: str
    #: Shown once, when set; stored only to sign deliveries.
    secret: str


def set_webhook(services: Services, account: str, url: str) -> WebhookSet:
    """Point ``account``'s events at ``url`` with a new secret; ``accounts.NotFound`` or
    ``targets.TargetRefused`` when it cannot be."""
    resolve(url, services.settings.webhook_allow_private)
    secret = new_secret()
    with services.db.write() as conn:
        account_id = accounts.by_name(conn, account).id
        webhooks.set_endpoint(conn, account_id, url, secret, int(services.clock.now()))
    return WebhookSet(account_id, url, secret)


def delivery_log(services: Services, account: str, limit: int) -> list[Delivery]:
    """The account's latest delivery attempts, newest first."""
    with services.db.read() as conn:
        return webhooks.deliveries(conn, accounts.by_name(conn, account).id, limit)
