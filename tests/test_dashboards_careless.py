"""The dashboards as a careless student uses them, in-process (the real-kernel checks are in
tests/test_kernel_careless.py): a re-run cell replaces the dashboard it made before, an
interrupt never leaves a half-trained run behind, a control set from code to a bad value is
refused at the control, and the runs' cache keys follow the controls."""

from __future__ import annotations

import gc
import math
import weakref

import ipywidgets as widgets
import numpy as np
import pytest
from ipywidgets.widgets.widget import _instances as registry

from lecture_lib.dashboards import (
    InitializationDashboard,
    RegularizationDashboard,
    SurfaceExplorer,
    TrainingExplorer,
)
from lecture_lib.dashboards.base import widget_tree
from lecture_lib.data import load_digits
from lecture_lib.network import MLP
from lecture_lib.optim import Adam, make_optimizer
from lecture_lib.surfaces import SURFACES
from lecture_lib.training import fit, train_each

# ================================================================ one dashboard per kind


def test_a_new_dashboard_closes_the_previous_one_of_its_class():
    first = SurfaceExplorer(steps=20)
    first_widgets = widget_tree(first.box)
    figure = weakref.ref(first.fig)
    other = InitializationDashboard(n_samples=8)  # another kind: stays open
    registered = len(registry)
    second = SurfaceExplorer(steps=20)
    gc.collect()
    assert figure() is None, "the old figure is released"
    assert len(first_widgets) > 20 and all(w.comm is None for w in first_widgets)
    assert len(registry) == registered, "as many widgets as before"
    assert "closed" in first._repr_mimebundle_()["text/plain"]
    with pytest.raises(AttributeError, match="closed when a newer one was made"):
        first.eta.value = 0.1
    assert other.box.comm is not None and other.c.value == 1.0
    second.eta.value = 0.1
    assert "η = 0.1" in second.readout.value


def test_re_running_a_cell_does_not_grow_the_widget_registry():
    counts = []
    for _ in range(4):
        dashboard = InitializationDashboard(n_samples=8)
        dashboard.c.value = 2.0
        gc.collect()
        counts.append(len(registry))
    assert counts[1:] == counts[:-1]


def test_a_failed_construction_keeps_the_previous_dashboard():
    dashboard = SurfaceExplorer(steps=20)
    with pytest.raises(ValueError, match="steps"):
        SurfaceExplorer(steps=0)
    dashboard.noise.value = 0.5
    assert dashboard.runs


# ================================================================ controls set from code

NAN = float("nan")


def refuse(dashboard, name, control, value, capsys, *allowed):
    before = control.value
    picture, readout, refused = dashboard.png(), dashboard.readout.value, len(dashboard.refused)
    control.value = value
    err = capsys.readouterr().err
    assert control.value == before, f"{name} keeps its last good value"
    assert dashboard.png() == picture and dashboard.readout.value == readout, "nothing redrawn"
    assert len(err.strip().splitlines()) == 1, f"one line, got {err!r}"
    assert err.startswith(f"{name} = {value!r} refused: {name} must be ")
    for word in allowed:
        assert word in err, (word, err)
    assert dashboard.refused[refused:] == [err.strip()]


def test_init_controls_refuse_nan(capsys):
    dashboard = InitializationDashboard(n_samples=8)
    refuse(dashboard, "c", dashboard.c, NAN, capsys, "0.00781", "256")
    refuse(dashboard, "input_variance", dashboard.input_variance, NAN, capsys, "0.001", "10")
    refuse(dashboard, "preset", dashboard.preset, "kaiming", capsys, "'Xavier'", "'He'")
    refuse(dashboard, "activation", dashboard.activation, "ReLU", capsys, "'relu'", "'tanh'")
    dashboard.c.value = 2.0  # still works
    assert "var(w) = c/d = 2/500" in dashboard.readout.value


def test_surface_controls_refuse_bad_values(capsys):
    dashboard = SurfaceExplorer(steps=20)
    refuse(dashboard, "surface", dashboard.surface, "bowl", capsys,
           *(repr(name) for name in SURFACES))
    for name in ("eta", "noise", "beta", "beta1", "beta2"):
        refuse(dashboard, name, getattr(dashboard, name), NAN, capsys, "a number from")
    refuse(dashboard, "eta", dashboard.eta, math.inf, capsys, "0.001", "10")


def test_training_controls_refuse_bad_values(capsys):
    dashboard = TrainingExplorer(epochs=1, auto_run=False)
    refuse(dashboard, "batch_size", dashboard.batch_size, 3, capsys, "1, 2, 4, 8", "1079")
    refuse(dashboard, "rule", dashboard.rule, "adam", capsys, "'Adam'", "'SGD'")
    refuse(dashboard, "eta", dashboard.eta, NAN, capsys, "0.0001", "10")
    regularization = RegularizationDashboard(max_epochs=2, width=8, auto_run=False)
    refuse(regularization, "p", regularization.p, NAN, capsys, "from 0 to 0.9")
    refuse(regularization, "eta", regularization.eta, NAN, capsys, "0.0001", "0.1")


def test_out_of_range_values_are_still_clamped(capsys):
    dashboard = SurfaceExplorer(steps=20)
    dashboard.noise.value = 99.0
    assert dashboard.noise.value == dashboard.noise.max and capsys.readouterr().err == ""


# ================================================================ cache keys from the controls


def test_the_cache_key_follows_every_watched_control():
    dashboard = TrainingExplorer(epochs=1, auto_run=False)
    key = dashboard.setting_key()
    assert {name for name, _ in key} == {"rule", "eta", "beta", "beta2", "batch_size"}
    dashboard.new_control = widgets.FloatSlider(value=0.5, min=0.0, max=1.0)
    dashboard._watch(dashboard.new_control)
    with_new = dashboard.setting_key()
    dashboard.new_control.value = 0.75
    assert dashboard.setting_key() != with_new, "a new control is in the key by itself"
    assert ("new_control", 0.75) in dashboard.setting_key()


def test_unused_hyperparameters_and_the_view_are_no_part_of_the_run_key():
    dashboard = TrainingExplorer(epochs=1, auto_run=False)
    dashboard.rule.value = "SGD"
    key = dashboard.setting_key()
    dashboard.beta2.value, dashboard.beta.value = 0.5, 0.5  # SGD takes neither
    assert dashboard.setting_key() == key
    dashboard.rule.value = "Adam"
    assert dict(dashboard.setting_key())["beta2"] == 0.5
    regularization = RegularizationDashboard(max_epochs=4, width=8, auto_run=False)
    key = regularization.setting_key()
    regularization.patience.value = 2
    assert regularization.setting_key() == key, "the patience only cuts the run"
    assert ("patience", 2) in regularization.view_key()


# ================================================================ interrupts


def interrupt_at(dashboard, monkeypatch, where, number):
    """Raise KeyboardInterrupt, as Kernel → Interrupt does, in the middle of a run: at the
    ``number``-th picture drawn while training (inside fit's callback, after a whole epoch),
    or at the ``number``-th minibatch (inside an epoch: the network half-way through it)."""
    count = []
    if where == "callback":
        real = dashboard._picture

        def picture(*, final, points=True):
            real(final=final, points=points)
            if not final:
                count.append(1)
                if len(count) == number:
                    raise KeyboardInterrupt

        monkeypatch.setattr(dashboard, "_picture", picture)
        monkeypatch.setattr(dashboard, "RENDER_INTERVAL", 0.0)
    else:
        real = MLP.loss_and_grads

        def loss_and_grads(self, *args, **kwargs):
            count.append(1)
            if len(count) == number:
                raise KeyboardInterrupt
            return real(self, *args, **kwargs)

        monkeypatch.setattr(MLP, "loss_and_grads", loss_and_grads)


@pytest.mark.parametrize("where, number", [("callback", 2), ("mid-epoch", 40)])
def test_training_explorer_interrupted_mid_run_then_a_fresh_run(monkeypatch, where, number):
    dashboard = TrainingExplorer(epochs=4, time_limit=60.0)
    with monkeypatch.context() as patch:
        interrupt_at(dashboard, patch, where, number)
        with pytest.raises(KeyboardInterrupt):
            dashboard.eta.value = 0.02
    assert dashboard.interrupted and "Interrupted" in dashboard.readout.value
    assert "training…" not in dashboard.readout.value
    assert "Interrupted" in dashboard.alt_text()
    eta = dashboard.eta.value
    dashboard.eta.value = 0.01
    dashboard.eta.value = eta
    assert dashboard.trained and not dashboard.interrupted
    adam = make_optimizer("Adam", eta=eta, beta1=0.9, beta2=0.999)
    fresh = train_each({"Adam": adam}, load_digits(seed=0), epochs=4, batch_size=64,
                       seed=0)["Adam"]
    assert dashboard.history == fresh


@pytest.mark.parametrize("where, number", [("callback", 3), ("mid-epoch", 75)])
def test_dropout_run_interrupted_mid_run_is_never_served_from_the_cache(monkeypatch, where,
                                                                        number):
    """Issue 20's reproduction: interrupt while p = 0.25 trains, move p, come back: the run is
    fit's with this patience, as if never interrupted (the reference is fit itself). Before
    the fix, the mid-epoch case went on from the half-trained cached run (25 epochs, not 39,
    at the default settings)."""
    options = {"max_epochs": 30, "width": 32, "batch_size": 20, "every": 1, "seed": 0}
    dashboard = RegularizationDashboard(**options)
    with monkeypatch.context() as patch:
        interrupt_at(dashboard, patch, where, number)
        with pytest.raises(KeyboardInterrupt):
            dashboard.p.value = 0.25
    assert dashboard.interrupted and "Interrupted" in dashboard.readout.value
    assert "training…" not in dashboard.readout.value and "Interrupted" in dashboard.alt_text()
    dashboard.p.value = 0.5
    dashboard.p.value = 0.25
    assert dashboard.trained
    digits = load_digits(seed=0)
    net = MLP([64, 32, 10], activation="tanh", init="xavier", rng=np.random.default_rng(0),
              dropout=0.25)
    fresh = fit(net, Adam(eta=dashboard.eta.value), digits.X_train[:200], digits.y_train[:200],
                digits.X_val, digits.y_val, epochs=30, batch_size=20,
                rng=np.random.default_rng(1), patience=dashboard.patience.value)
    assert dashboard.history == fresh
    assert dashboard.history.epochs_run > 8
