"""Plausible demo usage for an account: a few domains in a ``demo`` group, weeks of samples.

Traffic follows each region's evening peak in local time, a weekly rhythm, slow growth and
noise; request counts follow traffic through a per-domain mean object size. The same seed
gives the same data, and each domain draws from its own stream, so adding domains does not
change the existing ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, insert, select

from cdnexport.db.engine import Database
from cdnexport.db.schema import account, domain, domain_group, group_member
from cdnexport.domain.names import domain_name
from cdnexport.domain.regions import REGIONS
from cdnexport.domain.task import SLOT_SECONDS
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.series import Int64Array
from cdnexport.usage.store import SqlUsageStore

DEMO_GROUP = "demo"
#: Share of a domain's traffic per region, in ``REGIONS`` order: mainland China dominates.
REGION_SHARE = (0.42, 0.16, 0.09, 0.06, 0.12, 0.09, 0.04, 0.02)
#: A representative UTC offset (hours) of each region's audience, for its evening peak.
REGION_UTC_OFFSET = (8, 8, 7, 10, -6, 1, 3, -3)
#: Traffic factor per local weekday, Monday first: weekends are busier.
WEEKDAY_FACTOR = (0.96, 0.95, 0.96, 0.98, 1.04, 1.12, 1.10)
PEAK_LOCAL_HOUR = 21.0
# Mean bytes per 5-minute slot of a typical domain at its evening peak (about 80 Mbit/s).
PEAK_BYTES_PER_SLOT = 3.0e9
_DAY = 86_400


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What ``generate_demo`` wrote: samples cover the slots of [start, end)."""

    domains: tuple[str, ...]
    group: str
    rows: int
    start: int
    end: int


def demo_domain_names(account_name: str, count: int) -> tuple[str, ...]:
    """``cdn1.<account>.demo.example`` ... with the account name made a DNS label."""
    label = re.sub(r"[^a-z0-9]+", "-", account_name.lower()).strip("-")[:40].strip("-")
    return tuple(
        domain_name(f"cdn{i}.{label or 'account'}.demo.example") for i in range(1, count + 1)
    )


def generate_demo(
    db: Database, account_id: int, *, domains: int, days: int, now: int, seed: int = 0
) -> DemoReport:
    """Create the demo domains and group if missing, then write ``days`` of usage up to ``now``
    (whole slots before the slot holding ``now``); existing samples of those slots are replaced."""
    if domains < 1 or days < 1:
        raise ValueError("domains and days must be at least 1")
    end = now - now % SLOT_SECONDS
    start = end - days * _DAY
    slots = np.arange(start, end, SLOT_SECONDS, dtype=np.int64)
    with db.write() as conn:
        names = demo_domain_names(_account_name(conn, account_id), domains)
        ids = _ensure_domains(conn, account_id, names)
        _ensure_group(conn, account_id, ids)
    store = SqlUsageStore(db)
    rows = 0
    for index, domain_id in enumerate(ids):
        samples = _domain_samples(domain_id, slots, np.random.default_rng([seed, index]))
        # One transaction per domain keeps the SQLite write lock short for other writers.
        with db.write() as conn:
            rows += store.upsert(conn, samples)
    return DemoReport(names, DEMO_GROUP, rows, start, end)


def _account_name(conn: Connection, account_id: int) -> str:
    name = conn.execute(select(account.c.name).where(account.c.id == account_id)).scalar()
    if name is None:
        raise LookupError(f"no account with id {account_id}")
    return str(name)


def _ensure_domains(conn: Connection, account_id: int, names: tuple[str, ...]) -> list[int]:
    """Ids of ``names`` in order, inserting the missing ones; refuse names another account owns."""
    query = select(domain.c.name, domain.c.id, domain.c.account_id).where(domain.c.name.in_(names))
    found = {row.name: row for row in conn.execute(query)}
    for row in found.values():
        if row.account_id != account_id:
            raise ValueError(f"domain {row.name} belongs to another account")
    missing = [{"account_id": account_id, "name": n} for n in names if n not in found]
    if missing:
        conn.execute(insert(domain), missing)
    rows = conn.execute(select(domain.c.name, domain.c.id).where(domain.c.name.in_(names)))
    ids = {row.name: int(row.id) for row in rows}
    return [ids[name] for name in names]


def _ensure_group(conn: Connection, account_id: int, domain_ids: list[int]) -> None:
    where = (domain_group.c.account_id == account_id) & (domain_group.c.name == DEMO_GROUP)
    group_id = conn.execute(select(domain_group.c.id).where(where)).scalar()
    if group_id is None:
        conn.execute(insert(domain_group).values(account_id=account_id, name=DEMO_GROUP))
        group_id = conn.execute(select(domain_group.c.id).where(where)).scalar_one()
    members = set(
        conn.execute(select(group_member.c.domain_id).where(group_member.c.group_id == group_id))
        .scalars()
        .all()
    )
    new = [{"group_id": group_id, "domain_id": d} for d in domain_ids if d not in members]
    if new:
        conn.execute(insert(group_member), new)


def _domain_samples(domain_id: int, slots: Int64Array, rng: np.random.Generator) -> SampleBatch:
    """Every (region, slot) sample of one domain."""
    regions = len(REGIONS)
    scale = PEAK_BYTES_PER_SLOT * rng.lognormal(0.0, 0.8)
    share = np.array(REGION_SHARE) * rng.lognormal(0.0, 0.3, regions)
    share /= share.sum()
    mean_object_bytes = rng.uniform(40e3, 400e3)
    https_share = rng.uniform(0.55, 0.95)
    dynamic_share = rng.uniform(0.02, 0.15)
    dynamic_https_share = rng.uniform(0.5, 0.9)

    offsets = np.array(REGION_UTC_OFFSET, dtype=np.int64) * 3600
    local = slots[np.newaxis, :] + offsets[:, np.newaxis]
    hour = (local % _DAY) / 3600.0
    evening = (1.0 + np.cos(2 * np.pi * (hour - PEAK_LOCAL_HOUR) / 24.0)) / 2.0
    diurnal = 0.2 + 0.8 * evening**2
    weekday = (local // _DAY + 3) % 7  # epoch day 0 was a Thursday; Monday is 0
    weekly = np.array(WEEKDAY_FACTOR)[weekday]
    growth = 1.0 + 0.004 * (slots - slots[0]) / _DAY
    mean = scale * share[:, np.newaxis] * diurnal * weekly * growth
    traffic = np.floor(mean * rng.lognormal(0.0, 0.08, mean.shape)).astype(np.int64)

    requests = traffic / mean_object_bytes
    static_https = rng.poisson(requests * (1 - dynamic_share) * https_share)
    dynamic = requests * dynamic_share
    dynamic_http = rng.poisson(dynamic * (1 - dynamic_https_share))
    dynamic_https = rng.poisson(dynamic * dynamic_https_share)

    region_ids = np.repeat(np.arange(regions, dtype=np.int64), len(slots))
    return SampleBatch(
        np.full(region_ids.shape, domain_id, dtype=np.int64),
        region_ids,
        np.tile(slots, regions),
        traffic.ravel(),
        static_https.ravel().astype(np.int64),
        dynamic_http.ravel().astype(np.int64),
        dynamic_https.ravel().astype(np.int64),
    )
