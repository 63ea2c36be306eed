"""lecture_lib.sweeps: the vectorised trainer checked against the training loop of
lecture_lib.training (one network at a time), and the sweeps built on it."""

import numpy as np
import pytest

from lecture_lib.data import load_digits
from lecture_lib.optim import SGD, Adam, Momentum, RMSProp
from lecture_lib.sweeps import best_eta, lr_sweep, lr_sweeps, train_many
from lecture_lib.training import train_each


@pytest.fixture(scope="module")
def digits():
    return load_digits(seed=0)


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
