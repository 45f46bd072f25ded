"""A fresh database per usage test, on each engine the run is configured for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cdnexport.db.engine import Database
from tests.unit.usage.helpers import database


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    with database(db_url) as created:
        yield created
