"""lecture_lib.optimization_studies, each against an oracle computed here another way."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib.data import load_digits
from lecture_lib.optim import SGD, Adam, PrintedRate, RMSProp
from lecture_lib.optimization_studies import (
    DIVERGED,
    ESCAPED,
    STAYED,
    constant_gradient_steps,
    escape_grid,
    first_epoch_below,
    first_step_lengths,
    mean_error_over_seeds,
    momentum_outcome,
    smallest_escaping_eta,
    with_epoch_zero,
)
from lecture_lib.surfaces import quadratic
from lecture_lib.sweeps import train_many


def _momentum_w1(eta: float, beta: float, steps: int = 3000) -> float:
    """The slides' momentum on f(x) = ¼x⁴ + ⅓x³ - x² (the surface's w1 part), written out."""
    x, v = 2.0, 0.0
    for _ in range(steps):
        v = beta * v + (1 - beta) * (x**3 + x**2 - 2 * x)
        x -= eta * v
        if not abs(x) < 1e3:
            return np.nan
    return x


@pytest.mark.parametrize("eta, beta", [(0.05, 0.9), (0.1, 0.9), (0.3, 0.0), (0.2, 0.0),
                                       (0.05, 0.95), (0.7, 0.0)])
def test_momentum_outcome_matches_a_written_out_recursion(eta, beta):
    x = _momentum_w1(eta, beta)
    expected = DIVERGED if np.isnan(x) else (ESCAPED if x < 0 else STAYED)
    assert momentum_outcome(eta, beta) == expected


def test_plain_gd_escapes_once_its_first_step_clears_the_barrier():
    # f'(2) = 8: the first step lands at 2 - 8η, past the barrier w1 = 0 once η > 1/4
    assert smallest_escaping_eta(0.0, lo=0.1, hi=0.29) == pytest.approx(0.25, rel=0.01)


def test_escape_grid_shape_and_values():
    grid = escape_grid([0.05, 0.3], [0.0, 0.95])
    assert grid.shape == (2, 2)
    assert grid.tolist() == [[momentum_outcome(e, b) for e in (0.05, 0.3)] for b in (0.0, 0.95)]


def test_smallest_escaping_eta_needs_a_bracket():
    with pytest.raises(ValueError, match="bracket"):
        smallest_escaping_eta(0.0, lo=0.3, hi=0.4)  # both escape
    with pytest.raises(ValueError, match="lo"):
        smallest_escaping_eta(0.0, lo=0.3, hi=0.2)


def test_mean_error_over_seeds_matches_the_noisy_quadratic_theory():
    # SGD on E = ½λw² with gradient noise σ: w_t = (1-ηλ) w + ησz, stationary
    # var(w) = η²σ² / (1 - (1-ηλ)²) per coordinate, so E[E] = ½ Σ λ var(w)
    eta, sigma, curvatures = 0.05, 1.0, (1.0, 4.0)
    theory = sum(0.5 * lam * eta**2 * sigma**2 / (1 - (1 - eta * lam) ** 2) for lam in curvatures)
    values = mean_error_over_seeds(quadratic(*curvatures), lambda: SGD(eta), seeds=range(20),
                                   noise=sigma, steps=3000, skip=500)
    assert values.shape == (20,)
    assert values.mean() == pytest.approx(theory, rel=0.05)


def test_mean_error_over_seeds_rejects_bad_input():
    with pytest.raises(ValueError, match="skip"):
        mean_error_over_seeds("ravine", lambda: SGD(0.01), seeds=[0], noise=1.0, steps=10, skip=10)
    with pytest.raises(ValueError, match="make"):
        mean_error_over_seeds("ravine", SGD(0.01), seeds=[0], noise=1.0, steps=10, skip=0)


def test_first_step_lengths_of_the_slides_rate_and_of_rmsprop():
    surface, eta = quadratic(1.0, 20.0), 0.01
    starts = np.array([[0.1, 0.05], [0.001, 0.002]])
    g = starts * (1.0, 20.0)
    # the slide's example rate steps by η/|g| per component (ε = 1e-8 aside)
    expected = np.hypot(*(eta * g / (g * g + 1e-8)).T)
    assert first_step_lengths(surface, lambda: PrintedRate(eta), starts) == pytest.approx(expected)
    # RMSProp's first step: u_1 = (1-β)g², so each component moves η/√(1-β) (up to ε)
    rms = first_step_lengths(surface, lambda: RMSProp(eta, 0.9), starts)
    assert rms == pytest.approx(np.hypot(*(eta * g / np.sqrt(0.1 * g * g + 1e-8)).T))
    assert rms[0] == pytest.approx(np.sqrt(2) * eta / np.sqrt(0.1), rel=1e-4)


def test_constant_gradient_steps_follow_the_closed_forms():
    t = np.arange(1, 51)
    assert constant_gradient_steps(SGD(0.1), steps=50, grad=0.5) == pytest.approx(np.full(50, 0.5))
    bare = constant_gradient_steps(Adam(0.01, bias_correction=False), steps=50)
    assert bare == pytest.approx((1 - 0.9**t) * 0.5 / np.sqrt((1 - 0.999**t) * 0.25 + 1e-8))
    corrected = constant_gradient_steps(Adam(0.01), steps=50)
    assert corrected == pytest.approx(np.ones(50), rel=1e-5)
    decayed = constant_gradient_steps(Adam(0.01, decay_steps=20), steps=50)
    assert decayed == pytest.approx(np.sqrt(20 / t), rel=1e-5)


def test_with_epoch_zero_puts_the_untrained_network_first():
    digits = load_digits(seed=0)
    seeds = [3, 4]
    curves = train_many("SGD", digits, etas=0.1, seeds=seeds, epochs=2)
    full = with_epoch_zero(curves, digits, seeds)
    assert full["train_loss"].shape == (2, 3)
    assert np.array_equal(full["train_loss"][:, 1:], curves.train_loss)
    # epoch 0: an untrained net's cross-entropy, computed here from its scores
    from lecture_lib.training import digits_net

    for row, seed in enumerate(seeds):
        scores = digits_net(seed).forward(digits.X_val)
        scores = scores - scores.max(axis=1, keepdims=True)
        log_p = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
        loss = -log_p[np.arange(len(digits.y_val)), digits.y_val].mean()
        assert full["val_loss"][row, 0] == pytest.approx(loss)
        assert full["val_acc"][row, 0] == pytest.approx(np.mean(scores.argmax(1) == digits.y_val))
    with pytest.raises(ValueError, match="seeds"):
        with_epoch_zero(curves, digits, [1])


def test_first_epoch_below():
    losses = np.array([[2.3, 0.5, 0.04, 0.01], [2.3, 0.04, 0.5, 0.02]])
    assert first_epoch_below(losses, 0.05).tolist() == [2, 1]
    with pytest.raises(ValueError, match="rows \\[1\\]"):
        first_epoch_below(np.array([[1.0, 0.01], [1.0, 0.9]]), 0.05)
