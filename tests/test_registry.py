"""The registry of update rules: adding a rule is one entry, and everything that lists rules
(the optimizer wrapper, the vectorised trainer and its η sweeps, every dashboard's menus, line
styles, labels and readouts) picks it up. The rule added here, Nesterov's momentum in the
slides' convention, exists in this test only."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib import optim
from lecture_lib.dashboards import (
    InitializationDashboard,
    RegularizationDashboard,
    SurfaceExplorer,
    TrainingExplorer,
)
from lecture_lib.data import load_digits
from lecture_lib.optim import RULES, Hyperparameter, Rule, make_optimizer
from lecture_lib.surfaces import run
from lecture_lib.sweeps import lr_sweep, train_many
from lecture_lib.training import train_each
from lecture_lib.validate import positive_float, probability


def nesterov_step(w, delta, v, *, eta, beta):
    """v_t = β v_{t-1} + (1-β) Δ_t; w_t = w_{t-1} - η (β v_t + (1-β) Δ_t): the look-ahead."""
    v = beta * v + (1 - beta) * delta
    return w - eta * (beta * v + (1 - beta) * delta), v


NESTEROV = Rule(
    "Nesterov", nesterov_step,
    (Hyperparameter("eta", "η", positive_float, "η > 0"),
     Hyperparameter("beta", "β", probability, "0 <= β < 1", 0.9)),
    "v_t = β v_{t-1} + (1-β) Δ_t;  w_t = w_{t-1} - η (β v_t + (1-β) Δ_t)",
    state=("v",), beta="beta", style=4)


@pytest.fixture
def nesterov(monkeypatch):
    """The sixth rule, registered for one test."""
    monkeypatch.setitem(RULES, "Nesterov", NESTEROV)
    return NESTEROV


@pytest.fixture(scope="module")
def digits():
    return load_digits(seed=0)


def test_register_adds_a_rule_and_refuses_a_shown_rule_with_a_taken_style(monkeypatch):
    monkeypatch.setattr(optim, "RULES", dict(RULES))  # register() writes into a copy
    assert optim.register(NESTEROV) is optim.RULES["Nesterov"]
    clash = Rule("clash", nesterov_step, NESTEROV.hyperparameters, state=("v",), style=1)
    with pytest.raises(ValueError, match="momentum"):
        optim.register(clash)


def test_the_wrapper_runs_the_registered_step(nesterov):
    """Against the recursion written out again here, step by step."""
    rng = np.random.default_rng(0)
    deltas = rng.standard_normal((20, 3))
    opt = make_optimizer("Nesterov", eta=0.1, beta=0.8)
    w = np.ones(3)
    ref_w, ref_v = np.ones(3), np.zeros(3)
    for delta in deltas:
        opt.step([w], [delta])
        ref_v = 0.8 * ref_v + 0.2 * delta
        ref_w = ref_w - 0.1 * (0.8 * ref_v + 0.2 * delta)
    np.testing.assert_allclose(w, ref_w, rtol=1e-14)
    with pytest.raises(ValueError, match="beta"):
        make_optimizer("Nesterov", eta=0.1, beta=1.0)


def test_the_surface_explorer_offers_it(nesterov):
    explorer = SurfaceExplorer(steps=30)
    assert list(explorer.rules) == ["SGD", "momentum", "RMSProp", "Adam", "Nesterov"]
    assert "Nesterov" in explorer.beta.description
    assert "Nesterov" in explorer.paths
    expected = run("ravine", make_optimizer("Nesterov", eta=0.05, beta=0.9), steps=30)
    np.testing.assert_array_equal(explorer.paths["Nesterov"].w, expected.w)
    assert "Nesterov (long dash-dot line)" in explorer.describe()
    assert "<b>Nesterov</b>" in explorer.readout.value
    explorer.beta.value = 0.0  # β = 0 is SGD for the look-ahead too
    np.testing.assert_array_equal(explorer.paths["Nesterov"].w, explorer.paths["SGD"].w)
    explorer.rules["Nesterov"].value = False
    assert "Nesterov" not in explorer.paths


def test_the_training_explorer_trains_it(nesterov):
    trainer = TrainingExplorer(epochs=2)
    assert "Nesterov" in trainer.rule.options
    assert "Nesterov" in trainer.beta.description
    trainer.rule.value = "Nesterov"
    assert trainer.history.epochs_run == 2 and not trainer.history.diverged
    assert "Nesterov, η = 0.01, β = 0.9" in trainer.readout.value


def test_the_other_dashboards_build_with_it(nesterov):
    InitializationDashboard()
    RegularizationDashboard(max_epochs=2)


def test_a_sweep_runs_it(nesterov, digits):
    """train_many applies the registered step to stacked networks: one network equals the
    optimizer wrapper's run through train_each, and β = 0 equals SGD."""
    losses = lr_sweep("Nesterov", digits, [0.03, 0.3], [0, 1], epochs=1, beta=0.5)
    assert losses.shape == (2, 2) and np.all(np.isfinite(losses))
    one = train_many("Nesterov", digits, etas=0.3, seeds=[1], beta=0.5, epochs=1)
    alone = train_each({"Nesterov": make_optimizer("Nesterov", eta=0.3, beta=0.5)}, digits,
                       epochs=1, batch_size=64, seed=1)["Nesterov"]
    assert one.train_loss[0, 0] == pytest.approx(alone.train_loss[0], rel=1e-9)
    assert losses[1, 1] == pytest.approx(alone.train_loss[0], rel=1e-9)
    as_sgd = lr_sweep("Nesterov", digits, [0.1], [0], epochs=1, beta=0.0)
    sgd = lr_sweep("SGD", digits, [0.1], [0], epochs=1)
    np.testing.assert_array_equal(as_sgd, sgd)


def test_a_rule_needing_a_hyperparameter_the_trainer_cannot_set_is_refused(digits):
    with pytest.raises(ValueError, match="needs M"):
        train_many("moving window", digits, etas=0.1, seeds=[0], epochs=1)


def test_every_registered_rule_steps_like_its_class():
    """The registry's defaults and the classes' defaults agree: the wrapper made by name walks
    the named class's path."""
    named = {"SGD": optim.SGD(0.1), "momentum": optim.Momentum(0.1, 0.9),
             "RMSProp": optim.RMSProp(0.1), "Adam": optim.Adam(0.1),
             "moving window": optim.MovingWindow(0.1, 3), "heavy ball": optim.HeavyBall(0.1, 0.9),
             "printed rate": optim.PrintedRate(0.1)}
    assert set(named) == set(RULES)
    for name, opt in named.items():
        hyper = {h.name: opt.hyper[h.name] for h in RULES[name].hyperparameters if h.required}
        made = make_optimizer(name, **hyper)
        a, b = run("plateau", opt, steps=40), run("plateau", made, steps=40)
        np.testing.assert_array_equal(a.w, b.w)
