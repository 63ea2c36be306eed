"""lecture_lib.momentum: checked against independent computations (eigenvalues of the step
matrix, runs of lecture_lib.optim on the surfaces)."""

import numpy as np
import pytest

from lecture_lib.momentum import (
    largest_stable_eta,
    momentum_eta_limit,
    momentum_map,
    momentum_rate,
    ringing,
    tuned_momentum,
)
from lecture_lib.optim import SGD, Momentum
from lecture_lib.surfaces import quadratic, run


def _step_matrix(eta, beta, lam):
    # state (w, v): v' = β v + (1-β) λ w ; w' = w - η v'
    return np.array([[1 - eta * (1 - beta) * lam, -eta * beta], [(1 - beta) * lam, beta]])


@pytest.mark.parametrize(
    "eta, beta", [(0.09, 0.9), (0.05, 0.0), (0.22, 0.4), (1.0, 0.95), (0.3, 0.2)])
def test_momentum_rate_is_the_spectral_radius(eta, beta):
    expected = max(np.abs(np.linalg.eigvals(_step_matrix(eta, beta, lam))).max() for lam in (1, 20))
    assert np.isclose(momentum_rate(eta, beta, [1, 20]), expected, rtol=1e-9)


def test_momentum_rate_measured_on_runs():
    # real eigenvalues (0.77 and 0.39): the error shrinks like rate^t; measure it from a run
    path = run(quadratic(20.0, 20.0), Momentum(0.01, 0.3), steps=200)
    measured = (path.E[-1] / path.E[-101]) ** (1 / 200)  # E ∝ w²: E shrinks like rate^(2t)
    assert np.isclose(measured, momentum_rate(0.01, 0.3, [20]), rtol=1e-6)


def test_eta_limit_matches_bisection_on_runs():
    for beta in [0.0, 0.5, 0.9]:
        measured = largest_stable_eta(lambda eta, b=beta: Momentum(eta, b), "ravine",
                                      lo=0.01, hi=20.0, steps=600)
        assert abs(measured / momentum_eta_limit(beta, 20.0) - 1) < 0.01
    assert np.isclose(momentum_eta_limit(0.9, 20.0), 1.9)
    assert np.isclose(momentum_eta_limit(0.0, 20.0), 0.1)


def test_largest_stable_eta_needs_a_bracket():
    with pytest.raises(ValueError):
        largest_stable_eta(lambda eta: SGD(eta), "ravine", lo=0.5, hi=1.0)


def test_ringing_is_complex_eigenvalues():
    for eta, beta in [(0.09, 0.9), (0.01, 0.5), (0.22, 0.4), (0.001, 0.1)]:
        eig = np.linalg.eigvals(_step_matrix(eta, beta, 20.0))
        assert bool(ringing(eta, beta, 20.0)) == bool(np.abs(eig.imag).max() > 1e-12)


def test_tuned_momentum_is_the_best_on_a_grid():
    eta, beta, rate = tuned_momentum(1.0, 20.0)
    etas, betas = np.meshgrid(np.linspace(0.05, 1.0, 200), np.linspace(0.0, 0.95, 200))
    rates = momentum_rate(etas, betas, [1.0, 20.0])
    assert rate <= rates.min() + 1e-3
    assert np.isclose(momentum_rate(eta, beta, [1.0, 20.0]), rate, rtol=1e-6)
    assert rate < (20 - 1) / (20 + 1)  # better than GD's best


def test_momentum_map_equals_runs():
    etas, betas = np.array([0.01, 0.09, 0.5, 3.0]), np.array([0.0, 0.4, 0.9])
    grid = momentum_map(etas, betas, steps=60)
    for i, beta in enumerate(betas):
        for j, eta in enumerate(etas):
            path = run("ravine", Momentum(eta, beta), steps=60)
            if path.diverged:
                assert np.isinf(grid[i, j])
            else:
                assert np.isclose(grid[i, j], path.E[-1], rtol=1e-9, atol=1e-300)
