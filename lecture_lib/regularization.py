"""Regularization: slides "Deep Learning Regularization" (early stopping lives in
:func:`lecture_lib.training.fit`).

Dropout, as on the slides: "drop p, keep 1-p", so ``p`` is the probability to **drop** a unit.
(cs231n's assignments and some libraries call the *keep* probability p.)

* plain dropout: training x = phi(s) * mask; testing x = (1-p) * phi(s) (the slides' test-time
  "pseudo" dropout: the score a unit feeds forward matches its expectation in training).
* inverted dropout: training x = phi(s) * mask / (1-p); testing x = phi(s), unchanged.
"""

from __future__ import annotations

import numpy as np


def check_drop_probability(p: float) -> float:
    """Return ``p`` if it is a valid drop probability 0 <= p < 1, else raise ValueError."""
    if not np.isfinite(p) or p < 0 or p >= 1:
        raise ValueError(
            f"dropout p is the probability to drop a unit and must satisfy 0 <= p < 1, got {p!r}"
            + (": p = 1 would drop every unit, so nothing reaches the next layer"
               " (and inverted dropout would divide by 1 - p = 0)" if p == 1 else "")
        )
    return float(p)


def dropout_mask(shape, p: float, *, rng: np.random.Generator) -> np.ndarray:
    """Boolean keep-mask: each entry True (kept) with probability 1-p, independently."""
    return rng.random(shape) >= check_drop_probability(p)


def dropout(
    x: np.ndarray, p: float, *, rng: np.random.Generator, train: bool = True, inverted: bool = True
) -> np.ndarray:
    """Dropout of the outputs ``x`` of a layer, with drop probability ``p``.

    Parameters
    ----------
    x : numpy.ndarray
        Layer outputs x^(l).
    p : float
        Probability to drop each unit, 0 <= p < 1.
    rng : numpy.random.Generator
        Draws the mask.
    train : bool
        Training pass (random mask) or test pass (deterministic).
    inverted : bool
        Inverted dropout (scale kept units by 1/(1-p) in training, nothing at test time) or
        plain dropout (no scaling in training, multiply by (1-p) at test time).

    Returns
    -------
    numpy.ndarray
        In expectation over masks, the training output equals the test output.
    """
    check_drop_probability(p)
    x = np.asarray(x, dtype=float)
    if not train:
        return x.copy() if inverted else (1.0 - p) * x
    if p == 0:
        return x.copy()
    kept = x * dropout_mask(x.shape, p, rng=rng)
    return kept / (1.0 - p) if inverted else kept
