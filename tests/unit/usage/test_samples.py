from __future__ import annotations

import numpy as np
import pytest

from cdnexport.usage.samples import SampleBatch
from tests.unit.usage.helpers import T0


def test_of_converts_columns_and_from_rows_transposes() -> None:
    by_columns = SampleBatch.of(
        [1, 2], np.array([0, 7], dtype=np.int32), [T0, T0], [5, 6], [0, 0], [1, 1], [2, 2]
    )
    by_rows = SampleBatch.from_rows([(1, 0, T0, 5, 0, 1, 2), (2, 7, T0, 6, 0, 1, 2)])

    assert [c.tolist() for c in by_columns.columns()] == [c.tolist() for c in by_rows.columns()]
    assert by_columns.region.dtype == np.int64
    assert list(by_rows.rows()) == [(1, 0, T0, 5, 0, 1, 2), (2, 7, T0, 6, 0, 1, 2)]


def test_columns_must_match() -> None:
    with pytest.raises(ValueError, match="expected 7 columns"):
        SampleBatch.of([1], [0], [T0])
    with pytest.raises(ValueError, match="ts is not"):
        SampleBatch.of([1], [0], [T0, T0], [1], [1], [1], [1])


def test_last_per_key_keeps_the_last_row_of_each_key_in_key_order() -> None:
    batch = SampleBatch.from_rows(
        [
            (2, 0, T0, 1, 0, 0, 0),
            (1, 0, T0, 2, 0, 0, 0),
            (2, 0, T0, 3, 0, 0, 0),
            (1, 1, T0, 4, 0, 0, 0),
        ]
    )

    assert list(batch.last_per_key().rows()) == [
        (1, 0, T0, 2, 0, 0, 0),
        (1, 1, T0, 4, 0, 0, 0),
        (2, 0, T0, 3, 0, 0, 0),
    ]
    assert len(SampleBatch.from_rows([]).last_per_key()) == 0
