"""lecture_lib.dropout (p = probability to DROP, as on the slides): mask statistics, scaling,
expectation, test-time behaviour and validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lecture_lib.dropout import check_drop_probability, dropout, dropout_mask

PS = [0.1, 0.3, 0.5, 0.8]


@pytest.mark.parametrize("p", PS)
def test_mask_drops_fraction_p(p):
    n = 200 * 300
    mask = dropout_mask((200, 300), p, rng=np.random.default_rng(0))
    assert mask.dtype == bool and mask.shape == (200, 300)
    dropped = 1.0 - mask.mean()
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("p", PS)
def test_dropout_output_dropped_fraction(p):
    x = np.random.default_rng(1).uniform(0.5, 2.0, size=(100, 400))  # no zeros in x
    out = dropout(x, p, rng=np.random.default_rng(2))
    dropped = np.mean(out == 0)
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / x.size)


@pytest.mark.parametrize("p", PS)
def test_inverted_kept_units_scaled_by_exactly_one_over_keep(p):
    x = np.random.default_rng(1).uniform(-2.0, 2.0, size=(50, 60))
    x[x == 0] = 1.0
    out = dropout(x, p, rng=np.random.default_rng(3), inverted=True)
    kept = out != 0
    assert kept.any() and not kept.all()
    assert np.array_equal(out[kept], x[kept] / (1 - p))


@pytest.mark.parametrize("p", PS)
def test_plain_kept_units_unscaled(p):
    x = np.random.default_rng(1).uniform(-2.0, 2.0, size=(50, 60))
    x[x == 0] = 1.0
    out = dropout(x, p, rng=np.random.default_rng(3), inverted=False)
    kept = out != 0
    assert kept.any() and not kept.all()
    assert np.array_equal(out[kept], x[kept])


def test_same_rng_state_same_mask_for_both_conventions():
    x = np.arange(1.0, 41.0).reshape(5, 8)
    a = dropout(x, 0.4, rng=np.random.default_rng(9), inverted=True)
    b = dropout(x, 0.4, rng=np.random.default_rng(9), inverted=False)
    np.testing.assert_allclose(a * (1 - 0.4), b, rtol=1e-15)


@pytest.mark.parametrize("inverted", [True, False])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.7])
def test_training_expectation_equals_test_output(p, inverted):
    """Mean over K masks of the training output -> the test output, within sampling error:
    per entry, var = x^2 p / (1-p) (inverted) or x^2 p (1-p) (plain)."""
    rng = np.random.default_rng(4)
    x = rng.uniform(-1.0, 1.0, size=(20, 30))
    K = 4000
    total = np.zeros_like(x)
    for _ in range(K):
        total += dropout(x, p, rng=rng, inverted=inverted)
    mean = total / K
    test = dropout(x, p, rng=rng, train=False, inverted=inverted)
    expected = x if inverted else (1 - p) * x
    np.testing.assert_allclose(test, expected, rtol=1e-15)
    per_entry_var = x**2 * (p / (1 - p) if inverted else p * (1 - p))
    z = (mean - test) / np.sqrt(per_entry_var / K)
    assert np.max(np.abs(z)) < 5.0
    # the whole array's average error is much tighter
    assert abs(np.mean(z)) < 5.0 / math.sqrt(x.size)


def test_test_time_inverted_returns_x_unchanged_as_a_copy():
    x = np.array([[1.0, -2.0, 3.5]])
    out = dropout(x, 0.5, rng=np.random.default_rng(0), train=False, inverted=True)
    assert np.array_equal(out, x)
    out[0, 0] = 99.0
    assert x[0, 0] == 1.0


def test_test_time_plain_returns_keep_times_x():
    x = np.array([[1.0, -2.0, 3.5]])
    out = dropout(x, 0.25, rng=np.random.default_rng(0), train=False, inverted=False)
    np.testing.assert_allclose(out, [[0.75, -1.5, 2.625]], rtol=1e-15)


def test_test_time_draws_nothing_from_rng():
    rng = np.random.default_rng(0)
    dropout(np.ones(10), 0.5, rng=rng, train=False)
    assert rng.random() == np.random.default_rng(0).random()


@pytest.mark.parametrize("inverted", [True, False])
@pytest.mark.parametrize("train", [True, False])
def test_p_zero_returns_x(train, inverted):
    x = np.random.default_rng(0).standard_normal((4, 5))
    assert np.array_equal(dropout(x, 0.0, rng=np.random.default_rng(1), train=train,
                                  inverted=inverted), x)


@pytest.mark.parametrize("p", [1.0, 1.5, -0.1, -1e-12, math.nan, math.inf])
@pytest.mark.parametrize("train", [True, False])
def test_invalid_p_raises(p, train):
    with pytest.raises(ValueError, match="p"):
        dropout(np.ones(3), p, rng=np.random.default_rng(0), train=train)
    with pytest.raises(ValueError):
        dropout_mask((3,), p, rng=np.random.default_rng(0))


def test_p_one_message_says_why():
    with pytest.raises(ValueError) as info:
        dropout(np.ones(3), 1.0, rng=np.random.default_rng(0))
    message = str(info.value)
    assert "drop every unit" in message
    assert "1 - p = 0" in message


def test_check_drop_probability_accepts_valid():
    for p in (0, 0.0, 0.5, 0.999):
        assert check_drop_probability(p) == float(p)
