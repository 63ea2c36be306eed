"""lecture_lib.spread: the summaries over seeds against hand arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib.spread import median_range, seed_spread


def test_seed_spread_matches_hand_arithmetic():
    spread = seed_spread([1.0, 2.0, 3.0, 4.0])
    assert spread.mean == 2.5 and spread.min == 1.0 and spread.max == 4.0
    assert spread.std == pytest.approx(np.sqrt(5 / 3))  # sum of squared deviations 5, ddof = 1
    assert "4 seeds" in str(spread)
    for bad in ([1.0], [1.0, np.nan]):
        with pytest.raises(ValueError, match="at least two finite"):
            seed_spread(bad)


def test_median_range_is_the_middle_value_and_the_ends():
    assert median_range([3, 1, 2], "{:.0f}") == "2 (1..3)"
    assert median_range([0.5, 0.25], "{:.0%}") == "38% (25%..50%)"  # an even count: the mean of two
    with pytest.raises(ValueError, match="empty"):
        median_range([])
