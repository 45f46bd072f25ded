"""AccessKey lookups for the RPC edge, each answer trusted for a few seconds.

Every request names its AccessKey, and most callers send many requests in a row; remembering
the account for ``ttl`` seconds saves a database round trip per request. The price is that
disabling (or enabling) a key takes effect in a running API process within ``ttl`` seconds.
Unknown keys are not remembered, so a key works as soon as it is created.
"""

from __future__ import annotations

from collections.abc import Callable

from cdnexport.db.accounts import Account

#: Entries kept at most; past it the cache starts afresh (cheap, and bounded by design).
MAX_ENTRIES = 100_000


class AccessKeyCache:
    def __init__(
        self, lookup: Callable[[str], Account | None], now: Callable[[], float], ttl: float
    ) -> None:
        self._lookup = lookup
        self._now = now
        self._ttl = ttl
        self._entries: dict[str, tuple[float, Account]] = {}

    def get(self, access_key_id: str) -> Account | None:
        """The account holding ``access_key_id`` (active or not), or None when there is none."""
        if self._ttl <= 0:
            return self._lookup(access_key_id)
        now = self._now()
        entry = self._entries.get(access_key_id)
        if entry is not None and entry[0] > now:
            return entry[1]
        account = self._lookup(access_key_id)
        if account is not None:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries = {}
            self._entries[access_key_id] = (now + self._ttl, account)
        return account
