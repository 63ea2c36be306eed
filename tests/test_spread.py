"""lecture_lib.spread: the summary over seeds against hand arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib.spread import seed_spread


def test_seed_spread_matches_hand_arithmetic():
    spread = seed_spread([1.0, 2.0, 3.0, 4.0])
    assert spread.mean == 2.5 and spread.min == 1.0 and spread.max == 4.0
    assert spread.std == pytest.approx(np.sqrt(5 / 3))  # sum of squared deviations 5, ddof = 1
    assert "4 seeds" in str(spread)
    for bad in ([1.0], [1.0, np.nan]):
        with pytest.raises(ValueError, match="at least two finite"):
            seed_spread(bad)
