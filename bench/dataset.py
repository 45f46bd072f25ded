"""The bench's data: accounts made through the Python API, usage written by ``SqlUsageStore``.

One export account owns ``DOMAINS`` domains with a sample for every region and 5-minute slot of
the last 31 days; a task's row count is chosen by how many domains and slots it asks for. Many
small accounts with a few tasks each serve the Describe load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import update

from cdnexport.config import Settings
from cdnexport.db import accounts, tasks
from cdnexport.db.schema import export_task
from cdnexport.domain.regions import REGIONS
from cdnexport.domain.task import SLOT_SECONDS, ExportType, Language, ScopeKind, TaskSpec
from cdnexport.services import Services, build_services
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore

DAY = 86_400
DAYS = 31
DOMAINS = 50
SLOTS_PER_DAY = DAY // SLOT_SECONDS
#: Rows of a one-domain, one-month flow export: 8 regions x 31 days x 288 slots.
MONTH_ROWS = len(REGIONS) * DAYS * SLOTS_PER_DAY
EXPORT_ACCOUNT = "bench-export"
URL_SECRET = "bench-url-secret"  # noqa: S105 - a throwaway deployment's link key


@dataclass(frozen=True, slots=True)
class Key:
    access_key_id: str
    access_key_secret: str


@dataclass(frozen=True, slots=True)
class ExportShape:
    """A flow export of ``domains`` x 8 regions x ``slots`` rows ending at the data's end."""

    domains: int
    slots: int

    @property
    def rows(self) -> int:
        return self.domains * len(REGIONS) * self.slots


@dataclass(frozen=True, slots=True)
class Dataset:
    settings: Settings
    end: int
    exporter: Key
    domain_names: tuple[str, ...]
    tenants: tuple[Key, ...]

    def window(self, shape: ExportShape) -> tuple[int, int]:
        return self.end - shape.slots * SLOT_SECONDS, self.end


def shape_for(rows: int) -> ExportShape:
    """The shape with the fewest domains (at most ``DOMAINS``) giving exactly ``rows`` rows."""
    per_domain_slots = DAYS * SLOTS_PER_DAY
    if rows % len(REGIONS):
        raise ValueError(f"{rows} rows is not a whole number of region series")
    series_slots = rows // len(REGIONS)
    for domains in range(1, DOMAINS + 1):
        if series_slots % domains == 0 and series_slots // domains <= per_domain_slots:
            return ExportShape(domains, series_slots // domains)
    raise ValueError(f"{rows} rows does not fit {DOMAINS} domains x {DAYS} days")


def bench_settings(data_dir: Path, public_url: str) -> Settings:
    # A fixed key, so that every process of the bench signs download links alike.
    return Settings(data_dir=data_dir, public_url=public_url, url_secret=URL_SECRET)


def build(settings: Settings, *, count_tenants: int, seed: int = 7) -> Dataset:
    """Create every account and write the usage; returns what the bench calls with."""
    services = build_services(settings)
    try:
        now = int(services.clock.now())
        end = now // DAY * DAY
        exporter, names = _export_account(services, now)
        _write_usage(services, names, end, seed)
        keys = tenants(services, count_tenants, now)
    finally:
        services.db.dispose()
    return Dataset(settings, end, exporter, tuple(names), keys)


def _export_account(services: Services, now: int) -> tuple[Key, list[str]]:
    names = [f"d{i:02d}.bench.example" for i in range(DOMAINS)]
    with services.db.write() as conn:
        account = accounts.create_account(conn, EXPORT_ACCOUNT, now)
        accounts.add_domains(conn, account.id, names)
    return Key(account.access_key_id, account.access_key_secret), names


def _write_usage(services: Services, names: list[str], end: int, seed: int) -> None:
    """Every domain, region and slot of the 31 days before ``end``: lognormal traffic."""
    rng = np.random.default_rng(seed)
    slots = np.arange(end - DAYS * DAY, end, SLOT_SECONDS, dtype=np.int64)
    store = SqlUsageStore(services.db)
    with services.db.read() as conn:
        ids = accounts.domain_ids(conn, _export_id(services), names)
    assert ids is not None
    regions = len(REGIONS)
    for name in names:
        count = regions * len(slots)
        traffic = np.minimum(rng.lognormal(20.0, 2.0, count), 1e12).astype(np.int64)
        zeros = np.zeros(count, dtype=np.int64)
        batch = SampleBatch.of(
            np.full(count, ids[name], dtype=np.int64),
            np.repeat(np.arange(regions, dtype=np.int64), len(slots)),
            np.tile(slots, regions),
            traffic,
            zeros,
            zeros,
            zeros,
        )
        with services.db.write() as conn:
            store.upsert(conn, batch)


def _export_id(services: Services) -> int:
    with services.db.read() as conn:
        return accounts.by_name(conn, EXPORT_ACCOUNT).id


def tenants(services: Services, count: int, now: int) -> tuple[Key, ...]:
    """Accounts with three tasks each (created, success with a file, failed), as Describe sees."""
    keys = []
    with services.db.write() as conn:
        for n in range(count):
            account = accounts.create_account(conn, f"tenant-{n:05d}", now)
            keys.append(Key(account.access_key_id, account.access_key_secret))
            spec = TaskSpec(
                export_type=ExportType.FLOW,
                start=now // DAY * DAY - 2 * DAY,
                end=now // DAY * DAY - DAY,
                scope=ScopeKind.ACCOUNT,
                domains=(),
                group="",
                language=Language.EN_US,
                time_zone="UTC",
                name=f"daily-{n}",
            )
            ids = [tasks.insert_task(conn, account.id, spec, now - 60 * i) for i in range(3)]
            conn.execute(
                update(export_task)
                .where(export_task.c.id == ids[1])
                .values(
                    status="success",
                    file_key=f"bench/{ids[1]}.xlsx",
                    file_size=123_456,
                    row_count=2304,
                )
            )
            conn.execute(
                update(export_task)
                .where(export_task.c.id == ids[2])
                .values(status="failed", error_message="The export failed.")
            )
    return tuple(keys)
