"""The optimization dashboards, driven without a browser: set a control's value, read what the
picture, the plotted data and the readout now show. Every control is moved, including its
extremes; no numpy warning may occur in a redraw (pyproject turns warnings into errors, and the
recording wrapper catches the ones the observer would silence)."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from dashboard_helpers import record_warnings

from lecture_lib.dashboards.optimization import RULES, SurfaceExplorer, TrainingExplorer
from lecture_lib.optim import SGD, Momentum
from lecture_lib.surfaces import SURFACES, run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"




# ================================================================ surface explorer


@pytest.fixture(scope="module")
def surf():
    return record_warnings(SurfaceExplorer(steps=200))


@pytest.fixture
def explorer(surf):
    """The shared explorer, reset to its defaults."""
    surf.surface.value = "ravine"
    for box in surf.rules.values():
        box.value = True
    surf.eta.value, surf.beta.value, surf.beta1.value = 0.05, 0.9, 0.9
    surf.beta2.value, surf.noise.value = 0.999, 0.0
    surf.caught.clear()
    return surf


def check_surface(dash) -> bytes:
    """After any move: no warning, a PNG, every shown path finite and drawn inside the box or
    ending on its edge with a ✕, and a diverged path named in the readout."""
    assert not dash.caught, [str(w.message) for w in dash.caught]
    png = bytes(dash.image.value)
    assert png.startswith(PNG_MAGIC)
    surface = SURFACES[dash.surface.value]
    (x0, x1), (y0, y1) = surface.xlim, surface.ylim
    assert set(dash.paths) == set(dash.chosen())
    for rule in RULES:
        line = dash.lines[rule]
        if rule not in dash.chosen():
            assert not line.get_visible()
            continue
        assert line.get_visible()
        x, y = (np.asarray(a, dtype=float) for a in line.get_data())
        assert x.size >= 1 and np.all(np.isfinite(x)) and np.all(np.isfinite(y)), rule
        tol = 1e-9  # the drawn line ends inside the box or on its edge (earlier excursions
        # that come back are kept: the axes clip them)
        assert x0 - tol <= x[-1] <= x1 + tol and y0 - tol <= y[-1] <= y1 + tol, rule
        gap = np.asarray(dash.gaps[rule].get_ydata(), dtype=float)
        assert np.all(np.isfinite(gap)) and np.all(gap > 0), rule
        exit_x, exit_y = dash.exits[rule].get_data()
        if len(exit_x):  # the ✕ lies on the box edge, where the drawn line ends
            ex, ey = float(exit_x[0]), float(exit_y[0])
            on_edge = min(abs(ex - x0), abs(ex - x1), abs(ey - y0), abs(ey - y1))
            assert on_edge < 1e-9, rule
            assert (x[-1], y[-1]) == pytest.approx((ex, ey))
        if dash.paths[rule].diverged:
            assert len(exit_x), rule
            assert f"<b>{rule}</b></span>: <b>diverged</b>" in dash.readout.value
    return png


def test_default_state_and_static_view(explorer):
    png = check_surface(explorer)
    assert set(explorer.paths) == set(RULES)
    assert not any(path.diverged for path in explorer.paths.values())
    bundle = explorer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == png
    assert bundle["text/plain"] == "Surface explorer: run the notebook to move the sliders"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_paths_are_the_library_runs(explorer):
    """What is drawn is run() of lecture_lib with the same rule, not a copy of it."""
    explorer.eta.value = 0.02
    expected = run("ravine", Momentum(0.02, 0.9), steps=200)
    x, y = explorer.lines["momentum"].get_data()
    np.testing.assert_array_equal(np.column_stack([x, y]), expected.w)
    np.testing.assert_array_equal(explorer.paths["SGD"].w, run("ravine", SGD(0.02), steps=200).w)


@pytest.mark.parametrize("name", list(SURFACES))
def test_every_surface(explorer, name):
    before = check_surface(explorer)
    explorer.surface.value = name
    after = check_surface(explorer)
    if name != "ravine":
        assert after != before
        assert name in explorer.readout.value


@pytest.mark.parametrize("name", list(SURFACES))
def test_eta_extremes_on_every_surface(explorer, name):
    explorer.surface.value = name
    pictures = set()
    for exponent in (explorer.eta.min, -1.5, 0.0, explorer.eta.max):
        explorer.eta.value = 10.0**exponent
        pictures.add(check_surface(explorer))
    assert len(pictures) == 4


def test_divergence_is_drawn_and_named(explorer):
    explorer.eta.value = 10.0**explorer.eta.max
    check_surface(explorer)
    assert explorer.paths["SGD"].diverged and explorer.paths["momentum"].diverged
    assert explorer.readout.value.count("diverged") >= 2
    # just above GD's stability limit 2/20 on the ravine: SGD diverges, momentum does not
    explorer.eta.value = 0.12
    check_surface(explorer)
    assert explorer.paths["SGD"].diverged and not explorer.paths["momentum"].diverged


@pytest.mark.parametrize("control, values", [
    ("beta", (0.0, 0.5, 0.99)), ("beta1", (0.0, 0.99)), ("beta2", (0.0, 0.5, 0.9999)),
    ("noise", (0.0, 1.0, 5.0)),
])
@pytest.mark.parametrize("name", ["ravine", "saddle"])
def test_sliders_including_ends(explorer, control, values, name):
    explorer.surface.value = name
    slider = getattr(explorer, control)
    assert max(values) == slider.max and min(values) == slider.min
    pictures = set()
    for value in values:
        slider.value = value
        pictures.add(check_surface(explorer))
    assert len(pictures) == len(values), "every setting draws a different picture"


def test_extremes_together(explorer):
    """The corner a student reaches by pushing everything to the end: still a picture."""
    explorer.eta.value = 10.0**explorer.eta.max
    explorer.beta.value, explorer.beta1.value = explorer.beta.max, explorer.beta1.max
    explorer.beta2.value, explorer.noise.value = explorer.beta2.min, explorer.noise.max
    for name in SURFACES:
        explorer.surface.value = name
        check_surface(explorer)


def test_beta_zero_momentum_is_sgd_with_the_same_noise(explorer):
    explorer.beta.value = 0.0
    explorer.noise.value = 1.0
    check_surface(explorer)
    np.testing.assert_array_equal(explorer.paths["momentum"].w, explorer.paths["SGD"].w)


def test_rule_checkboxes(explorer):
    for rule in RULES:
        explorer.rules[rule].value = False
        check_surface(explorer)
        assert f"<b>{rule}</b>" not in explorer.readout.value
    assert explorer.paths == {}
    assert "Tick at least one rule" in explorer.readout.value
    explorer.rules["Adam"].value = True
    check_surface(explorer)
    assert set(explorer.paths) == {"Adam"}


def test_saddle_noise_escapes(explorer):
    """The slide's "escapable, especially with SGD": on the dashboard too."""
    explorer.surface.value = "saddle"
    check_surface(explorer)
    assert abs(explorer.paths["SGD"].w[-1, 1]) < 1e-9
    explorer.noise.value = 0.2
    check_surface(explorer)
    assert explorer.paths["SGD"].E[-1] < -0.9


# ================================================================ training explorer


@pytest.fixture(scope="module")
def train_dash():
    dash = record_warnings(TrainingExplorer(epochs=4, time_limit=1.0))
    dash.image_changes = 0

    def count(change):
        dash.image_changes += 1

    dash.image.observe(count, names="value")
    return dash


@pytest.fixture
def trainer(train_dash):
    train_dash.auto.value = False
    train_dash.rule.value, train_dash.eta.value = "Adam", 0.01
    train_dash.beta.value, train_dash.beta2.value, train_dash.batch_size.value = 0.9, 0.999, 64
    train_dash.auto.value = True
    train_dash.train.click()
    train_dash.caught.clear()
    return train_dash


def check_training(dash) -> bytes:
    """After any run: no warning, a PNG, finite curves of the completed epochs, and either a
    finished history or a divergence / time-limit message."""
    assert not dash.caught, [str(w.message) for w in dash.caught]
    png = bytes(dash.image.value)
    assert png.startswith(PNG_MAGIC)
    history = dash.history
    n = history.epochs_run
    for line in (dash.train_loss, dash.val_loss, dash.train_acc, dash.val_acc):
        y = np.asarray(line.get_ydata(), dtype=float)
        assert y.shape == (n,) and np.all(np.isfinite(y)) and np.all(y > 0)
    if history.diverged:
        assert "Diverged" in dash.readout.value
        assert dash.message.get_visible() and "diverged" in dash.message.get_text()
    else:
        assert not dash.message.get_visible()
        assert n == dash.epochs or "stopped after" in dash.readout.value
        assert f"after {n} epochs" in dash.readout.value
    return png


def test_training_default_state(trainer):
    png = check_training(trainer)
    assert trainer.history.epochs_run == 4 and not trainer.history.diverged
    assert trainer.history.val_acc[-1] > 0.8
    bundle = trainer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == png
    assert bundle["text/plain"] == "Training explorer: run the notebook to move the sliders"


def test_curves_are_drawn_while_training(trainer):
    """The first epoch is drawn before training ends, then the final state: at least two
    pictures after the cleared start, and the curves hold fit()'s numbers."""
    changes = trainer.image_changes
    trainer.eta.value = 0.003
    assert trainer.renders >= 3  # cleared axes, first epoch, final
    assert trainer.image_changes - changes >= 3
    check_training(trainer)
    np.testing.assert_allclose(trainer.val_loss.get_ydata(), trainer.history.val_loss)
    np.testing.assert_allclose(1 - trainer.val_acc.get_ydata(), trainer.history.val_acc)


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_at_eta_extremes(trainer, rule):
    trainer.rule.value = rule
    pictures = {check_training(trainer)}
    for exponent in (trainer.eta.min, trainer.eta.max):
        trainer.eta.value = 10.0**exponent
        pictures.add(check_training(trainer))
    assert len(pictures) == 3


def test_divergence_message(trainer):
    trainer.rule.value = "RMSProp"
    trainer.eta.value = 10.0
    check_training(trainer)
    assert trainer.history.diverged
    assert "No epoch completed" in trainer.readout.value


@pytest.mark.parametrize("control, values", [
    ("beta", (0.0, 0.999)), ("beta2", (0.0, 0.9999)),
])
@pytest.mark.parametrize("rule", ["momentum", "RMSProp", "Adam"])
def test_beta_sliders_including_ends(trainer, control, values, rule):
    trainer.rule.value = rule
    slider = getattr(trainer, control)
    assert (min(values), max(values)) == (slider.min, slider.max)
    for value in values:
        slider.value = value
        check_training(trainer)


def test_batch_size_extremes(trainer):
    sizes = [value for _, value in trainer.batch_size.options]
    trainer.batch_size.value = sizes[-1]  # the full training set: plain GD
    check_training(trainer)
    assert trainer.history.epochs_run == 4
    trainer.batch_size.value = sizes[0]  # B = 1: about 1,000 steps per epoch
    check_training(trainer)
    assert trainer.elapsed < trainer.time_limit + 5.0
    if trainer.history.epochs_run < trainer.epochs:
        assert "stopped after" in trainer.readout.value


def test_manual_mode_and_train_button(trainer):
    trainer.auto.value = False
    before = trainer.history
    trainer.eta.value = 0.05
    assert trainer.history is before, "no run without the button"
    assert "press <b>Train</b>" in trainer.readout.value
    trainer.train.click()
    assert trainer.history is not before
    check_training(trainer)
    assert "η = 0.05" in trainer.readout.value


def test_same_start_same_batches(trainer):
    """Two runs of the same setting give the same curves (seeded init and batch order)."""
    first = list(trainer.history.val_loss)
    trainer.train.click()
    assert trainer.history.val_loss == first
    grey = np.asarray(trainer.old_val_loss.get_ydata(), dtype=float)
    np.testing.assert_allclose(grey, first)


def test_switching_back_to_a_surface_draws_the_same_picture(explorer):
    """Backgrounds are cached per surface: a round trip must give the very same pixels as a
    full redraw."""
    first = check_surface(explorer)
    for name in SURFACES:
        explorer.surface.value = name
    explorer.surface.value = "ravine"
    assert check_surface(explorer) == first
    fresh = SurfaceExplorer(steps=200)
    assert bytes(fresh.image.value) == first
