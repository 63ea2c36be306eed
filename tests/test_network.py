"""MLP: forward against a numpy forward written here, backprop against centred differences,
loss against the textbook formula, dropout, trace indexing, the all-zero and constant
initialization facts of the slides, and behaviour at huge weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lecture_lib.checks import numerical_gradient
from lecture_lib.network import MLP, DivergenceError, Trace, softmax_cross_entropy

ARCHITECTURES = [[5, 7, 3], [4, 6, 5, 3]]
ACTIVATIONS = ["tanh", "relu"]


def small_net(sizes, activation, seed=0, **kwargs) -> MLP:
    """Small random weights (var(w) = 0.5/d_in) and nonzero biases, so that every bias
    gradient is exercised as well."""
    rng = np.random.default_rng(seed)
    net = MLP(sizes, activation=activation, init="normal", variance=0.5 / max(sizes),
              rng=rng, **kwargs)
    for b in net.biases:
        b[...] = 0.1 * rng.standard_normal(b.shape)
    return net


def batch(sizes, n=6, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, sizes[0])), rng.integers(0, sizes[-1], size=n)


def reference_forward(params, X, activation, masks=None, ps=None):
    """A forward pass written independently of lecture_lib."""
    phi = np.tanh if activation == "tanh" else (lambda s: np.where(s > 0, s, 0.0))
    x = X
    n_layers = len(params) // 2
    for ell, (W, b) in enumerate(zip(params[0::2], params[1::2]), start=1):
        s = np.dot(x, W) + b
        if ell == n_layers:
            return s
        x = phi(s)
        if masks is not None:
            x = np.where(masks[ell], x / (1.0 - ps[ell - 1]), 0.0)
    raise AssertionError("unreachable")


def reference_loss(scores, y):
    """Mean of -log(exp(s_y) / sum_k exp(s_k)), the formula as written (moderate scores)."""
    e = np.exp(scores)
    return float(np.mean(-np.log(e[np.arange(len(y)), y] / e.sum(axis=1))))


def scale_rel_error(analytic, numeric) -> float:
    """max |a - n| / max(|a| + |n|) over one parameter array: elementwise cs231n rel_error
    is meaningless on entries whose gradient is ~1e-9 (the finite-difference rounding noise,
    ~1e-11, dominates them), so the error is measured against the array's scale."""
    scale = np.max(np.abs(analytic) + np.abs(numeric))
    assert scale > 0, "an all-zero gradient checks nothing"
    return float(np.max(np.abs(analytic - numeric)) / scale)


def assert_relu_margins(net, X, margin=1e-4):
    """Centred differences with h = 1e-5 move a score by at most h * max|x| (~3e-5 here):
    they are only valid if no hidden score is that close to ReLU's kink."""
    net.forward(X)
    for s in net.trace.s[1:-1]:
        assert np.min(np.abs(s)) > margin


# ---------------------------------------------------------------- forward, loss, layout


@pytest.mark.parametrize("sizes", ARCHITECTURES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_matches_reference(sizes, activation):
    net = small_net(sizes, activation)
    X, _ = batch(sizes)
    out = net.forward(X)
    assert out.shape == (len(X), sizes[-1])
    np.testing.assert_allclose(out, reference_forward(net.params, X, activation),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("sizes", ARCHITECTURES)
def test_loss_matches_log_softmax_formula(sizes):
    net = small_net(sizes, "tanh")
    X, y = batch(sizes)
    scores = reference_forward(net.params, X, "tanh")
    assert net.loss(X, y) == pytest.approx(reference_loss(scores, y), rel=1e-12)


def test_softmax_cross_entropy_direct_values():
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 4.0, 0.5]])
    y = np.array([2, 1, 0])
    loss, delta = softmax_cross_entropy(scores, y)
    assert loss == pytest.approx(reference_loss(scores, y), rel=1e-13)
    # delta = (softmax - onehot) / N, from the formula
    e = np.exp(scores)
    expected = e / e.sum(axis=1, keepdims=True)
    expected[np.arange(3), y] -= 1
    np.testing.assert_allclose(delta, expected / 3, rtol=1e-12, atol=1e-15)
    # uniform scores: loss log K
    assert softmax_cross_entropy(np.zeros((4, 5)), np.arange(4))[0] == pytest.approx(math.log(5))


def test_softmax_cross_entropy_stable_for_huge_scores():
    scores = np.array([[1e4, 1e4 - 1.0, 0.0], [1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]])
    y = np.array([1, 0, 0])
    loss, delta = softmax_cross_entropy(scores, y)
    # by hand: row 0: 1 + log(1 + e^-1); row 1: 0 (e^-1e4 underflows); row 2: 2e4
    expected = (1.0 + math.log1p(math.exp(-1.0)) + 0.0 + 2e4) / 3
    assert math.isfinite(loss)
    assert loss == pytest.approx(expected, rel=1e-12)
    assert np.all(np.isfinite(delta))
    p0 = 1.0 / (1.0 + math.exp(-1.0))
    np.testing.assert_allclose(delta[0], np.array([p0, 1 - p0 - 1, 0.0]) / 3, atol=1e-15)
    np.testing.assert_allclose(delta[2], np.array([-1.0, 1.0, 0.0]) / 3, atol=1e-15)


@pytest.mark.parametrize("sizes", ARCHITECTURES)
def test_params_layout_and_zero_biases(sizes):
    net = MLP(sizes, activation="tanh", init="xavier", rng=np.random.default_rng(0))
    assert len(net.params) == 2 * (len(sizes) - 1)
    for ell in range(1, len(sizes)):
        W, b = net.layer(ell)
        assert W.shape == (sizes[ell - 1], sizes[ell])
        assert b.shape == (sizes[ell],)
        assert np.all(b == 0.0)
        assert W is net.weights[ell - 1] and b is net.biases[ell - 1]
        assert W is net.W(ell) is net.params[2 * ell - 2]  # [W1, b1, W2, b2, ...]
        assert b is net.b(ell) is net.params[2 * ell - 1]
    assert net.n_layers == len(sizes) - 1
    for bad in (0, len(sizes), 1.0, True):
        with pytest.raises(ValueError, match="layer l"):
            net.W(bad)


def test_writing_through_W_changes_the_network():
    net = MLP([3, 4, 2], rng=np.random.default_rng(0))
    X = np.ones((1, 3))
    before = net.forward(X).copy()
    net.W(2)[...] = 0.0
    net.b(2)[...] = [1.0, -1.0]
    assert not np.allclose(before, [[1.0, -1.0]])
    assert np.array_equal(net.forward(X), [[1.0, -1.0]])


@pytest.mark.parametrize("sizes", ARCHITECTURES)
def test_trace_indexing(sizes):
    net = small_net(sizes, "tanh")
    X, y = batch(sizes, n=4)
    net.loss_and_grads(X, y)
    t = net.trace
    L = len(sizes) - 1
    assert isinstance(t, Trace)
    assert len(t.x) == len(t.s) == len(t.delta) == L + 1
    np.testing.assert_array_equal(t.x[0], X)
    assert t.s[0] is None and t.delta[0] is None
    for ell in range(1, L + 1):
        assert t.s[ell].shape == (4, sizes[ell])
        assert t.x[ell].shape == (4, sizes[ell])
        assert t.delta[ell].shape == (4, sizes[ell])
    for ell in range(1, L):
        np.testing.assert_allclose(t.x[ell], np.tanh(t.s[ell]), rtol=1e-15)
    np.testing.assert_array_equal(t.x[L], t.s[L])  # linear output layer


# ---------------------------------------------------------------- gradient checks


def check_all_gradients(net, X, y, masks=None, tol=1e-7):
    _, grads = net.loss_and_grads(X, y, masks=masks)
    assert len(grads) == len(net.params)
    for i, (p, g) in enumerate(zip(net.params, grads)):
        assert g.shape == p.shape
        numeric = numerical_gradient(lambda: net.loss_and_grads(X, y, masks=masks)[0], p)
        err = scale_rel_error(g, numeric)
        assert err <= tol, f"param {i} ({'W' if i % 2 == 0 else 'b'}{i // 2 + 1}): {err:.2e}"


@pytest.mark.parametrize("sizes", ARCHITECTURES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_check(sizes, activation):
    net = small_net(sizes, activation, seed=2)
    X, y = batch(sizes, seed=3)
    if activation == "relu":
        assert_relu_margins(net, X)
    check_all_gradients(net, X, y)


def test_gradient_check_own_loop_elementwise_on_larger_gradients():
    """Same check with a difference loop written here and cs231n's elementwise relative error,
    on entries with |gradient| > 1e-4 where it is meaningful."""
    sizes = [4, 6, 5, 3]
    net = small_net(sizes, "tanh", seed=4)
    X, y = batch(sizes, seed=5)
    _, grads = net.loss_and_grads(X, y)
    h = 1e-5
    checked = 0
    for p, g in zip(net.params, grads):
        flat = p.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            plus = net.loss(X, y)
            flat[i] = old - h
            minus = net.loss(X, y)
            flat[i] = old
            numeric = (plus - minus) / (2 * h)
            if abs(numeric) > 1e-4:
                checked += 1
                assert abs(numeric - g.reshape(-1)[i]) / (abs(numeric) + abs(g.reshape(-1)[i])) \
                    < 1e-6
    assert checked > 20


@pytest.mark.parametrize("sizes", ARCHITECTURES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_check_with_fixed_dropout_masks(sizes, activation):
    ps = [0.3, 0.5][: len(sizes) - 2]
    net = small_net(sizes, activation, seed=6, dropout=ps)
    X, y = batch(sizes, seed=7)
    mrng = np.random.default_rng(8)
    masks = [None] + [mrng.random((len(X), d)) >= p for d, p in zip(sizes[1:-1], ps)] + [None]
    for m in masks[1:-1]:
        assert m.any() and not m.all()
    if activation == "relu":
        assert_relu_margins(net, X)
    # the masks are the ones used, with inverted scaling
    out = net.forward(X, train=True, masks=masks)
    np.testing.assert_allclose(out, reference_forward(net.params, X, activation, masks, ps),
                               rtol=1e-12, atol=1e-14)
    check_all_gradients(net, X, y, masks=masks)


# ---------------------------------------------------------------- dropout in passes


def test_forward_test_pass_ignores_dropout_and_training_pass_uses_it():
    sizes = [5, 40, 30, 3]
    net = small_net(sizes, "tanh", dropout=0.5)
    X, _ = batch(sizes, n=8)
    clean = reference_forward(net.params, X, "tanh")
    np.testing.assert_allclose(net.forward(X), clean, rtol=1e-12)
    np.testing.assert_allclose(net.forward(X, train=False), clean, rtol=1e-12)
    assert all(m is None for m in net.trace.masks)
    a = net.forward(X, train=True)
    masks = net.trace.masks
    assert masks[0] is None and masks[-1] is None
    for m, d in zip(masks[1:-1], sizes[1:-1]):
        assert m.shape == (8, d) and m.dtype == bool
        assert 0.3 < m.mean() < 0.7
    assert not np.allclose(a, clean)
    # the training pass is exactly the reference forward with the masks it recorded
    np.testing.assert_allclose(a, reference_forward(net.params, X, "tanh", masks, [0.5, 0.5]),
                               rtol=1e-12, atol=1e-14)
    b = net.forward(X, train=True)
    assert not np.array_equal(a, b)  # fresh masks each training pass


def test_training_pass_without_dropout_equals_test_pass():
    sizes = [5, 7, 3]
    net = small_net(sizes, "relu")
    X, _ = batch(sizes)
    np.testing.assert_array_equal(net.forward(X, train=True), net.forward(X, train=False))


@pytest.mark.parametrize("p", [1.0, 1.5, -0.1, math.nan])
def test_dropout_out_of_range_raises(p):
    with pytest.raises(ValueError, match="p"):
        MLP([3, 4, 2], rng=np.random.default_rng(0), dropout=p)


def test_dropout_one_message_says_why():
    with pytest.raises(ValueError, match="drop every unit"):
        MLP([3, 4, 2], rng=np.random.default_rng(0), dropout=1.0)


@pytest.mark.parametrize("ps", [[0.1], [0.1, 0.2, 0.3], []])
def test_per_layer_dropout_list_of_wrong_length_raises(ps):
    with pytest.raises(ValueError, match="per hidden layer"):
        MLP([3, 4, 5, 2], rng=np.random.default_rng(0), dropout=ps)


def test_per_layer_dropout_list_with_invalid_entry_raises():
    with pytest.raises(ValueError):
        MLP([3, 4, 5, 2], rng=np.random.default_rng(0), dropout=[0.2, 1.0])


@pytest.mark.parametrize("sizes", [[3], [], [3, 0, 2]])
def test_bad_sizes_raise(sizes):
    with pytest.raises(ValueError, match="sizes"):
        MLP(sizes, rng=np.random.default_rng(0))


def test_unknown_activation_raises():
    with pytest.raises(ValueError, match="activation"):
        MLP([3, 2], activation="sigmoid", rng=np.random.default_rng(0))


# ---------------------------------------------------------------- the slides' init facts


@pytest.mark.parametrize("sizes", ARCHITECTURES)
def test_all_zero_init_gives_zero_gradients_except_output_bias(sizes):
    net = MLP(sizes, activation="tanh", init="zeros", rng=np.random.default_rng(0))
    X, y = batch(sizes, n=10, seed=9)
    _, grads = net.loss_and_grads(X, y)
    for i, g in enumerate(grads[:-1]):
        assert np.all(g == 0.0), f"gradient {i} is not exactly zero"
    # output bias: mean over samples of softmax(0) - onehot(y) = 1/K - class frequency
    K = sizes[-1]
    freq = np.bincount(y, minlength=K) / len(y)
    np.testing.assert_allclose(grads[-1], 1.0 / K - freq, atol=1e-15)
    assert np.any(grads[-1] != 0)


@pytest.mark.parametrize("sizes", [[4, 6, 3], [4, 6, 5, 3]])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_constant_init_keeps_units_cloned_under_sgd(sizes, activation):
    net = MLP(sizes, activation=activation, init="constant", value=0.2,
              rng=np.random.default_rng(0))
    X, y = batch(sizes, n=12, seed=10)
    before = net.copy_params()
    eta = 0.5
    for _ in range(5):
        _, grads = net.loss_and_grads(X, y)
        for p, g in zip(net.params, grads):
            p -= eta * g
    moved = [not np.allclose(a, b) for a, b in zip(before, net.params)]
    assert all(moved[0::2]), "some weight matrix did not move: the test would be vacuous"
    for W, b in zip(net.weights[:-1], net.biases[:-1]):
        scale = np.max(np.abs(W))
        # every column (incoming weights of one unit) equals the first column
        assert np.max(np.abs(W - W[:, :1])) <= 1e-13 * scale
        assert np.max(np.abs(b - b[0])) <= 1e-13 * max(np.max(np.abs(b)), 1e-300)
    W_out = net.weights[-1]
    # outgoing weights of cloned units are cloned too: all rows equal
    assert np.max(np.abs(W_out - W_out[:1, :])) <= 1e-13 * np.max(np.abs(W_out))


# ---------------------------------------------------------------- huge weights


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("sizes", ARCHITECTURES)
def test_huge_normal_init_diverges_cleanly_or_stays_finite(activation, sizes):
    net = MLP(sizes, activation=activation, init="normal", variance=1e300,
              rng=np.random.default_rng(0))
    X, y = batch(sizes)
    try:
        loss, grads = net.loss_and_grads(X, y)
    except DivergenceError as error:
        assert "float64" in str(error) and "too large" in str(error)
    else:
        assert math.isfinite(loss)
        assert all(np.all(np.isfinite(g)) for g in grads)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("sizes", ARCHITECTURES)
def test_weights_set_to_1e200_diverge_cleanly_or_stay_finite(activation, sizes):
    net = small_net(sizes, activation)
    for W in net.weights:
        W[...] = 1e200
    X, y = batch(sizes)
    try:
        loss, grads = net.loss_and_grads(X, y)
        test_loss = net.loss(X, y)
    except DivergenceError as error:
        assert "float64" in str(error) and "too large" in str(error)
    else:
        assert math.isfinite(loss) and math.isfinite(test_loss)
        assert all(np.all(np.isfinite(g)) for g in grads)


def test_relu_overflow_raises_divergence_error():
    net = small_net([5, 7, 6, 3], "relu")
    for W in net.weights:
        W[...] = 1e200
    X, y = batch([5, 7, 6, 3])
    X = np.abs(X)  # positive inputs: every ReLU passes, s^(2) ~ 1e400 overflows
    with pytest.raises(DivergenceError, match="too large"):
        net.loss_and_grads(X, y)


def test_huge_finite_scores_of_opposite_sign_do_not_warn():
    """tanh saturates to exactly +-1, so output weights of +-1e308 give finite scores
    +-1e308 and forward() accepts them; the loss must then raise DivergenceError or be
    finite (here it is mathematically 2e308, beyond float64), never a RuntimeWarning."""
    net = MLP([2, 1, 2], activation="tanh", init="zeros", rng=np.random.default_rng(0))
    net.weights[0][...] = 1e200
    net.weights[1][...] = [[1e308, -1e308]]
    X = np.array([[1.0, 1.0], [-1.0, -1.0]])
    y = np.array([1, 0])
    try:
        loss, grads = net.loss_and_grads(X, y)
    except DivergenceError:
        return
    assert math.isfinite(loss)
    assert all(np.all(np.isfinite(g)) for g in grads)


def test_trace_pass_leaves_the_recorded_trace_alone():
    net = small_net([4, 6, 3], "tanh", dropout=0.5)
    X, _ = batch([4, 6, 3])
    net.forward(X)
    recorded = net.trace
    trace = net.trace_pass(X[:2], train=True)
    assert net.trace is recorded and trace is not recorded
    assert trace.x[0].shape == (2, 4) and trace.masks[1].shape == (2, 6)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_plain_convention_passes_against_a_reference(activation):
    """Plain dropout: training x = phi(s) * m (unscaled), test x = (1-p) phi(s)."""
    sizes, p = [4, 6, 5, 3], 0.4
    net = small_net(sizes, activation, dropout=p)
    X, _ = batch(sizes)
    phi = np.tanh if activation == "tanh" else (lambda s: np.maximum(s, 0.0))
    W1, W2, W3 = net.weights
    b1, b2, b3 = net.biases
    test = ((1 - p) * phi((1 - p) * phi(X @ W1 + b1) @ W2 + b2)) @ W3 + b3
    np.testing.assert_allclose(net.forward(X, inverted=False), test, rtol=1e-12)
    rng = np.random.default_rng(5)
    m1, m2 = rng.random((6, 6)) >= p, rng.random((6, 5)) >= p
    train = (m2 * phi((m1 * phi(X @ W1 + b1)) @ W2 + b2)) @ W3 + b3
    scores = net.forward(X, masks=[None, m1, m2, None], inverted=False)
    np.testing.assert_allclose(scores, train, rtol=1e-12)
    assert net.trace.inverted is False


def test_given_masks_are_used_exactly_none_means_no_dropout():
    net = small_net([4, 6, 3], "tanh", dropout=0.5)
    X, y = batch([4, 6, 3])
    loss_given, _ = net.loss_and_grads(X, y, masks=[None, None, None])
    assert net.trace.masks == [None, None, None]
    assert loss_given == pytest.approx(net.loss(X, y), rel=1e-14)  # no drop, no rescaling


def test_dropout_is_checked_when_set():
    net = small_net([4, 6, 5, 3], "tanh")
    net.dropout = [0.2, 0.5]
    assert net.dropout == [0.2, 0.5]
    net.dropout = 0.3
    assert net.dropout == [0.3, 0.3]
    for bad in ("0.5", 1.0, [0.2], [0.2, -0.1]):
        with pytest.raises(ValueError, match="p"):
            net.dropout = bad
    assert net.dropout == [0.3, 0.3]


def test_evaluate_is_loss_and_accuracy_of_one_test_pass():
    rng = np.random.default_rng(7)
    net = MLP([5, 8, 3], activation="tanh", init="xavier", rng=rng)
    X, y = rng.normal(size=(40, 5)), rng.integers(0, 3, size=40)
    loss, accuracy = net.evaluate(X, y)
    assert loss == net.loss(X, y)
    assert accuracy == net.accuracy(X, y)
