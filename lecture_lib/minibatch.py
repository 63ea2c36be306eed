"""Minibatch SG on the digits: slide "Difficulty of Deep Learning Optimization", the
stability <> computation trade-off.

The minibatch gradient Δ of a batch of B samples drawn *without replacement* from the N
training samples is an unbiased estimate of the full gradient ∇E = (1/N) Σ_n g_n (g_n the
gradient of sample n's error). Its variance (summed over all weights) is the classic result of
sampling without replacement::

    E ‖Δ - ∇E‖² = (σ² / B) · (N - B) / (N - 1),     σ² = (1/N) Σ_n ‖g_n - ∇E‖²

so it falls like 1/B for B ≪ N, and to exactly 0 at B = N (the full batch). One minibatch step
costs about B/N of a full-gradient step: that is the trade-off.

:func:`per_sample_variance` computes σ² exactly from one backprop pass over all N samples;
:func:`minibatch_variance` *measures* E ‖Δ - ∇E‖² by drawing batches, so the formula can be
checked against the measurement.
"""

from __future__ import annotations

import numpy as np

from lecture_lib import validate
from lecture_lib.network import MLP


def _flat(grads) -> np.ndarray:
    return np.concatenate([np.ravel(g) for g in grads])


def _data(model, X, y) -> tuple[MLP, np.ndarray, np.ndarray]:
    model = validate.instance("model", model, MLP, "a lecture_lib.network.MLP")
    X = validate.features("X", X, width=model.sizes[0])
    return model, X, validate.labels("y", y, n_classes=model.sizes[-1], n_rows=len(X))


def per_sample_variance(model: MLP, X: np.ndarray, y: np.ndarray) -> tuple[list, float]:
    """The full gradient ∇E and σ² = (1/N) Σ_n ‖g_n - ∇E‖² of the per-sample gradients.

    One backprop pass over all N rows: the trace holds x_n^(l-1) and δ_n^(l) (of the mean
    loss, so δ_n = (1/N) × sample n's own δ), and sample n's gradient of W^(l) is
    N x_n^(l-1) δ_n^(l)ᵀ, of b^(l) it is N δ_n^(l). Then ‖g_n‖² = Σ_l N² ‖δ_n^(l)‖²
    (‖x_n^(l-1)‖² + 1) and σ² = mean_n ‖g_n‖² - ‖∇E‖².

    Returns
    -------
    full_grad : list of numpy.ndarray
        ∇E, aligned with ``model.params``.
    sigma2 : float
        σ².
    """
    model, X, y = _data(model, X, y)
    n = len(X)
    _, full_grad = model.loss_and_grads(X, y)
    trace = model.trace
    squared = np.zeros(n)
    for ell in range(1, model.n_layers + 1):
        x_sq = np.sum(trace.x[ell - 1] ** 2, axis=1)
        delta_sq = np.sum((n * trace.delta[ell]) ** 2, axis=1)
        squared += delta_sq * (x_sq + 1.0)
    sigma2 = float(np.mean(squared) - np.sum(_flat(full_grad) ** 2))
    return full_grad, sigma2


def predicted_minibatch_variance(sigma2: float, batch_size, n: int) -> np.ndarray:
    """E ‖Δ - ∇E‖² = (σ²/B) (N-B)/(N-1) for batches of B drawn without replacement from N."""
    n = validate.integer("n", n, minimum=2)
    sigma2 = validate.non_negative_float("sigma2", sigma2)
    B = np.asarray(batch_size)
    if B.dtype.kind not in "iu" or B.ndim > 1 or B.size == 0 or np.any(B < 1) or np.any(B > n):
        raise ValueError(f"batch_size must be integers B with 1 <= B <= n = {n}, "
                         f"got {batch_size!r:.80}")
    B = B.astype(float)
    return sigma2 / B * (n - B) / (n - 1)


def minibatch_variance(
    model: MLP, X: np.ndarray, y: np.ndarray, batch_size: int, *, draws: int,
    rng: np.random.Generator, full_grad=None,
) -> float:
    """Measured mean of ‖Δ - ∇E‖² over ``draws`` minibatches of ``batch_size`` samples, each
    drawn without replacement (``rng.choice(N, B, replace=False)``).

    Parameters
    ----------
    model : lecture_lib.network.MLP
        Evaluated at its current weights (not changed).
    X, y : numpy.ndarray
        The N training samples.
    batch_size : int
        B, 1 <= B <= N.
    draws : int
        Number of minibatches averaged.
    rng : numpy.random.Generator
        Draws the batches.
    full_grad : list of numpy.ndarray, optional
        ∇E if already computed (:func:`per_sample_variance` returns it).
    """
    model, X, y = _data(model, X, y)
    n = len(X)
    batch_size = validate.integer("batch_size", batch_size, minimum=1, maximum=n)
    draws = validate.positive_int("draws", draws, maximum=validate.MAX_STEPS)
    if draws * batch_size > 100 * validate.MAX_STEPS:
        raise ValueError(f"draws = {draws:,} batches of {batch_size:,} rows is more than "
                         f"{100 * validate.MAX_STEPS:,} rows of backprop: use fewer draws")
    rng = validate.rng("rng", rng)
    if full_grad is not None:
        if not isinstance(full_grad, (list, tuple)) or len(full_grad) != len(model.params) or any(
            np.shape(g) != p.shape for g, p in zip(full_grad, model.params)
        ):
            raise ValueError("full_grad must be a list of arrays shaped like model.params "
                             "(the first value per_sample_variance returns)")
    if full_grad is None:
        _, full_grad = model.loss_and_grads(X, y)
    g = _flat(full_grad)
    total = 0.0
    for _ in range(draws):
        batch = rng.choice(n, size=batch_size, replace=False)
        _, grads = model.loss_and_grads(X[batch], y[batch])
        total += float(np.sum((_flat(grads) - g) ** 2))
    return total / draws
