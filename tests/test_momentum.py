"""lecture_lib.tuning: checked against independent computations (eigenvalues of the step matrix,
runs of lecture_lib.optim on the surfaces, the training loop of lecture_lib.training)."""

import numpy as np
import pytest

from lecture_lib.data import load_digits
from lecture_lib.optim import SGD, Adam, Momentum, RMSProp
from lecture_lib.surfaces import SURFACES, quadratic, run
from lecture_lib.training import train_each
from lecture_lib.tuning import (
    DecayedRMSProp,
    best_eta,
    largest_stable_eta,
    lr_sweep,
    lr_sweeps,
    momentum_eta_limit,
    momentum_map,
    momentum_rate,
    ringing,
    train_many,
    tuned_momentum,
)


@pytest.fixture(scope="module")
def digits():
    return load_digits(seed=0)


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


def test_the_old_name_of_rmsprop_with_decay_is_rmsprop_with_decay_steps():
    """Kept for the notebooks' imports until they use RMSProp(..., decay_steps=N)."""
    old = run("ravine", DecayedRMSProp(0.05, 0.9, decay_steps=10), steps=50)
    new = run("ravine", RMSProp(0.05, 0.9, decay_steps=10), steps=50)
    np.testing.assert_array_equal(old.w, new.w)


def test_sign_rule_is_rmsprop_with_beta_zero():
    path = run(SURFACES["ravine"], RMSProp(0.05, 0.0), steps=30)
    assert np.allclose(np.abs(np.diff(path.w, axis=0)), 0.05, rtol=1e-6)


@pytest.mark.parametrize("rule, opt, eta", [
    ("SGD", SGD(0.1), 0.1), ("momentum", Momentum(0.1, 0.9), 0.1),
    ("RMSProp", RMSProp(0.003, 0.9), 0.003), ("Adam", Adam(0.003), 0.003),
])
def test_train_many_reproduces_the_training_loop(digits, rule, opt, eta):
    history = train_each({rule: opt}, digits, epochs=2, batch_size=64, seed=3)[rule]
    curves = train_many(rule, digits, etas=[eta], seeds=[3], epochs=2)
    assert np.allclose(curves.train_loss[0], history.train_loss, rtol=1e-10)
    assert np.allclose(curves.val_loss[0], history.val_loss, rtol=1e-10)
    assert np.allclose(curves.val_acc[0], history.val_acc)


def test_train_many_mixed_rules_equal_separate_runs(digits):
    mixed = train_many(["SGD", "RMSProp", "RMSProp"], digits, etas=[0.1, 0.003, 0.003],
                       seeds=[1, 2, 2], beta=[0.9, 0.9, 0.0], epochs=2)
    for k, (rule, eta, seed, beta) in enumerate(
            [("SGD", 0.1, 1, 0.9), ("RMSProp", 0.003, 2, 0.9), ("RMSProp", 0.003, 2, 0.0)]):
        alone = train_many(rule, digits, etas=eta, seeds=seed, beta=beta, epochs=2)
        assert np.allclose(mixed.train_loss[k], alone.train_loss[0], rtol=1e-12)
    assert not np.allclose(mixed.train_loss[1], mixed.train_loss[2])  # β matters


def test_train_many_float32_is_close(digits):
    a = train_many("Adam", digits, etas=0.01, seeds=[0, 1], epochs=2)
    b = train_many("Adam", digits, etas=0.01, seeds=[0, 1], epochs=2, dtype=np.float32)
    assert np.allclose(a.train_loss, b.train_loss, rtol=1e-3)


def test_train_many_marks_divergence(digits):
    curves = train_many("SGD", digits, etas=[0.1, 1e4], seeds=0, epochs=2)
    assert list(curves.diverged) == [False, True]
    assert np.isfinite(curves.train_loss[0]).all() and np.isnan(curves.train_loss[1]).all()
    assert curves.final_train_loss[1] == np.inf


def test_sweeps_and_best_eta(digits):
    etas = [1e-3, 0.1, 1e4]
    losses = lr_sweep("SGD", digits, etas, [0, 1], epochs=1)
    assert losses.shape == (3, 2) and np.isinf(losses[2]).all()
    assert best_eta(etas, losses) == 0.1
    both = lr_sweeps({"a": ("SGD", 0.9), "b": ("momentum", 0.0)}, digits, etas, [0, 1], epochs=1)
    assert np.allclose(both["a"][:2], losses[:2]) and np.allclose(both["b"][:2], losses[:2])


@pytest.mark.parametrize("kwargs", [
    {"rule": "Adagrad"}, {"etas": -1.0}, {"beta": 1.0}, {"epochs": 0}, {"record": "never"},
    {"rule": ["SGD"] * 3}, {"dtype": np.int32},
])
def test_train_many_checks_arguments(digits, kwargs):
    args = {"rule": "SGD", "etas": 0.1, "seeds": [0, 1], "epochs": 1} | kwargs
    rule = args.pop("rule")
    with pytest.raises(ValueError):
        train_many(rule, digits, **args)
