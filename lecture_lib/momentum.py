"""Momentum on the quadratic ravine, in theory and on real runs (slides "Momentum").

The ravine E(w) = ½ Σ_i λ_i w_i² under momentum in the slides' convention
v_t = β v_{t-1} + (1-β) Δ_t, w_t = w_{t-1} - η v_t:

* its convergence rate (:func:`momentum_rate`), its largest stable η
  (:func:`momentum_eta_limit`), where it rings (:func:`ringing`), the best tuned (η, β)
  (:func:`tuned_momentum`), and E after T steps over a whole grid of (η, β)
  (:func:`momentum_map`, Distill's "Why Momentum Really Works" picture);
* :func:`largest_stable_eta`: the largest η for which a rule's run on a surface does not
  diverge, found by bisection on real runs (to check the formulas above).

t counts update steps as on the slides.
"""

from __future__ import annotations

import numpy as np

from lecture_lib import validate
from lecture_lib.surfaces import run

# --------------------------------------------------------------------------- theory


def momentum_rate(eta, beta, curvatures) -> np.ndarray:
    """Convergence rate per step of momentum (slides' convention) on E = ½ Σ λ_i w_i².

    Along a direction of curvature λ the state (w, v) evolves linearly,
    w_t = (1 - η(1-β)λ) w_{t-1} - ηβ v_{t-1}, v_t = (1-β)λ w_{t-1} + β v_{t-1}, a 2×2 matrix
    with trace 1 + β - η(1-β)λ and determinant β. Its eigenvalues z solve
    z² - (1 + β - η(1-β)λ) z + β = 0; the rate is the largest |z| over all λ_i: the error
    shrinks like rate^t (grows if rate > 1). β = 0 gives plain GD, rate max |1 - ηλ|.

    Parameters
    ----------
    eta, beta : float or numpy.ndarray
        Learning rate η > 0 and 0 <= β < 1 (broadcast together).
    curvatures : sequence of float
        The λ_i > 0 (for the ravine: 1 and 20).

    Returns
    -------
    numpy.ndarray
        The rate, shape of ``eta`` and ``beta`` broadcast.
    """
    eta, beta = np.broadcast_arrays(np.asarray(eta, dtype=float), np.asarray(beta, dtype=float))
    rate = np.zeros(eta.shape)
    for lam in curvatures:
        trace = 1.0 + beta - eta * (1.0 - beta) * lam
        disc = trace**2 - 4.0 * beta
        root = np.sqrt(np.abs(disc))
        real_pair = np.maximum(np.abs(trace + root), np.abs(trace - root)) / 2.0
        rate = np.maximum(rate, np.where(disc >= 0, real_pair, np.sqrt(beta)))
    return rate


def momentum_eta_limit(beta, curvature: float) -> np.ndarray:
    """The largest stable η of momentum along curvature λ: η < 2(1+β) / ((1-β) λ).

    At β = 0 this is GD's 2/λ; the root z = -1 of z² - (1 + β - η(1-β)λ) z + β sets it.
    """
    beta = _betas("beta", beta)
    curvature = validate.positive_float("curvature", curvature)
    return 2.0 * (1.0 + beta) / ((1.0 - beta) * curvature)


def ringing(eta, beta, curvature: float) -> np.ndarray:
    """True where momentum is under-damped along curvature λ (complex eigenvalues: the error
    spirals, |z| = √β whatever η): (1 + β - η(1-β)λ)² < 4β."""
    eta, beta = np.asarray(eta, dtype=float), np.asarray(beta, dtype=float)
    return (1.0 + beta - eta * (1.0 - beta) * curvature) ** 2 < 4.0 * beta


def tuned_momentum(mu: float, L: float) -> tuple[float, float, float]:
    """The best (η, β) of momentum on a quadratic with curvatures in [μ, L] (Polyak 1964).

    In the d2l convention the optimum is α = 4/(√L + √μ)² and β = ((√κ - 1)/(√κ + 1))² with
    κ = L/μ; the slides' η is α/(1-β). The rate is √β = (√κ - 1)/(√κ + 1), against
    (κ - 1)/(κ + 1) for GD at its best η = 2/(L + μ).

    Returns
    -------
    eta, beta, rate : float
    """
    mu, L = validate.positive_float("mu", mu), validate.positive_float("L", L)
    if mu > L:
        raise ValueError(f"mu must be <= L (the smallest and the largest curvature), got "
                         f"mu = {mu:g} > L = {L:g}")
    kappa = L / mu
    rate = (np.sqrt(kappa) - 1.0) / (np.sqrt(kappa) + 1.0)
    beta = rate**2
    alpha = 4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2
    return float(alpha / (1.0 - beta)), float(beta), float(rate)


def momentum_map(
    etas, betas, *, curvatures=(1.0, 20.0), start=(-4.5, 1.5), steps: int = 100
) -> np.ndarray:
    """E(w_T) after T steps of momentum (slides' convention) for every (β, η) of a grid.

    All runs start from ``start`` with v_0 = 0 on E = ½ Σ λ_i w_i² and are iterated together.
    A run whose E exceeds 1e12 is stopped and reported as inf (diverged).

    Returns
    -------
    numpy.ndarray
        Shape (len(betas), len(etas)).
    """
    steps = validate.positive_int("steps", steps, maximum=validate.MAX_STEPS)
    etas = validate.positive_numbers("etas", etas)
    betas = _betas("betas", betas)
    curvatures = validate.positive_numbers("curvatures", curvatures)
    start = validate.numbers("start", start)
    if start.shape != curvatures.shape:
        raise ValueError(f"start must hold one coordinate per curvature ({curvatures.size}), "
                         f"got shape {start.shape}")
    # w, v and two temporaries of shape (betas, etas, curvatures), float64
    validate.array_size("betas x etas x curvatures (4 arrays)",
                        (4, betas.size, etas.size, curvatures.size))
    eta = etas.ravel()[None, :, None]
    beta = betas.ravel()[:, None, None]
    lam = curvatures.ravel()
    w = np.broadcast_to(np.asarray(start, dtype=float), (beta.shape[0], eta.shape[1], lam.size))
    w, v = w.copy(), np.zeros_like(w)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            v = beta * v + (1.0 - beta) * (lam * w)
            w = w - eta * v
            np.clip(w, -1e6, 1e6, out=w)  # a diverged run stays finite (and huge)
        E = 0.5 * (lam * w * w).sum(axis=-1)
    return np.where(E > 1e12 / 2, np.inf, E)


# --------------------------------------------------------------------------- runs on surfaces


# --------------------------------------------------------------------------- runs on surfaces


def largest_stable_eta(make, surface, *, lo: float, hi: float, steps: int = 400,
                       tol: float = 1e-3) -> float:
    """The largest η in [lo, hi] whose run does not diverge, by bisection on real runs.

    A run "is stable" when it does not diverge in ``steps`` steps and its E at the end is below
    E at the start (assumes stability is monotone in η: stable below the limit, not above).

    Parameters
    ----------
    make : callable
        ``make(eta)`` returns a fresh optimizer, e.g. ``lambda eta: Momentum(eta, 0.9)``.
    surface : lecture_lib.surfaces.Surface or str
    lo, hi : float
        A stable and an unstable η.
    """
    def stable(eta: float) -> bool:
        path = run(surface, make(eta), steps=steps)
        return not path.diverged and path.E[-1] < path.E[0]

    lo, hi = validate.positive_float("lo", lo), validate.positive_float("hi", hi)
    if not stable(lo) or stable(hi):
        raise ValueError(f"need a stable lo and an unstable hi, got lo={lo}, hi={hi}")
    while hi - lo > tol * lo:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if stable(mid) else (lo, mid)
    return lo


def _betas(name: str, values: object) -> np.ndarray:
    """β as a float array with 0 <= β < 1 everywhere (one number or a sequence)."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf" or array.size == 0 or not np.all(
            (array >= 0) & (array < 1)):
        raise ValueError(f"{name} must be numbers with 0 <= {name} < 1, got {values!r:.60}")
    return array.astype(float)
