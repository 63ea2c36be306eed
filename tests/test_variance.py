"""Variance propagation: predictions against products computed by hand, statistics of a tiny
hand-built trace, and measurement against prediction in the linear regime."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lecture_lib.network import MLP, Trace
from lecture_lib.variance import (
    SATURATION_LEVEL,
    hidden_layer_statistics,
    mlp_with_weight_variances,
    predicted_backward_variance,
    predicted_forward_variance,
    relu_second_moment,
)

# d^(0..3) and var(w^(1..3)): gains c_l = d^(l-1) var(w^(l)) = 4*0.5, 6*0.25, 8*0.1 = 2, 1.5, 0.8
WIDTHS = [4, 6, 8, 3]
VAR_W = [0.5, 0.25, 0.1]


def test_forward_tanh_is_product_of_gains():
    got = predicted_forward_variance(0.3, WIDTHS, VAR_W, "tanh")
    np.testing.assert_allclose(got, [0.3 * 2, 0.3 * 2 * 1.5, 0.3 * 2 * 1.5 * 0.8], rtol=1e-14)


def test_forward_relu_halves_after_first_layer():
    got = predicted_forward_variance(0.3, WIDTHS, VAR_W, "relu")
    # var(s1) = c1 var(x0); var(s_l) = c_l * 1/2 var(s_{l-1}) afterwards
    expected = [2 * 0.3, 1.5 * 0.5 * (2 * 0.3), 0.8 * 0.5 * (1.5 * 0.5 * 2 * 0.3)]
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_forward_he_keeps_relu_variance_constant():
    d = [10, 20, 40, 80, 5]
    he = [2 / d[0], 2 / d[1], 2 / d[2], 2 / d[3]]
    got = predicted_forward_variance(1.7, d, he, "relu")
    np.testing.assert_allclose(got, [2 * 1.7] + [2 * 1.7] * 3, rtol=1e-14)


def test_backward_tanh_is_product_of_gains():
    # delta^(l-1) sums over the d^(l) units of layer l: gain d^(l) var(w^(l));
    # layer 3 -> 2: 3 * 0.1 = 0.3; layer 2 -> 1: 8 * 0.25 = 2
    got = predicted_backward_variance(2.0, WIDTHS, VAR_W, "tanh")
    np.testing.assert_allclose(got, [2.0 * 0.3 * 2, 2.0 * 0.3, 2.0], rtol=1e-14)


def test_backward_relu_has_factor_half_per_layer():
    got = predicted_backward_variance(2.0, WIDTHS, VAR_W, "relu")
    np.testing.assert_allclose(got, [2.0 * 0.3 * 0.5 * 2 * 0.5, 2.0 * 0.3 * 0.5, 2.0],
                               rtol=1e-14)


def test_relu_second_moment_is_half_var_s():
    assert relu_second_moment(4.0) == 2.0
    assert relu_second_moment(0.0) == 0.0


# ---------------------------------------------------------------- statistics of a trace


def hand_trace() -> Trace:
    x0 = np.zeros((2, 3))
    x1 = np.array([[0.995, 0.0, -1.0], [-0.995, 0.0, 1.0]])
    s1 = np.array([[2.0, -2.0, 2.0], [-2.0, 2.0, -2.0]])
    x2 = np.array([[0.5, 0.0], [0.0, 0.0]])
    s2 = np.array([[1.0, 1.0], [1.0, 1.0]])
    s3 = np.array([[0.3], [0.1]])
    delta1 = np.array([[1.0, 3.0, 1.0], [3.0, 1.0, 3.0]])
    delta3 = np.array([[1.0], [-1.0]])
    return Trace(x=[x0, x1, x2, s3], s=[None, s1, s2, s3], delta=[None, delta1, None, delta3],
                 masks=[None, None, None, None])


def test_statistics_of_hand_built_trace():
    st = hidden_layer_statistics(hand_trace())
    assert st.var_x.shape == (2,)  # hidden layers 1 and 2 only
    # layer 1: mean 0, E(x^2) = (2*0.995^2 + 2*1) / 6
    np.testing.assert_allclose(st.var_x, [(2 * 0.995**2 + 2) / 6, 0.25 / 4 - (0.5 / 4) ** 2],
                               rtol=1e-14)
    np.testing.assert_allclose(st.var_s, [4.0, 0.0], atol=1e-15)
    assert st.var_delta[0] == pytest.approx(1.0)  # values 1 and 3, mean 2
    assert math.isnan(st.var_delta[1])  # no backward pass reached layer 2
    np.testing.assert_allclose(st.saturated, [4 / 6, 0.0])
    np.testing.assert_allclose(st.zero, [2 / 6, 3 / 4])
    np.testing.assert_allclose(st.dead, [1 / 3, 1 / 2])


def test_saturation_threshold_is_strict_099():
    assert SATURATION_LEVEL == 0.99
    x1 = np.array([[0.99, 0.9900001, -0.99, -0.9900001]])
    t = Trace(x=[x1, x1, x1[:, :1]], s=[None, x1, x1[:, :1]], delta=[None, None, None])
    st = hidden_layer_statistics(t)
    assert st.saturated[0] == 0.5


# ---------------------------------------------------------------- measurement vs prediction


def measured_network_statistics(activation, var_x0, c, depth=5, width=300, n=400, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [width] * (depth + 2)
    net = MLP(sizes, activation=activation, init="normal", variance=c / width, rng=rng)
    X = rng.standard_normal((n, width)) * math.sqrt(var_x0)
    net.forward(X)
    net.propagate_delta(rng.standard_normal((n, width)))
    return hidden_layer_statistics(net.trace), sizes


def test_tanh_linear_regime_forward_and_backward_agree_with_prediction():
    var_x0, c, depth, width = 1e-4, 1.0, 5, 300
    st, sizes = measured_network_statistics("tanh", var_x0, c, depth, width)
    fwd = predicted_forward_variance(var_x0, sizes, [c / width] * depth, "tanh")
    np.testing.assert_allclose(fwd, var_x0, rtol=1e-12)  # c = 1: constant by the formula
    assert np.all(np.abs(st.var_x / fwd - 1) < 0.10), st.var_x / fwd
    bwd = predicted_backward_variance(1.0, sizes, [c / width] * (depth + 1), "tanh")[:depth]
    assert np.all(np.abs(st.var_delta / bwd - 1) < 0.10), st.var_delta / bwd


def test_tanh_large_inputs_leave_the_linear_regime():
    """The prediction is for small scores only: unit input variance decays with c = 1."""
    st, _ = measured_network_statistics("tanh", 1.0, 1.0, depth=5)
    assert st.var_x[-1] < 0.5 * st.var_x[0]


def test_relu_he_measured_matches_prediction():
    var_x0, c, depth, width = 1.0, 2.0, 5, 300
    st, sizes = measured_network_statistics("relu", var_x0, c, depth, width)
    fwd = predicted_forward_variance(var_x0, sizes, [c / width] * depth, "relu")
    assert np.all(np.abs(st.var_s / fwd - 1) < 0.15), st.var_s / fwd
    # about half the units are zero on each sample
    assert np.all(np.abs(st.zero - 0.5) < 0.05)


# ---------------------------------------------------------------- the slide's typo


def test_relu_second_moment_on_samples_is_half_var_s_not_half_var_s_squared():
    rng = np.random.default_rng(0)
    n, sigma2 = 200_000, 4.0
    s = rng.standard_normal(n) * math.sqrt(sigma2)
    x = np.maximum(s, 0.0)
    # E(x^2) = sigma^2 / 2 = 2; var(x^2) = E(x^4) - E(x^2)^2 = 3 sigma^4 / 2 - sigma^4 / 4
    se = math.sqrt((1.5 - 0.25) * sigma2**2 / n)
    second_moment = np.mean(x**2)
    assert abs(second_moment - 0.5 * sigma2) < 5 * se
    assert abs(second_moment - relu_second_moment(s.var())) < 5 * se
    # the slide's 0.5 var(s^2) = 0.5 * 2 sigma^4 = 16: far off
    half_var_s_squared = 0.5 * np.var(s**2)
    assert half_var_s_squared == pytest.approx(0.5 * 2 * sigma2**2, rel=0.05)
    assert abs(second_moment - half_var_s_squared) > 10


def test_unequal_widths_measured_matches_prediction_both_directions():
    """Which width enters which direction is decided by measurement, not by the formula's
    code: forward sums over d^(l-1) inputs, backward over d^(l) outputs."""
    rng = np.random.default_rng(1)
    sizes = [200, 400, 150, 300, 250]
    var_w = [0.7 / 200, 1.5 / 400, 2.0 / 150, 1.0 / 300]
    net = MLP(sizes, activation="tanh", init="zeros", rng=rng)
    for W, v in zip(net.weights, var_w):
        W[...] = rng.standard_normal(W.shape) * math.sqrt(v)
    n, var_x0 = 400, 1e-4
    net.forward(rng.standard_normal((n, sizes[0])) * math.sqrt(var_x0))
    net.propagate_delta(rng.standard_normal((n, sizes[-1])))
    st = hidden_layer_statistics(net.trace)
    fwd = predicted_forward_variance(var_x0, sizes, var_w, "tanh")[:-1]
    bwd = predicted_backward_variance(1.0, sizes, var_w, "tanh")[:-1]
    assert np.all(np.abs(st.var_x / fwd - 1) < 0.10), st.var_x / fwd
    assert np.all(np.abs(st.var_delta / bwd - 1) < 0.10), st.var_delta / bwd
    # the direction matters here: a backward prediction using d^(l-1) (gains 300/300,
    # 150*2/150, 400*1.5/400) would be [3, 2, 1], far from the measured one
    assert np.all(np.abs(fwd / var_x0 - [0.7, 0.7 * 1.5, 0.7 * 1.5 * 2.0]) < 1e-12)
    assert not np.allclose(bwd, [1.0 * 1.5 * 2.0 * 1.0, 1.0 * 2.0 * 1.0, 1.0], rtol=0.2)


# ---------------------------------------------------------------- mlp_with_weight_variances


def test_mlp_with_weight_variances_moments_and_zero_biases():
    sizes = [400, 300, 200]
    variances = [0.5 / 400, 3.0 / 300]
    net = mlp_with_weight_variances(sizes, variances, activation="relu",
                                    rng=np.random.default_rng(0))
    assert net.activation == "relu"
    for W, b, v in zip(net.weights, net.biases, variances):
        n = W.size
        assert abs(W.mean()) < 5 * math.sqrt(v / n)
        assert abs(W.var(ddof=1) - v) < 5 * v * math.sqrt(2 / (n - 1))
        assert np.all(b == 0)


@pytest.mark.parametrize("variances", [[0.1], [0.1, 0.1, 0.1], [0.1, -0.1]])
def test_mlp_with_weight_variances_rejects_bad_lists(variances):
    with pytest.raises(ValueError, match="variance"):
        mlp_with_weight_variances([3, 4, 2], variances, activation="tanh",
                                  rng=np.random.default_rng(0))


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_mlp_with_weight_variances_rejects_non_finite(bad):
    """init_weights rejects a non-finite variance; this helper silently builds NaN/inf
    weights from one."""
    with pytest.raises(ValueError, match="variance"):
        mlp_with_weight_variances([3, 4, 2], [0.1, bad], activation="tanh",
                                  rng=np.random.default_rng(0))


# ---------------------------------------------------------------- the dashboard's math


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_propagate_statistics_matches_the_mlp(activation):
    """propagate_statistics (W = scale * U, no traces kept) gives the statistics of the MLP's
    own forward and backward pass with the same weights, in float64 to rounding."""
    from lecture_lib.variance import propagate_statistics

    rng = np.random.default_rng(5)
    d, n_layers, scale = 30, 4, math.sqrt(1.7 / 30)
    units = [rng.standard_normal((d, d)) for _ in range(n_layers)]
    x0, delta_out = rng.standard_normal((64, d)), rng.standard_normal((64, d))
    net = MLP([d] * (n_layers + 1), activation=activation, init="zeros",
              rng=np.random.default_rng(0))
    for W, U in zip(net.weights, units):
        W[...] = scale * U
    net.forward(x0)
    net.propagate_delta(delta_out)
    expected = hidden_layer_statistics(net.trace)
    got = propagate_statistics(units, [scale] * n_layers, x0, delta_out, activation).stats
    names = ["var_x", "var_s", "var_delta", "zero", "dead"]
    names += ["saturated"] if activation == "tanh" else []
    for name in names:
        np.testing.assert_allclose(getattr(got, name), getattr(expected, name), rtol=1e-10,
                                   err_msg=name)


def test_relu_statistics_rescale_exactly():
    """One ReLU pass at a reference scale, rescaled, equals a pass at another scale: the
    variances up to rounding, the zeros and histograms exactly (ReLU(r s) = r ReLU(s))."""
    from lecture_lib.variance import propagate_statistics, rescaled_relu

    rng = np.random.default_rng(6)
    d, n_layers = 40, 5
    units = [rng.standard_normal((d, d)) for _ in range(n_layers)]
    x0, delta_out = rng.standard_normal((32, d)), rng.standard_normal((32, d))
    ref_scale, scale, input_scale = math.sqrt(2 / d), math.sqrt(16 / d), 4.0  # r^2 = 8
    reference = propagate_statistics(units, [ref_scale] * n_layers, x0, delta_out, "relu")
    direct = propagate_statistics(units, [scale] * n_layers, input_scale * x0, delta_out,
                                  "relu")
    hidden = np.arange(1, n_layers)
    rescaled = rescaled_relu(reference, input_scale**2 * 8.0**hidden, 8.0 ** (n_layers - hidden))
    for name in ("var_x", "var_s", "var_delta"):
        np.testing.assert_allclose(getattr(rescaled.stats, name), getattr(direct.stats, name),
                                   rtol=1e-9, err_msg=name)
    np.testing.assert_array_equal(rescaled.stats.zero, direct.stats.zero)
    np.testing.assert_array_equal(rescaled.histograms, direct.histograms)


def test_unit_draws_are_lazy_seeded_float32():
    from lecture_lib.variance import UnitDraws

    draws = UnitDraws(16, 50, seed=2)
    assert draws.nbytes == 2 * 16 * 50 * 4  # no weight matrix drawn yet
    third = draws.weights(3).copy()
    assert third.dtype == np.float32 and third.shape == (50, 50)
    assert draws.nbytes == 2 * 16 * 50 * 4 + 50 * 50 * 4
    other = UnitDraws(16, 50, seed=2)
    other.weights(1)
    np.testing.assert_array_equal(other.weights(3), third)  # not dependent on draw order
    assert abs(float(third.std()) - 1.0) < 0.05
