"""lecture_lib.regularization_studies: pair knock-outs against brute force, the runs over seeds
against single runs. (dropout_study against MLP + fit: test_dropout_effect.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib.network import MLP, softmax_cross_entropy
from lecture_lib.regularization import dropout_forward, knockout_damage
from lecture_lib.regularization_studies import dropout_runs, epochs_to, pair_interaction
from lecture_lib.training import History


def _toy(seed=0, n=40, d_in=8, hidden=6, classes=3, p=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d_in))
    y = rng.integers(0, classes, n)
    net = MLP([d_in, hidden, classes], activation="relu", init="he", rng=rng, dropout=p)
    for b in net.biases:
        b += rng.normal(0, 0.5, b.shape)  # nonzero biases, as after training
    return net, X, y


def test_epochs_to_counts_from_one():
    history = History(train_loss=[0.5, 0.2, 0.04, 0.01])
    assert epochs_to(history, 0.05) == 3.0  # the third pass is the first below 0.05
    assert np.isnan(epochs_to(history, 0.001))


def test_pair_interaction_equals_brute_force_knockouts():
    net, X, y = _toy()
    result = pair_interaction(net, X, y)

    def loss_without(*units):
        keep = np.ones(net.sizes[1], dtype=bool)
        keep[list(units)] = False
        scores = dropout_forward(net, X, masks=[None, keep, None], inverted=False)
        return softmax_cross_entropy(scores, y)[0]

    base = loss_without()
    single = np.array([loss_without(j) - base for j in range(6)])
    np.testing.assert_allclose(result.single, single, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.single, knockout_damage(net, X, y), rtol=1e-10, atol=1e-12)
    for i in range(6):
        for j in range(6):
            expected = 0.0 if i == j else loss_without(i, j) - base - single[i] - single[j]
            assert result.interaction[i, j] == pytest.approx(expected, abs=1e-12)
    assert result.pairs.shape == (15,)
    assert np.any(np.abs(result.pairs) > 1e-4), "a softmax loss is not additive in the units"


def test_dropout_runs_differ_only_by_p_for_one_seed():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 6)), rng.integers(0, 3, 40)
    histories, nets = dropout_runs(X, y, X, y, [6, 10, 3], [0.0, 0.5], seeds=[0, 1], epochs=2,
                                   batch_size=10, keep_nets=True)
    assert set(histories) == set(nets) == {(0.0, 0), (0.0, 1), (0.5, 0), (0.5, 1)}
    again, none = dropout_runs(X, y, X, y, [6, 10, 3], [0.0], seeds=[0], epochs=2, batch_size=10)
    assert none == {} and again[0.0, 0].train_loss == histories[0.0, 0].train_loss
    assert histories[0.5, 0].train_loss != histories[0.0, 0].train_loss
    assert nets[0.5, 0].dropout == [0.5]
