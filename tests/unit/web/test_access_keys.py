"""The AccessKey cache: answers within its time to live, never remembers unknown keys."""

from __future__ import annotations

from cdnexport.clock import ManualClock
from cdnexport.db.accounts import Account
from cdnexport.web import access_keys
from cdnexport.web.access_keys import AccessKeyCache


class Lookups:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.active = True

    def __call__(self, key: str) -> Account | None:
        self.calls.append(key)
        if key.startswith("LTAIknown"):
            return Account(1, "alice", key, "secret", self.active)
        return None


def test_a_key_is_looked_up_again_only_after_the_ttl() -> None:
    clock, lookups = ManualClock(100.0), Lookups()
    cache = AccessKeyCache(lookups, clock.now, ttl=2.0)
    first = cache.get("LTAIknown")
    lookups.active = False
    clock.advance(1.9)
    assert cache.get("LTAIknown") == first
    assert lookups.calls == ["LTAIknown"]
    clock.advance(0.1)
    refreshed = cache.get("LTAIknown")
    assert refreshed is not None and not refreshed.active
    assert len(lookups.calls) == 2


def test_unknown_keys_are_not_remembered() -> None:
    lookups = Lookups()
    cache = AccessKeyCache(lookups, ManualClock(0.0).now, ttl=60.0)
    assert cache.get("LTAInobody") is None
    assert cache.get("LTAInobody") is None
    assert lookups.calls == ["LTAInobody", "LTAInobody"]


def test_zero_ttl_looks_up_every_time() -> None:
    lookups = Lookups()
    cache = AccessKeyCache(lookups, ManualClock(0.0).now, ttl=0)
    cache.get("LTAIknown")
    cache.get("LTAIknown")
    assert len(lookups.calls) == 2


def test_a_full_cache_starts_afresh() -> None:
    lookups = Lookups()
    cache = AccessKeyCache(lookups, ManualClock(0.0).now, ttl=60.0)
    for n in range(access_keys.MAX_ENTRIES + 1):
        cache.get(f"LTAIknown{n}")
    cache.get("LTAIknown0")
    assert lookups.calls.count("LTAIknown0") == 2
