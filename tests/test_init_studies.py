"""lecture_lib.init_studies: each summary checked against an independent computation or a
theory value, never against numbers the function itself produced."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib.init_studies import (
    cosine_by_layer,
    distinct_units,
    init_net,
    init_training_curves,
    layer_statistics,
    saturation_study,
)


def test_distinct_units():
    a, b = np.arange(4.0), np.arange(4.0)[::-1]
    assert distinct_units(np.column_stack([a, a, b])) == 2
    assert distinct_units(np.full((5, 7), 0.05)) == 1
    assert distinct_units(np.random.default_rng(0).standard_normal((5, 7))) == 7


def test_init_net_scales():
    sizes = [200, 200, 10]
    assert all(np.all(W == 0) for W in init_net(sizes, "zeros", activation="tanh", seed=0).weights)
    constant = init_net(sizes, "constant", activation="tanh", seed=0, constant=0.03)
    assert all(np.all(W == 0.03) for W in constant.weights)
    for kind, c in [("too large", 16.0), ("he", 2.0)]:
        W = init_net(sizes, kind, activation="relu", seed=0, too_large=16.0).weights[0]
        assert W.var() == pytest.approx(c / 200, rel=0.05)
    with pytest.raises(ValueError, match="kind"):
        init_net(sizes, "huge", activation="relu", seed=0)


def test_init_training_curves_start_stall_and_divergence():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((60, 5)), rng.integers(0, 3, 60)
    sizes = [5, 8, 8, 3]
    curves = init_training_curves(X, y, sizes, ["zeros", "too large", "he"], activation="relu",
                                  seeds=[0, 1], epochs=3, batch_size=20, eta=0.1, too_large=1e6)
    assert curves["he"].loss.shape == (2, 4) and curves["he"].accuracy.shape == (2, 4)
    before = init_net(sizes, "he", activation="relu", seed=1).loss(X, y)
    assert curves["he"].loss[1, 0] == pytest.approx(before, rel=1e-12)
    assert np.all(curves["he"].final < curves["he"].loss[:, 0]), "He trains"
    # all 0: the hidden outputs stay 0, so the loss is at least that of the best constant guess
    frequencies = np.bincount(y, minlength=3) / len(y)
    assert np.all(curves["zeros"].final >= -np.sum(frequencies * np.log(frequencies)) - 1e-9)
    assert np.all(np.isnan(curves["too large"].final)), "var(w) = 10⁶/d blows up"


def test_layer_statistics_forward_variance_matches_the_linear_theory():
    x0 = np.random.default_rng(0).normal(0, np.sqrt(1e-3), (400, 300))
    stats = layer_statistics([300] * 5, [1 / 300] * 4, x0, activation="tanh", seed=1)
    # small tanh scores: var(x) stays near var(x⁰) = 1e-3 (slides: var(w) = 1/d keeps it)
    assert np.all(np.abs(stats.var_x / 1e-3 - 1) < 0.1)
    assert np.all(np.isnan(stats.var_delta))


def test_saturation_study():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 16)), rng.integers(0, 10, 50)
    calm = saturation_study(X, y, 0.01, depth=3, width=32, layers=(1, 3))
    assert calm.saturated == 0 and np.isnan(calm.delta_ratio)
    hot = saturation_study(X, y, 400.0, depth=3, width=32, layers=(1, 3))
    assert hot.saturated > 0.5 and hot.max_derivative < 1 - 0.99**2 + 1e-12
    assert hot.delta_ratio < 0.05
    assert sum(hot.histograms[3]) == 50 * 32 and set(hot.histograms) == {1, 3}
    # per layer, the same threshold: layer 1's share is the table's; the outer histogram bins
    # (|x| >= 0.95, a wider band than |x| > 0.99) hold at least as many
    assert set(hot.saturated_by_layer) == {1, 3} and calm.saturated_by_layer == {1: 0.0, 3: 0.0}
    assert hot.saturated_by_layer[1] == hot.saturated
    for ell in (1, 3):
        outer = hot.histograms[ell][[0, -1]].sum() / (50 * 32)
        assert 0.5 < hot.saturated_by_layer[ell] <= outer


def test_cosine_by_layer():
    x = np.random.default_rng(0).standard_normal((64, 400))
    same = cosine_by_layer(np.repeat(x[:1], 5, axis=0), [2 / 400] * 3, depth=3, width=400)
    np.testing.assert_allclose(same, 1.0, rtol=1e-12)
    first = cosine_by_layer(x, [2 / 400] * 3, depth=3, width=2000)[0]
    # ReLU of two independent Gaussian score vectors: cosine 1/π (arc-cosine kernel at 90°)
    assert first == pytest.approx(1 / np.pi, abs=0.03)
