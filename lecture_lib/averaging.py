"""Averaging minibatch gradients, slides "Running Average Estimate of Gradient" and
"Averaging SG Non-uniformly".

Given a sequence of minibatch gradients Δ_1, Δ_2, ... (rows of an array ``deltas`` of shape
(T, ...)), these functions compute the slides' two estimates of the gradient:

* the 'moving window' average  v_t = (1/M) Σ_{m=1..M} Δ_{t-m+1}  (uniform weights), and
* the running (exponential) average  v_t = β v_{t-1} + (1-β) Δ_t  with v_0 = 0, whose unrolled
  form is  v_t = Σ_{m=1..t} β^(t-m) (1-β) Δ_m.

The slide prints the unrolled sum with Δ_t inside instead of Δ_m, a typo:
Σ_{m=1..t} β^(t-m) (1-β) Δ_t = (1-β^t) Δ_t does not average anything
(:func:`slide_unrolled_sum` computes that printed form, to compare).

The optimizers of :mod:`lecture_lib.optim` use the same recursions; this module exposes them
on a whole sequence at once, for pictures and checks.
"""

from __future__ import annotations

import numpy as np

from lecture_lib import validate


def running_average_weights(beta: float, t: int) -> np.ndarray:
    """The weights β^(t-m) (1-β) that v_t gives to Δ_1, ..., Δ_t (index m-1 holds Δ_m's).

    They sum to 1 - β^t (the missing β^t is the weight of v_0 = 0).

    Parameters
    ----------
    beta : float
        0 <= β < 1.
    t : int
        Step t >= 1.
    """
    beta = validate.probability("beta", beta)
    t = validate.positive_int("t", t, maximum=validate.MAX_ARRAY_BYTES // 8)
    ages = np.arange(t - 1, -1, -1)  # t - m for m = 1..t
    return beta**ages * (1.0 - beta)


def running_average(deltas: np.ndarray, beta: float) -> np.ndarray:
    """v_1, ..., v_T of the recursion v_t = β v_{t-1} + (1-β) Δ_t from v_0 = 0.

    Parameters
    ----------
    deltas : numpy.ndarray
        Δ_1, ..., Δ_T as rows, shape (T, ...).
    beta : float
        0 <= β < 1 (β = 0: v_t = Δ_t, plain SGD).
    """
    beta = validate.probability("beta", beta)
    deltas = validate.numbers("deltas", deltas)
    out = np.empty_like(deltas)
    v = np.zeros(deltas.shape[1:])
    for t, delta in enumerate(deltas):
        v = beta * v + (1.0 - beta) * delta
        out[t] = v
    return out


def unrolled_running_average(deltas: np.ndarray, beta: float) -> np.ndarray:
    """v_t = Σ_{m=1..t} β^(t-m) (1-β) Δ_m for t = 1..T (the unrolled sum, with Δ_m).

    Equal to :func:`running_average` (up to rounding): the recursion with v_0 = 0, unrolled.
    It costs T²/2 products (a picture, not a tool): T is limited to 100,000.
    """
    beta = validate.probability("beta", beta)
    deltas = validate.numbers("deltas", deltas)
    if len(deltas) > 100_000:
        raise ValueError(f"deltas has {len(deltas):,} rows; the unrolled sum (T²/2 products) "
                         "allows at most 100,000: use running_average")
    out = np.empty_like(deltas)
    for t in range(1, len(deltas) + 1):
        out[t - 1] = np.tensordot(running_average_weights(beta, t), deltas[:t], axes=1)
    return out


def slide_unrolled_sum(deltas: np.ndarray, beta: float) -> np.ndarray:
    """The sum as the slide prints it, Σ_{m=1..t} β^(t-m) (1-β) Δ_t = (1-β^t) Δ_t (a typo).

    Only to show that it differs from the running average v_t.
    """
    beta = validate.probability("beta", beta)
    deltas = validate.numbers("deltas", deltas)
    t = np.arange(1, len(deltas) + 1).reshape((-1,) + (1,) * (deltas.ndim - 1))
    return (1.0 - beta**t) * deltas


def moving_window_average(deltas: np.ndarray, M: int) -> np.ndarray:
    """v_t = (1/M) Σ_{m=1..M} Δ_{t-m+1}, the 'moving window' average, for t = 1..T.

    While t < M only Δ_1..Δ_t exist and v_t is their mean (as :class:`lecture_lib.optim.
    MovingWindow` does).
    """
    M = validate.positive_int("M", M)
    deltas = validate.numbers("deltas", deltas)
    cumulative = np.cumsum(deltas, axis=0)
    out = cumulative.copy()
    out[M:] -= cumulative[:-M]
    counts = np.minimum(np.arange(1, len(deltas) + 1), M)
    return out / counts.reshape((-1,) + (1,) * (deltas.ndim - 1))


def effective_window(beta: float) -> float:
    """1/(1-β): the number of recent gradients the running average effectively averages.

    The most recent n = 1/(1-β) gradients carry the weight 1 - β^n, which tends to
    1 - 1/e ≈ 0.63 as β → 1 (:func:`weight_of_last`); the mean age of the weights is
    β/(1-β) = 1/(1-β) - 1.
    """
    beta = validate.probability("beta", beta)
    return 1.0 / (1.0 - beta)


def weight_of_last(beta: float, n: int) -> float:
    """Σ of the weights β^k (1-β) of the n most recent gradients (ages k = 0..n-1): 1 - β^n."""
    beta = validate.probability("beta", beta)
    return 1.0 - beta ** validate.positive_int("n", n)


def stationary_variance_ratio(beta: float) -> float:
    """var(v_t) / var(Δ) for independent Δ_t of equal variance, as t → ∞: (1-β)/(1+β).

    Σ_k ((1-β) β^k)² = (1-β)²/(1-β²). A moving window of M has 1/M, so the same noise reduction
    needs M = (1+β)/(1-β), about twice the effective window 1/(1-β).
    """
    beta = validate.probability("beta", beta)
    return (1.0 - beta) / (1.0 + beta)
