from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from cdnexport.db.engine import Database
from cdnexport.db.schema import domain, domain_group, group_member
from cdnexport.domain.regions import REGION_ID, REGIONS
from cdnexport.usage.demo import DEMO_GROUP, demo_domain_names, generate_demo
from tests.support import migrated_database as database
from tests.unit.usage.helpers import add_account, sample_count, sample_rows

NOW = 1_717_000_123  # 2024-05-29T16:28:43Z
DAY = 86_400


@pytest.fixture
def make_db(tmp_path: Path) -> Iterator[Database]:
    """An SQLite database with account 1 named "Acme Corp"."""
    with database(f"sqlite:///{tmp_path / 'demo.db'}") as db:
        add_account(db, 1, "Acme Corp", ())
        yield db


def test_demo_data_is_plausible(make_db: Database) -> None:
    report = generate_demo(make_db, 1, domains=5, days=35, now=NOW)

    assert report.rows == 5 * len(REGIONS) * 35 * 288
    assert report.end == NOW - NOW % 300
    assert report.start == report.end - 35 * DAY
    table = np.array(sample_rows(make_db), dtype=np.int64)
    assert len(table) == report.rows
    assert table[:, 2].min() == report.start
    assert table[:, 2].max() == report.end - 300
    assert (table[:, 3:] >= 0).all()
    for domain_id in np.unique(table[:, 0]):
        assert set(table[table[:, 0] == domain_id, 1]) == set(range(len(REGIONS)))

    cn = table[table[:, 1] == REGION_ID["CN"]]
    by_utc_hour = [cn[(cn[:, 2] % DAY) // 3600 == h, 3].mean() for h in range(24)]
    # The evening peak of UTC+8 lands around 13:00 UTC, the trough around 01:00 UTC.
    assert int(np.argmax(by_utc_hour)) in (12, 13, 14)
    assert max(by_utc_hour) > 2.5 * min(by_utc_hour)
    sa = table[table[:, 1] == REGION_ID["SA"]]
    assert cn[:, 3].sum() > 5 * sa[:, 3].sum()
    assert np.corrcoef(table[:, 3], table[:, 4])[0, 1] > 0.5
    assert (table[:, 5] + table[:, 6]).sum() < table[:, 4].sum()


def test_demo_creates_domains_and_group_once(make_db: Database) -> None:
    first = generate_demo(make_db, 1, domains=3, days=1, now=NOW)
    second = generate_demo(make_db, 1, domains=3, days=1, now=NOW)

    assert first.domains == demo_domain_names("Acme Corp", 3)
    assert first.domains[0] == "cdn1.acme-corp.demo.example"
    assert second == first
    assert sample_count(make_db) == first.rows
    with make_db.read() as conn:
        owned = conn.execute(select(domain.c.name).where(domain.c.account_id == 1)).scalars()
        assert sorted(owned) == sorted(first.domains)
        members = conn.execute(
            select(domain.c.name)
            .join(group_member, group_member.c.domain_id == domain.c.id)
            .join(domain_group, domain_group.c.id == group_member.c.group_id)
            .where(domain_group.c.name == DEMO_GROUP, domain_group.c.account_id == 1)
        ).scalars()
        assert sorted(members) == sorted(first.domains)


def test_demo_is_deterministic_per_seed(tmp_path: Path) -> None:
    def run(name: str, seed: int, domains: int) -> list[tuple[int, ...]]:
        with database(f"sqlite:///{tmp_path / name}") as db:
            add_account(db, 1, "Acme Corp", ())
            generate_demo(db, 1, domains=domains, days=2, now=NOW, seed=seed)
            return sample_rows(db)

    same = run("a.db", 3, 2)
    assert run("b.db", 3, 2) == same
    assert run("c.db", 4, 2) != same
    # A domain's data does not depend on how many domains were asked for.
    assert run("d.db", 3, 3)[: len(same)] == same


def test_demo_refuses_another_accounts_domain(make_db: Database) -> None:
    add_account(make_db, 2, "Mallory", (demo_domain_names("Acme Corp", 1)[0],))

    with pytest.raises(ValueError, match="another account"):
        generate_demo(make_db, 1, domains=1, days=1, now=NOW)
    assert sample_count(make_db) == 0


def test_demo_checks_its_arguments(make_db: Database) -> None:
    with pytest.raises(LookupError):
        generate_demo(make_db, 99, domains=1, days=1, now=NOW)
    with pytest.raises(ValueError, match="at least 1"):
        generate_demo(make_db, 1, domains=0, days=1, now=NOW)


def test_demo_runs_on_each_engine(db: Database) -> None:
    add_account(db, 1, "Acme Corp", ())

    report = generate_demo(db, 1, domains=2, days=1, now=NOW)

    assert sample_count(db) == report.rows == 2 * len(REGIONS) * 288


def test_account_names_become_dns_labels() -> None:
    assert demo_domain_names("  Ünïcode & Co. ", 1) == ("cdn1.n-code-co.demo.example",)
    assert demo_domain_names("***", 2) == ("cdn1.account.demo.example", "cdn2.account.demo.example")
