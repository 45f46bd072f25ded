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


def test_past_its_ttl_an_entry_lives_on_while_the_database_is_unchanged() -> None:
    clock, lookups = ManualClock(100.0), Lookups()
    cache = AccessKeyCache(lookups, clock.now, ttl=2.0)
    cache.get("LTAIknown", seen=(7, 100.0))
    clock.advance(5)
    lookups.active = False  # (not committed as far as the counter knows)
    assert cache.get("LTAIknown", seen=(7, 104.5)) is not None
    assert lookups.calls == ["LTAIknown"]
    # Renewed only until the reading's time + ttl: a change after it takes effect in time.
    clock.advance(2)
    assert cache.get("LTAIknown", seen=(7, 104.5)) is not None
    assert len(lookups.calls) == 2
    # The counter moved: looked up again, and the new answer is seen.
    clock.advance(3)
    account = cache.get("LTAIknown", seen=(8, 109.9))
    assert account is not None and not account.active
    assert len(lookups.calls) == 3


def test_without_a_counter_reading_the_ttl_alone_decides() -> None:
    clock, lookups = ManualClock(100.0), Lookups()
    cache = AccessKeyCache(lookups, clock.now, ttl=2.0)
    cache.get("LTAIknown")
    clock.advance(3)
    cache.get("LTAIknown", seen=(7, 103.0))  # looked up before any reading: not renewed
    assert len(lookups.calls) == 2
