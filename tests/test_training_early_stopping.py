"""training.fit's early stopping (slides "A Basic Trick: Early Stopping"): the best epoch is
the argmin of the validation loss, training stops exactly ``patience`` epochs after it, and
``restore_best`` gives back the weights of that epoch (checked against copies taken by a
callback, not against fit's own bookkeeping)."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib.data import load_digits
from lecture_lib.network import MLP
from lecture_lib.optim import Adam
from lecture_lib.training import fit


@pytest.fixture(scope="module")
def digits():
    return load_digits(seed=0)


def run(digits, *, patience, restore_best, epochs=40, p=0.0):
    net = MLP([64, 64, 10], activation="tanh", rng=np.random.default_rng(0), dropout=p)
    snapshots = []
    history = fit(net, Adam(eta=1e-2), digits.X_train[:100], digits.y_train[:100], digits.X_val,
                  digits.y_val, epochs=epochs, batch_size=20, rng=np.random.default_rng(1),
                  callback=lambda epoch, h: snapshots.append(net.copy_params()),
                  patience=patience, restore_best=restore_best)
    return net, history, snapshots


@pytest.mark.parametrize("patience", [1, 3, 7])
def test_stops_patience_epochs_after_the_best(digits, patience):
    _, history, _ = run(digits, patience=patience, restore_best=False)
    assert history.stopped_early and history.stop_reason == "patience"
    assert history.best_epoch == int(np.argmin(history.val_loss))
    assert history.epochs_run - 1 - history.best_epoch == patience
    # no epoch before the last one had used up the patience
    best_so_far = np.minimum.accumulate(history.val_loss)
    for epoch in range(history.epochs_run - 1):
        since = epoch - int(np.argmin(history.val_loss[: epoch + 1]))
        assert since < patience
    assert best_so_far[-1] == min(history.val_loss)


@pytest.mark.parametrize("p", [0.0, 0.5])
def test_restored_weights_are_those_of_the_best_epoch(digits, p):
    net, history, snapshots = run(digits, patience=5, restore_best=True, p=p)
    best = history.best_epoch
    assert all(np.array_equal(a, b) for a, b in zip(net.params, snapshots[best]))
    assert not all(np.array_equal(a, b) for a, b in zip(net.params, snapshots[-1]))
    assert net.loss(digits.X_val, digits.y_val) == pytest.approx(min(history.val_loss),
                                                                 rel=1e-12)


def test_without_restore_the_last_weights_stay(digits):
    net, history, snapshots = run(digits, patience=5, restore_best=False)
    assert all(np.array_equal(a, b) for a, b in zip(net.params, snapshots[-1]))
    assert net.loss(digits.X_val, digits.y_val) == pytest.approx(history.val_loss[-1], rel=1e-12)


def test_same_run_cut_short_and_no_stop_with_long_patience(digits):
    _, full, _ = run(digits, patience=None, restore_best=False, epochs=30)
    _, short, _ = run(digits, patience=3, restore_best=False, epochs=30)
    assert np.allclose(short.val_loss, full.val_loss[: short.epochs_run], rtol=1e-12)
    _, never, _ = run(digits, patience=30, restore_best=True, epochs=30)
    assert not never.stopped_early and never.stop_reason == "epochs" and never.epochs_run == 30
