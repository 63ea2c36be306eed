"""One number measured over several seeds, summarized with its spread: a claim about training
holds over seeds and is shown with its spread.

* :func:`seed_spread`: mean ± standard deviation and range (notebooks 01 and 03);
* :func:`median_range`: "median (min..max)" as text, for numbers too chaotic for a mean
  (notebook 02b).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Spread:
    """One number measured over several seeds: its mean, standard deviation (ddof=1), range."""

    values: np.ndarray
    mean: float
    std: float
    min: float
    max: float

    def __str__(self) -> str:
        return (f"{self.mean:.3g} ± {self.std:.2g} (range {self.min:.3g} to {self.max:.3g}, "
                f"{len(self.values)} seeds)")


def seed_spread(values) -> Spread:
    """Summary of one measurement repeated over seeds.

    Parameters
    ----------
    values : sequence of float
        One finite value per seed; at least two (a spread needs two).

    Returns
    -------
    Spread
        ``std`` is the sample standard deviation (ddof = 1).
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable | np.ndarray):
        raise ValueError(f"values must be a sequence of numbers, one per seed, got "
                         f"{values!r:.60}")
    if not isinstance(values, np.ndarray):
        values = list(values)  # a generator is read once, here
    values = np.asarray(values)
    if values.dtype.kind not in "biuf":
        raise ValueError(f"values must be numbers, got {values!r:.60}")
    values = values.astype(float).ravel()
    if values.size < 2 or not np.all(np.isfinite(values)):
        raise ValueError(f"values must be at least two finite numbers, got {values!r}")
    return Spread(values, float(values.mean()), float(values.std(ddof=1)),
                  float(values.min()), float(values.max()))


def median_range(values, fmt: str = "{:.2g}") -> str:
    """"median (min..max)" of ``values`` (one per seed), each formatted with ``fmt``."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("values must not be empty")
    return (f"{fmt.format(np.median(values))} "
            f"({fmt.format(values.min())}..{fmt.format(values.max())})")
