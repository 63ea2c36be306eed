"""lecture_lib.regularization, the dropout experiments beyond ``dropout`` itself: both conventions
on an MLP, the plain -> inverted conversion, thinned nets and their averages, knock-outs,
‖w_t − w_0‖ and SGD in both conventions. Checked against MLP's own passes, against centred
differences, and against exact statements (a zero-weight unit costs nothing to knock out)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from lecture_lib.checks import numerical_gradient, rel_error
from lecture_lib.network import MLP
from lecture_lib.regularization import (
    distance_from_start,
    draw_masks,
    dropout_forward,
    ensemble_distances,
    knockout_damage,
    plain_loss_and_grads,
    plain_to_inverted,
    sgd_same_masks,
    thinned_average,
    thinned_weights,
    training_score_mean,
)


def net(p=0.5, sizes=(5, 7, 6, 3), activation="tanh", seed=0):
    return MLP(list(sizes), activation=activation, rng=np.random.default_rng(seed), dropout=p)


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    return rng.standard_normal((8, 5)), rng.integers(0, 3, size=8)


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.8])
def test_draw_masks_keep_fraction_within_sampling_error(p):
    model = net(p=p, sizes=(4, 200, 200, 3))
    masks = draw_masks(model, 500, rng=np.random.default_rng(2))
    assert masks[0] is None and masks[-1] is None
    for mask in masks[1:-1]:
        n = mask.size
        assert mask.shape == (500, 200) and mask.dtype == bool
        assert abs(mask.mean() - (1 - p)) < 4 * np.sqrt(p * (1 - p) / n)


def test_draw_masks_one_per_net_and_none_where_p_is_zero():
    model = MLP([4, 6, 5, 2], rng=np.random.default_rng(0), dropout=[0.0, 0.5])
    masks = draw_masks(model, None, rng=np.random.default_rng(0))
    assert masks[1] is None and masks[2].shape == (5,)
    with pytest.raises(ValueError, match="n_rows"):
        draw_masks(model, 0, rng=np.random.default_rng(0))


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_inverted_forward_matches_mlp(data, activation):
    X, _ = data
    model = net(activation=activation)
    masks = draw_masks(model, len(X), rng=np.random.default_rng(3))
    assert np.allclose(dropout_forward(model, X, masks=masks),
                       model.forward(X, train=True, masks=masks), rtol=1e-14, atol=0)
    assert np.array_equal(dropout_forward(model, X), model.forward(X))


def test_plain_test_pass_scales_outputs_by_keep_probability(data):
    X, _ = data
    model = net(p=0.3, sizes=(5, 7, 3))
    h = np.tanh(X @ model.W(1) + model.b(1))
    expected = 0.7 * h @ model.W(2) + model.b(2)
    assert np.allclose(dropout_forward(model, X, inverted=False), expected, rtol=1e-14)
    s1, s2 = dropout_forward(model, X, inverted=False, scores=True)
    assert np.allclose(s1, X @ model.W(1) + model.b(1)) and np.allclose(s2, expected)


def test_expected_training_score_equals_test_score_both_conventions():
    model = net(p=0.4, sizes=(3, 50, 2))
    X = np.random.default_rng(4).standard_normal((2, 3))
    X_rep = np.repeat(X, 20000, axis=0)
    masks = draw_masks(model, len(X_rep), rng=np.random.default_rng(5))
    for inverted in (True, False):
        train = dropout_forward(model, X_rep, masks=masks, inverted=inverted).reshape(2, -1, 2)
        se = train.std(axis=1) / np.sqrt(train.shape[1])
        test = dropout_forward(model, X, inverted=inverted)
        assert np.all(np.abs(train.mean(axis=1) - test) < 5 * se)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_plain_gradients_match_centred_differences(data, activation):
    X, y = data
    model = net(activation=activation)
    masks = draw_masks(model, len(X), rng=np.random.default_rng(6))
    _, grads = plain_loss_and_grads(model, X, y, masks=masks)
    for w, g in zip(model.params, grads):
        numeric = numerical_gradient(lambda: plain_loss_and_grads(model, X, y, masks=masks)[0], w)
        assert rel_error(g, numeric) < 1e-7


def test_plain_to_inverted_gives_same_passes_and_gradient_ratio(data):
    X, y = data
    plain = net(p=[0.3, 0.6])
    inverted = net(p=[0.3, 0.6], seed=9)
    inverted.set_params(plain_to_inverted(plain.params, plain.dropout))
    masks = draw_masks(plain, len(X), rng=np.random.default_rng(7))
    assert np.allclose(dropout_forward(plain, X, masks=masks, inverted=False),
                       inverted.forward(X, train=True, masks=masks), rtol=1e-12, atol=1e-14)
    assert np.allclose(dropout_forward(plain, X, inverted=False), inverted.forward(X),
                       rtol=1e-12, atol=1e-14)
    _, g_plain = plain_loss_and_grads(plain, X, y, masks=masks)
    _, g_inv = inverted.loss_and_grads(X, y, masks=masks)
    assert np.allclose(g_plain[0], g_inv[0], rtol=1e-10, atol=1e-15)  # before any dropout layer
    assert np.allclose(g_plain[2], 0.7 * g_inv[2], rtol=1e-10, atol=1e-15)  # W after p = 0.3
    assert np.allclose(g_plain[4], 0.4 * g_inv[4], rtol=1e-10, atol=1e-15)  # W after p = 0.6
    assert np.allclose(g_plain[5], g_inv[5], rtol=1e-10, atol=1e-15)  # same delta^(L)


def test_plain_to_inverted_does_not_modify_input_and_rejects_bad_p():
    model = net()
    before = model.copy_params()
    plain_to_inverted(model.params, model.dropout)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.params))
    with pytest.raises(ValueError, match="one p per hidden layer"):
        plain_to_inverted(model.params, [0.5])
    with pytest.raises(ValueError, match="p = 1 would drop every unit"):
        plain_to_inverted(model.params, [0.5, 1.0])


def test_thinned_average_running_mean_and_errors(data):
    X, _ = data
    model = net()
    averages = thinned_average(model, X, 5, rng=np.random.default_rng(8))
    assert averages.shape == (5, len(X), 3)
    assert np.allclose(averages.sum(axis=2), 1.0)
    k = np.arange(1, 6)[:, None, None]
    members = np.diff(np.concatenate([np.zeros((1,) + averages.shape[1:]), averages * k]), axis=0)
    assert np.allclose(members.sum(axis=2), 1.0) and members.min() > -1e-12  # each a softmax
    assert not np.allclose(members[0], members[1])  # different thinned nets
    shared = thinned_average(model, X, 3, rng=np.random.default_rng(8), per_row=False)
    assert np.allclose(shared.sum(axis=2), 1.0)
    scores = thinned_average(model, X, 3, rng=np.random.default_rng(8), probabilities=False)
    assert not np.allclose(scores.sum(axis=2), 1.0)
    for bad in (0, 1.5, True, -2):
        with pytest.raises(ValueError, match="K must be an integer >= 1"):
            thinned_average(model, X, bad, rng=np.random.default_rng(0))


def test_ensemble_distances_fall_like_one_over_sqrt_k(data):
    X, _ = data
    model = net(sizes=(5, 40, 3))
    Ks = [1, 4, 16, 64]
    distances, reference = ensemble_distances(model, np.tile(X, (10, 1)), Ks, K_ref=4096,
                                              rng=np.random.default_rng(9))
    slope = np.polyfit(np.log(Ks), np.log(distances), 1)[0]
    assert -0.65 < slope < -0.35 and reference.shape == (80, 3)
    with pytest.raises(ValueError, match="K_ref"):
        ensemble_distances(model, X, Ks, K_ref=0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"Ks\[0\] must"):
        ensemble_distances(model, X, [0, 2], K_ref=4, rng=np.random.default_rng(0))


def test_knockout_of_a_silent_unit_costs_nothing(data):
    X, y = data
    model = net(p=0.5, activation="relu")
    model.W(2)[3, :] = 0.0  # unit 3 of layer 1 feeds nothing forward
    damage = knockout_damage(model, X, y, layer=1)
    assert damage.shape == (7,) and damage[3] == 0.0 and np.any(damage != 0)
    # knocking out unit j by hand: the same number
    W = model.W(2).copy()
    model.W(2)[0, :] = 0.0
    by_hand = model.loss(X, y)
    model.W(2)[...] = W
    assert np.isclose(damage[0], by_hand - model.loss(X, y), rtol=1e-12, atol=1e-15)
    for bad in (0, 3, True, 1.0):
        with pytest.raises(ValueError, match="hidden layer 1..2"):
            knockout_damage(model, X, y, layer=bad)


def test_distance_from_start():
    start = [np.zeros((2, 2)), np.zeros(2)]
    moved = [np.full((2, 2), 1.0), np.array([1.0, 1.0])]
    assert distance_from_start(moved, start) == pytest.approx(np.sqrt(6))
    assert distance_from_start(start, start) == 0.0
    with pytest.raises(ValueError, match="params has 2 arrays but start has 1"):
        distance_from_start(moved, start[:1])


def test_thinned_weights_compute_the_masked_net(data):
    X, _ = data
    model = net(p=0.5, sizes=(5, 9, 8, 3))
    masks = draw_masks(model, None, rng=np.random.default_rng(10))
    thin = thinned_weights(model.params, masks)
    kept1, kept2 = masks[1].sum(), masks[2].sum()
    assert thin[0].shape == (5, kept1) and thin[2].shape == (kept1, kept2)
    x = X
    for ell, (W, b) in enumerate(zip(thin[0::2], thin[1::2]), start=1):
        s = x @ W + b
        x = np.tanh(s) / 0.5 if ell < 3 else s
    assert np.allclose(x, dropout_forward(model, X, masks=masks), rtol=1e-12)
    with pytest.raises(ValueError, match="one mask per layer"):
        thinned_weights(model.params, draw_masks(model, 4, rng=np.random.default_rng(0)))


def test_sgd_same_masks_conventions_part_unless_p_is_zero(data):
    X, y = data
    for p, parted in [(0.0, False), (0.5, True)]:
        plain, inverted = net(p=p), net(p=p)
        inverted.set_params(plain_to_inverted(plain.params, plain.dropout))
        gaps = sgd_same_masks(plain, inverted, X, y, eta=0.5, epochs=3, batch_size=4,
                              rng=np.random.default_rng(11))
        assert gaps.shape == (3,)
        assert (gaps[-1] > 1e-3) == parted
        if not parted:
            assert gaps.max() < 1e-12


@pytest.mark.parametrize("kwargs, message", [
    ({"eta": 0.0}, "eta"), ({"eta": float("nan")}, "eta"), ({"epochs": 0}, "epochs"),
    ({"batch_size": 2.5}, "batch_size"),
])
def test_sgd_same_masks_errors(data, kwargs, message):
    X, y = data
    options = {"eta": 0.1, "epochs": 1, "batch_size": 4} | kwargs
    with pytest.raises(ValueError, match=message):
        sgd_same_masks(net(), net(), X, y, rng=np.random.default_rng(0), **options)


def test_sgd_same_masks_needs_the_same_p(data):
    X, y = data
    with pytest.raises(ValueError, match="same drop probabilities"):
        sgd_same_masks(net(p=0.5), net(p=0.2), X, y, eta=0.1, epochs=1, batch_size=4,
                       rng=np.random.default_rng(0))


@pytest.mark.parametrize("inverted", [True, False])
def test_training_score_mean_is_the_mean_over_repeated_rows(inverted):
    """The chunked Monte Carlo mean equals the direct one: every row repeated M times, one
    pass with the masks of draw_masks over all repeated rows, mean and std per row."""
    model = net(sizes=(5, 9, 8, 3))  # two dropout layers: the masks' order matters
    X = np.random.default_rng(3).standard_normal((7, 5))
    M = 300
    X_rep = np.repeat(X, M, axis=0)
    masks = draw_masks(model, len(X_rep), rng=np.random.default_rng(4))
    scores = model.forward(X_rep, masks=masks, inverted=inverted).reshape(7, M, 3)
    mean, error = training_score_mean(model, X, M, rng=np.random.default_rng(4),
                                      inverted=inverted)
    np.testing.assert_allclose(mean, scores.mean(axis=1), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(error, scores.std(axis=1) / np.sqrt(M), rtol=1e-12, atol=1e-14)
    one_hidden = net(sizes=(5, 9, 3))  # one dropout layer: E(training score) = test score
    mean, error = training_score_mean(one_hidden, X, 2000, rng=np.random.default_rng(5),
                                      inverted=inverted)
    assert np.max(np.abs(mean - one_hidden.forward(X, inverted=inverted)) / error) < 5


def test_thinned_averages_hold_no_large_intermediate():
    """K = 256 thinned nets on 400 rows: 102,400 passes of a row, whose layers at once would
    take about 50 MiB each; the blocks keep the peak near the result's size (8 MiB)."""
    model = net(sizes=(64, 64, 10))
    X = np.random.default_rng(5).standard_normal((400, 64))
    tracemalloc.start()
    try:
        averages = thinned_average(model, X, 256, rng=np.random.default_rng(6))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert averages.shape == (256, 400, 10)
    assert peak < averages.nbytes + 30 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def _toy(seed=0, n=40, d_in=8, hidden=6, classes=3, p=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d_in))
    y = rng.integers(0, classes, n)
    net = MLP([d_in, hidden, classes], activation="relu", init="he", rng=rng, dropout=p)
    for b in net.biases:
        b += rng.normal(0, 0.5, b.shape)  # nonzero biases, as after training
    return net, X, y


def test_training_score_mean_plain_mean_is_scaled_sum_plus_unscaled_bias():
    net, X, _ = _toy(p=0.5)
    mean, se = training_score_mean(net, X[:5], 3000, rng=np.random.default_rng(1), inverted=False)
    b = net.params[3]
    weighted_sum = dropout_forward(net, X[:5], masks=[None] * 3, inverted=False) - b
    assert np.all(np.abs(mean - (0.5 * weighted_sum + b)) < 5 * se)
    assert np.max(np.abs(mean - 0.5 * (weighted_sum + b)) / se) > 5  # the bias is not scaled


def test_training_score_mean_without_dropout_are_exact():
    net, X, _ = _toy(p=0.0)
    mean, se = training_score_mean(net, X, 10, rng=np.random.default_rng(1), inverted=True)
    np.testing.assert_allclose(mean, net.forward(X), rtol=1e-12)
    assert np.all(se < 1e-6)
