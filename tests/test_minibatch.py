"""Minibatch gradient variance: σ² against per-sample gradients computed one by one, and the
formula against a measurement."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib.data import load_digits
from lecture_lib.minibatch import (
    minibatch_variance,
    per_sample_variance,
    predicted_minibatch_variance,
)
from lecture_lib.training import digits_net


@pytest.fixture(scope="module")
def small():
    data = load_digits(seed=0)
    return data.X_train[:60], data.y_train[:60]


def flat(grads):
    return np.concatenate([np.ravel(g) for g in grads])


def test_sigma2_against_one_sample_at_a_time(small):
    X, y = small
    net = digits_net(1, sizes=(64, 16, 8, 10))
    full, sigma2 = per_sample_variance(net, X, y)
    per_sample = np.array([flat(net.loss_and_grads(X[i:i + 1], y[i:i + 1])[1])
                           for i in range(len(X))])
    assert np.allclose(per_sample.mean(axis=0), flat(full), rtol=1e-10, atol=1e-12)
    expected = np.mean(np.sum((per_sample - flat(full)) ** 2, axis=1))
    assert sigma2 == pytest.approx(expected, rel=1e-10)


def test_exact_expectation_by_enumerating_batches_of_two(small):
    """For B = 2 every pair can be listed: the mean over all pairs is the formula, exactly."""
    X, y = small
    X, y = X[:12], y[:12]
    net = digits_net(2)
    full, sigma2 = per_sample_variance(net, X, y)
    values = [np.sum((flat(net.loss_and_grads(X[[i, j]], y[[i, j]])[1]) - flat(full)) ** 2)
              for i in range(12) for j in range(i + 1, 12)]
    assert np.mean(values) == pytest.approx(predicted_minibatch_variance(sigma2, 2, 12), rel=1e-9)


def test_measurement_follows_formula(small):
    X, y = small
    net = digits_net(0)
    full, sigma2 = per_sample_variance(net, X, y)
    rng = np.random.default_rng(0)
    for B in (1, 5, 30):
        measured = minibatch_variance(net, X, y, B, draws=400, rng=rng, full_grad=full)
        assert measured == pytest.approx(predicted_minibatch_variance(sigma2, B, 60), rel=0.2)
    assert minibatch_variance(net, X, y, 60, draws=3, rng=rng) < 1e-20 * sigma2
    assert predicted_minibatch_variance(sigma2, 60, 60) == 0


def test_validation(small):
    X, y = small
    net = digits_net(0)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        minibatch_variance(net, X, y, 0, draws=1, rng=rng)
    with pytest.raises(ValueError):
        minibatch_variance(net, X, y, 61, draws=1, rng=rng)
    with pytest.raises(ValueError):
        minibatch_variance(net, X, y, 5, draws=0, rng=rng)
    with pytest.raises(ValueError):
        predicted_minibatch_variance(1.0, 0, 10)
