"""Rendered answers of read-only calls, reused while the database has not changed.

Clients poll Describe, and its answer depends only on the account's tasks and the clock. So
the edge keeps each answer's rendered body, split around its RequestId, and answers the same
call (account, action, parameters, format) again with a new RequestId spliced in, as long as

- the database's change counter (``HeldConnection.data_version``) is what it was when the
  answer was computed: any commit by another connection, of any process, changes it, so a
  new task, a worker's progress or a deletion is seen by the very next call; and
- the clock has not passed the answer's ``fresh_until`` (links expire on whole minutes; the
  oldest task eventually leaves the 90-day listing).

Kept in the process, bounded, and emptied whenever the counter moves.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

#: Stands for the RequestId while a body is rendered for keeping; renders alike in JSON and XML.
PLACEHOLDER = "00000000-0000-4000-8000-5245515545ff"
MAX_ENTRIES = 20_000


@dataclass(frozen=True, slots=True)
class Kept:
    head: bytes
    tail: bytes
    content_type: str
    fresh_until: int

    def body(self, request_id: str) -> bytes:
        return self.head + request_id.encode() + self.tail


class ReadCache:
    """Used from one thread (the event loop)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._version: int | None = None
        self._entries: dict[Hashable, Kept] = {}

    def get(self, key: Hashable, version: int, now: int) -> Kept | None:
        if version != self._version:
            self._entries.clear()
            self._version = version
            return None
        kept = self._entries.get(key)
        if kept is None or now > kept.fresh_until:
            return None
        return kept

    def put(self, key: Hashable, version: int, kept: Kept) -> None:
        """Keep an answer computed when the counter read ``version``."""
        if version != self._version:
            return
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[key] = kept


def split_rendered(rendered: bytes, content_type: str, fresh_until: int) -> Kept:
    """A body rendered with ``PLACEHOLDER`` as its RequestId, ready to take real ones."""
    # RequestId comes first in every body, so its placeholder is the first one found whatever
    # the data holds.
    head, found, tail = rendered.partition(PLACEHOLDER.encode())
    if not found:
        raise ValueError("the rendered body has no RequestId placeholder")
    return Kept(head, tail, content_type, fresh_until)
