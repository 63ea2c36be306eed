"""lecture_lib.runs, the runs the dashboards draw, without any widget or figure: the runs on
the surfaces are :func:`lecture_lib.surfaces.run` of the same rule cut to the plotting box; the
step budget of the training explorer; the dropout dashboard's run (DropoutRun): early stopping
read off a full run is exactly fit() with that patience, a run that goes on equals one call of
fit; and the cache of runs is bounded."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from lecture_lib.data import load_digits
from lecture_lib.network import MLP
from lecture_lib.optim import SGD, Adam, Momentum, RMSProp
from lecture_lib.runs import (
    DropoutRun,
    RunCache,
    early_stopping,
    epoch_numbers,
    epochs_within,
    steps_per_epoch,
    surface_runs,
    train_dropout_net,
)
from lecture_lib.surfaces import SURFACES, run
from lecture_lib.training import History, fit

RULES = ("SGD", "momentum", "RMSProp", "Adam")


def test_the_math_imports_no_plotting_and_no_widgets():
    """lecture_lib.runs is core: numpy only (what the dashboards draw is computed there)."""
    code = ("import sys, lecture_lib.runs; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_surface_runs_give_each_rule_the_hyperparameters_it_takes():
    """β goes to momentum and RMSProp, β1 and β2 to Adam, with bias correction."""
    settings = {"eta": 0.1, "beta": 0.5, "beta1": 0.6, "beta2": 0.7, "noise": 0.0, "steps": 20,
                "seed": 0}
    runs = surface_runs("ravine", list(RULES), **settings)
    expected = {"SGD": SGD(0.1), "momentum": Momentum(0.1, 0.5), "RMSProp": RMSProp(0.1, 0.5),
                "Adam": Adam(0.1, 0.6, 0.7)}
    for rule, optimizer in expected.items():
        np.testing.assert_array_equal(runs[rule].path.w, run("ravine", optimizer, steps=20).w)
    with pytest.raises(ValueError, match="rule"):
        surface_runs("ravine", ["nope"], **settings)


def test_surface_runs_are_the_library_runs_cut_to_the_box():
    """What surface_runs returns is run() of lecture_lib with the same rule, the same noise for
    every rule, and the part inside the box; computed here without any widget."""
    result = surface_runs("ravine", ["SGD", "momentum"], eta=0.02, beta=0.9, beta1=0.9,
                          beta2=0.999, noise=0.5, steps=50, seed=3)
    expected = run("ravine", Momentum(0.02, 0.9), steps=50, noise=0.5,
                   rng=np.random.default_rng(3))
    np.testing.assert_array_equal(result["momentum"].path.w, expected.w)
    np.testing.assert_array_equal(result["momentum"].points, expected.w)  # all inside
    assert result["momentum"].exit_point is None
    gap = expected.E - 0.0  # the ravine's minimum is E = 0
    np.testing.assert_allclose(result["momentum"].gap, np.clip(gap, 1e-10, 1e3))
    assert result["momentum"].final_gap == pytest.approx(float(gap[-1]))
    sgd = surface_runs("ravine", ["SGD"], eta=0.02, beta=0.0, beta1=0.0, beta2=0.0,
                       noise=0.5, steps=50, seed=3)["SGD"]
    np.testing.assert_array_equal(sgd.path.w, result["SGD"].path.w)


def test_surface_runs_cut_a_diverging_path_at_the_box_edge():
    result = surface_runs("ravine", ["SGD"], eta=1.0, beta=0.9, beta1=0.9, beta2=0.999,
                          noise=0.0, steps=100, seed=0)["SGD"]
    assert result.path.diverged and result.exit_point is not None
    (x0, x1), (y0, y1) = SURFACES["ravine"].xlim, SURFACES["ravine"].ylim
    ex, ey = result.exit_point
    assert min(abs(ex - x0), abs(ex - x1), abs(ey - y0), abs(ey - y1)) < 1e-9
    assert np.all(np.isfinite(result.gap))


def test_epochs_within_a_step_budget():
    # 1,079 digits: B = 1 makes 1,079 steps per epoch, B = 64 makes 17
    assert epochs_within(1079, 1, 20, 2500) == 2
    assert epochs_within(1079, 64, 20, 2500) == 20
    assert epochs_within(1079, 1, 20, 10) == 1  # at least one epoch
    assert epochs_within(1079, 4, 20, 2500) == 9  # 270 steps per epoch


def test_steps_and_epoch_numbers():
    assert [steps_per_epoch(1079, b) for b in (1, 64, 1079, 2000)] == [1079, 17, 1, 1]
    assert epoch_numbers(3).tolist() == [1, 2, 3]  # epoch 1 is after the first pass
    assert epoch_numbers(0).size == 0


# ================================================================ the dropout dashboard's run

SMALL = {"width": 32, "epochs": 30, "batch_size": 20, "seed": 0}


@pytest.fixture(scope="module")
def digits():
    return load_digits(seed=0)


def fit_with_patience(digits, p, eta, patience):
    """The reference: fit() itself with early stopping, as the dashboard used to call it."""
    net = MLP([64, SMALL["width"], 10], activation="tanh", init="xavier",
              rng=np.random.default_rng(SMALL["seed"]), dropout=p)
    return fit(net, Adam(eta=eta), digits.X_train[:100], digits.y_train[:100], digits.X_val,
               digits.y_val, epochs=SMALL["epochs"], batch_size=SMALL["batch_size"],
               rng=np.random.default_rng(SMALL["seed"] + 1), patience=patience,
               restore_best=True)


@pytest.mark.parametrize("p, eta", [(0.0, 3e-3), (0.5, 1e-2), (0.3, 0.1)])
def test_early_stopping_read_off_a_full_run_is_fit_with_patience(digits, p, eta):
    run = train_dropout_net(digits.X_train[:100], digits.y_train[:100], digits.X_val,
                            digits.y_val, p=p, eta=eta, **SMALL)
    assert run.history.epochs_run == SMALL["epochs"] or run.history.diverged
    for patience in (1, 2, 5, 10, SMALL["epochs"]):
        expected = fit_with_patience(digits, p, eta, patience)
        cut = early_stopping(run.history, patience)
        assert cut.val_loss == expected.val_loss, patience
        assert cut.train_loss == expected.train_loss
        assert cut.val_acc == expected.val_acc and cut.train_acc == expected.train_acc
        assert (cut.stopped_early, cut.diverged) == (expected.stopped_early, expected.diverged)
        if patience == SMALL["epochs"]:
            assert cut.stop_reason == expected.stop_reason


def stops(patience):
    return lambda history: early_stopping(history, patience).stopped_early


@pytest.mark.parametrize("p, eta", [(0.5, 1e-2), (0.3, 0.1)])
def test_a_run_that_goes_on_is_fit_with_patience(digits, p, eta):
    """Trained only as far as each patience needs, in several calls of fit, the run gives
    exactly the history of one call of fit with that patience."""
    run = DropoutRun(digits.X_train[:100], digits.y_train[:100], digits.X_val, digits.y_val,
                     p=p, eta=eta, width=SMALL["width"], max_epochs=SMALL["epochs"],
                     batch_size=SMALL["batch_size"], seed=SMALL["seed"])
    extent = 0
    for patience in (2, 1, 6, 4, 12, SMALL["epochs"]):
        trained = run.train(until=stops(patience))
        assert trained == (run.history.epochs_run > extent)
        extent = run.history.epochs_run
        expected = fit_with_patience(digits, p, eta, patience)
        assert early_stopping(run.history, patience) == expected, patience
    assert run.finished and run.net is None  # the state is dropped at the end


def test_a_run_patches_no_method_and_an_interrupted_run_starts_again(digits):
    """Going on is fit's own (``resume``): the network's methods are the class's. A
    KeyboardInterrupt inside a fit callback, mid-run, sends the run back to its seeded start,
    so trained on afterwards it is exactly a run that was never interrupted."""
    options = dict(p=0.5, eta=1e-2, width=SMALL["width"], max_epochs=SMALL["epochs"],
                   batch_size=SMALL["batch_size"], seed=SMALL["seed"])
    data = (digits.X_train[:100], digits.y_train[:100], digits.X_val, digits.y_val)
    run = DropoutRun(*data, **options)
    assert not {"loss", "loss_and_grads"} & set(vars(run.net))

    run.train(until=stops(1))
    first = run.history.epochs_run
    assert first < SMALL["epochs"] - 2

    def interrupt(epoch, history, distances):
        if epoch == first + 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run.train(callback=interrupt)
    assert run.interrupted and run.history.epochs_run == 0 and run.distances == []
    run.train(until=stops(8))
    fresh = DropoutRun(*data, **options)
    fresh.train(until=stops(8))
    assert run.history == fresh.history and run.distances == fresh.distances
    assert early_stopping(run.history, 8) == fit_with_patience(digits, 0.5, 1e-2, 8)


def test_distances_are_the_weights_distance_after_each_epoch(digits):
    """‖w − w_0‖ after epoch 1 and after the last epoch, recomputed from a separate run."""
    run = train_dropout_net(digits.X_train[:100], digits.y_train[:100], digits.X_val,
                            digits.y_val, p=0.5, eta=1e-2, **{**SMALL, "epochs": 3})
    net = MLP([64, SMALL["width"], 10], activation="tanh", init="xavier",
              rng=np.random.default_rng(0), dropout=0.5)
    w0 = [w.copy() for w in net.params]
    seen = []
    fit(net, Adam(eta=1e-2), digits.X_train[:100], digits.y_train[:100], digits.X_val,
        digits.y_val, epochs=3, batch_size=20, rng=np.random.default_rng(1),
        callback=lambda epoch, h: seen.append(np.sqrt(sum(np.sum((w - v) ** 2)
                                                           for w, v in zip(net.params, w0)))))
    np.testing.assert_allclose(run.distances, seen, rtol=1e-12)


def test_early_stopping_by_hand():
    h = History(train_loss=[5, 4, 3, 2, 1], val_loss=[5.0, 3.0, 4.0, 3.0, 6.0],
                train_acc=[0.1] * 5, val_acc=[0.2] * 5, stop_reason="epochs")
    one = early_stopping(h, 1)  # best 3.0 after epoch 2; epoch 3 is no better: stop
    assert one.val_loss == [5.0, 3.0, 4.0] and one.stopped_early
    two = early_stopping(h, 2)  # a tie (3.0 again) is not better: stop after epoch 4
    assert two.val_loss == [5.0, 3.0, 4.0, 3.0] and two.best_epoch == 1
    three = early_stopping(h, 3)  # fit checks the patience after the last epoch too
    assert three.stopped_early and three.epochs_run == 5
    assert not early_stopping(h, 4).stopped_early and early_stopping(h, 4).epochs_run == 5
    assert early_stopping(h, 4).stop_reason == "epochs"
    with pytest.raises(ValueError, match="patience"):
        early_stopping(h, 0)


def test_run_cache_is_bounded_and_least_recently_used():
    cache = RunCache(3)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") == "A"  # now the most recent
    cache.put("d", "D")
    assert "b" not in cache and len(cache) == 3
    assert [cache.get(k) for k in "acd"] == ["A", "C", "D"]
    assert cache.get("zz") is None
    with pytest.raises(ValueError, match="size"):
        RunCache(0)
