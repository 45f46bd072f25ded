"""The tenants a contract run works with, created through the CLI before the server starts.

Names carry a random suffix so that a run can share a long-lived database with earlier runs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.contract.dataset import Dataset, generate
from tests.contract.server import Credentials, LiveServer


@dataclass(frozen=True)
class Deployment:
    """A running server, two accounts and the usage ingested for the first one.

    ``alice`` owns ``domain_a`` and ``domain_b`` (with usage), ``domain_c`` (none) and the group
    ``group`` of a and b; ``bob`` owns ``bob_domain``.
    """

    server: LiveServer
    alice: Credentials
    bob: Credentials
    domain_a: str
    domain_b: str
    domain_c: str
    bob_domain: str
    group: str
    dataset: Dataset


def provision(server: LiveServer, work_dir: Path, now: int) -> Deployment:
    """Migrate, create both accounts, their domains and group, and ingest the known CSV for
    alice."""
    server.cli("migrate")
    tag = uuid.uuid4().hex[:8]
    alice = server.create_account(f"alice-{tag}")
    bob = server.create_account(f"bob-{tag}")
    domain_a, domain_b, domain_c = (f"{c}-{tag}.contract.test" for c in "abc")
    bob_domain = f"bob-{tag}.contract.test"
    server.cli("domain", "add", alice.name, domain_a, domain_b, domain_c)
    server.cli("domain", "add", bob.name, bob_domain)
    group = f"web-{tag}"
    server.cli("group", "create", alice.name, group, domain_a, domain_b)
    dataset = generate(domain_a, domain_b, now)
    csv_path = work_dir / "usage.csv"
    dataset.write_csv(csv_path)
    server.cli("usage", "ingest", alice.name, str(csv_path))
    return Deployment(server, alice, bob, domain_a, domain_b, domain_c, bob_domain, group, dataset)
