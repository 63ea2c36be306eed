"""Averaging formulas against loops written out here, and the slide's typo."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib.averaging import (
    effective_window,
    moving_window_average,
    running_average,
    running_average_weights,
    slide_unrolled_sum,
    stationary_variance_ratio,
    unrolled_running_average,
    weight_of_last,
)
from lecture_lib.checks import rel_error
from lecture_lib.optim import Momentum, MovingWindow


def deltas(seed=0, shape=(80, 3, 2)):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_unrolled_sum_over_delta_m_is_the_recursion(beta):
    d = deltas()
    v, expected = np.zeros(d.shape[1:]), []
    for delta in d:  # v_t = β v_{t-1} + (1-β) Δ_t, v_0 = 0, written out
        v = beta * v + (1 - beta) * delta
        expected.append(v.copy())
    assert rel_error(running_average(d, beta), np.array(expected)) <= 1e-12
    assert rel_error(unrolled_running_average(d, beta), np.array(expected)) <= 1e-12


def test_slide_typo_differs_and_equals_its_closed_form():
    d = deltas(1)
    printed = slide_unrolled_sum(d, 0.9)
    t = np.arange(1, len(d) + 1)[:, None, None]
    assert rel_error(printed, (1 - 0.9**t) * d) <= 1e-12
    assert np.abs(printed - running_average(d, 0.9)).max() > 0.5


def test_weights():
    w = running_average_weights(0.8, 5)
    assert rel_error(w, np.array([0.8**4, 0.8**3, 0.8**2, 0.8, 1.0]) * 0.2) <= 1e-14
    assert w.sum() == pytest.approx(1 - 0.8**5, abs=1e-14)
    assert effective_window(0.9) == pytest.approx(10.0)
    assert weight_of_last(0.999, 1000) == pytest.approx(1 - 1 / np.e, abs=1e-3)


@pytest.mark.parametrize("M", [1, 3, 10, 200])
def test_moving_window_matches_loop_and_optimizer(M):
    d = deltas(2, (50, 4))
    expected = np.array([d[max(0, t - M + 1): t + 1].mean(axis=0) for t in range(len(d))])
    assert rel_error(moving_window_average(d, M), expected) <= 1e-12
    # the optimizer with η = 1 from w = 0 accumulates -Σ v_t
    w = np.zeros(4)
    opt = MovingWindow(1.0, M)
    for delta in d:
        opt.step([w], [delta])
    assert rel_error(w, -expected.sum(axis=0)) <= 1e-12


def test_running_average_is_what_momentum_steps_by():
    d = deltas(3, (40, 5))
    w = np.zeros(5)
    opt = Momentum(1.0, 0.7)
    for delta in d:
        opt.step([w], [delta])
    assert rel_error(w, -running_average(d, 0.7).sum(axis=0)) <= 1e-12


def test_stationary_variance_by_simulation():
    noise = np.random.default_rng(4).standard_normal(100_000)
    measured = running_average(noise, 0.8)[500:].var()
    assert measured == pytest.approx(stationary_variance_ratio(0.8), rel=0.05)
    assert stationary_variance_ratio(0.0) == 1.0


@pytest.mark.parametrize("call", [
    lambda: running_average_weights(1.0, 3), lambda: running_average_weights(0.5, 0),
    lambda: moving_window_average(np.zeros(3), 0), lambda: effective_window(-0.1),
    lambda: running_average(np.zeros(3), 1.5), lambda: weight_of_last(0.5, 0),
])
def test_invalid_arguments(call):
    with pytest.raises(ValueError):
        call()
