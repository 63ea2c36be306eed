"""The optimization dashboards, driven without a browser: set a control's value, read what the
picture, the plotted data, the readout and the picture's text equivalent now show. Every control
is moved, including its extremes. No warning may occur in a redraw: the observers hide none, and
pytest turns warnings into errors, so tests and students see the same code path.

The math they call, :mod:`lecture_lib.runs`, is tested without widgets in test_runs.py."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from lecture_lib.dashboards import optimization
from lecture_lib.dashboards.optimization import (
    MAX_RUN_STEPS,
    SurfaceExplorer,
    TrainingExplorer,
    rule_color,
    rule_names,
)
from lecture_lib.dashboards.style import fmt
from lecture_lib.optim import SGD, Momentum
from lecture_lib.plots import PALETTE
from lecture_lib.surfaces import SURFACES, run
from lecture_lib.training import digits_net, fit

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: The rules the slides compare, which the dashboards offer (from the registry).
RULES = ("SGD", "momentum", "RMSProp", "Adam")


def test_the_dashboards_offer_the_slides_four_rules():
    assert tuple(rule_names()) == RULES


# ================================================================ surface explorer


class Another(SurfaceExplorer):
    """A second explorer that does not replace the module's (a new dashboard closes the
    previous one of its class)."""


@pytest.fixture(scope="module")
def surf():
    return SurfaceExplorer(steps=200)


@pytest.fixture
def explorer(surf):
    """The shared explorer, reset to its defaults."""
    surf.surface.value = "ravine"
    for box in surf.rules.values():
        box.value = True
    surf.eta.value, surf.beta.value, surf.beta1.value = 0.05, 0.9, 0.9
    surf.beta2.value, surf.noise.value = 0.999, 0.0
    return surf


def check_surface(dash) -> bytes:
    """After any move: a PNG, every shown path finite and drawn inside the box or ending on
    its edge with a ✕, a diverged path named in the readout, and a text equivalent that
    names every rule drawn and where it ends."""
    png = bytes(dash.image.value)
    assert png.startswith(PNG_MAGIC)
    surface = SURFACES[dash.surface.value]
    (x0, x1), (y0, y1) = surface.xlim, surface.ylim
    assert set(dash.paths) == set(dash.chosen())
    alt = dash.alt_text()
    assert dash.surface.value in alt
    for rule in RULES:
        line = dash.lines[rule]
        if rule not in dash.chosen():
            assert not line.get_visible()
            assert f"{rule} (" not in alt
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
        path = dash.paths[rule]
        if path.diverged:
            assert len(exit_x), rule
            assert f"<b>{rule}</b>: <b>diverged</b> at step {path.diverged_at}" in (
                dash.readout.value)
            assert f"line) diverged at step {path.diverged_at}" in alt
        else:
            w1, w2 = path.w[-1]
            assert f"ends at ({fmt(w1)}, {fmt(w2)})" in alt, rule
    return png


def test_default_state_and_static_view(explorer):
    png = check_surface(explorer)
    assert set(explorer.paths) == set(RULES)
    assert not any(path.diverged for path in explorer.paths.values())
    bundle, metadata = explorer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == png
    assert metadata["image/png"]["alt"] == explorer.alt_text() == explorer.describe()
    assert bundle["text/plain"] == "Surface explorer: run the notebook to move the sliders"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_paths_are_the_library_runs(explorer):
    """What is drawn is run() of lecture_lib with the same rule, not a copy of it."""
    explorer.eta.value = 0.02
    expected = run("ravine", Momentum(0.02, 0.9), steps=200)
    x, y = explorer.lines["momentum"].get_data()
    np.testing.assert_array_equal(np.column_stack([x, y]), expected.w)
    np.testing.assert_array_equal(explorer.paths["SGD"].w, run("ravine", SGD(0.02), steps=200).w)


def test_rules_are_told_apart_without_colour(explorer):
    """Colour-blind-safe palette, and each rule's line has its own dash pattern."""
    assert {rule_color(rule) for rule in RULES} <= set(PALETTE)
    dashes = {str(explorer.lines[rule].get_linestyle()) for rule in RULES}
    assert len(dashes) == len(RULES)
    assert "solid line" in explorer.alt_text() and "dashed line" in explorer.alt_text()


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
    assert "no rule is ticked" in explorer.alt_text()
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


def test_switching_back_to_a_surface_draws_the_same_picture(explorer):
    """Backgrounds are cached per surface: a round trip must give the very same pixels as a
    full redraw."""
    first = check_surface(explorer)
    for name in SURFACES:
        explorer.surface.value = name
    explorer.surface.value = "ravine"
    assert check_surface(explorer) == first
    fresh = Another(steps=200)  # another class: the module's explorer stays open
    assert bytes(fresh.image.value) == first


# ================================================================ training explorer


@pytest.fixture(scope="module")
def train_dash():
    dash = TrainingExplorer(epochs=4, time_limit=60.0)
    dash.image_changes = 0

    def count(change):
        dash.image_changes += 1

    dash.image.widget.observe(count, names="value")
    return dash


@pytest.fixture
def trainer(train_dash):
    train_dash.auto.value = False
    train_dash.rule.value, train_dash.eta.value = "Adam", 0.01
    train_dash.beta.value, train_dash.beta2.value, train_dash.batch_size.value = 0.9, 0.999, 64
    train_dash.auto.value = True
    train_dash.train.click()
    return train_dash


def check_training(dash) -> bytes:
    """After any run: a PNG, finite curves of the completed epochs at epochs 1, 2, ... (epoch
    1 is after the first pass), either a finished history or a divergence message, and the
    same numbers in the text equivalent."""
    png = bytes(dash.image.value)
    assert png.startswith(PNG_MAGIC)
    history = dash.history
    n = history.epochs_run
    for line in (dash.train_loss, dash.val_loss, dash.train_acc, dash.val_acc):
        y = np.asarray(line.get_ydata(), dtype=float)
        assert y.shape == (n,) and np.all(np.isfinite(y)) and np.all(y > 0)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, n + 1))
    alt = dash.alt_text()
    assert dash.rule.value in alt and f"η = {fmt(dash.eta.value)}" in alt
    if history.diverged:
        assert "Diverged" in dash.readout.value and f"Diverged in epoch {n + 1}" in alt
        assert dash.message.get_visible() and "diverged" in dash.message.get_text()
    else:
        assert not dash.message.get_visible()
        assert n == dash.epochs_per_run() or "stopped after" in dash.readout.value
        assert f"after {n} epochs" in dash.readout.value
        assert f"After {n} epochs" in alt
        best = history.best_epoch
        assert f"at epoch {best + 1}" in alt
        assert dash.best.get_xdata()[0] == best + 1
        assert f"validation accuracy {history.val_acc[-1]:.1%}" in alt
    return png


def test_training_default_state(trainer):
    png = check_training(trainer)
    assert trainer.history.epochs_run == 4 and not trainer.history.diverged
    assert trainer.history.val_acc[-1] > 0.8
    bundle, metadata = trainer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == png
    assert metadata["image/png"]["alt"] == trainer.alt_text() == trainer.describe()
    assert bundle["text/plain"] == "Training explorer: run the notebook to move the sliders"


def test_the_run_is_fit_with_the_rule(trainer):
    """What is drawn is fit() of lecture_lib from the seeded start with the chosen rule."""
    trainer.rule.value = "momentum"
    model = digits_net(trainer.seed)
    data = trainer.data
    expected = fit(model, Momentum(0.01, 0.9), data.X_train, data.y_train, data.X_val,
                   data.y_val, epochs=4, batch_size=64,
                   rng=np.random.default_rng(trainer.seed + 1))
    assert trainer.history.val_loss == expected.val_loss
    np.testing.assert_allclose(trainer.val_loss.get_ydata(), expected.val_loss)


def test_curves_are_drawn_while_training(trainer):
    """A new setting trains and shows its first epoch before the final picture; the curves
    hold fit()'s numbers."""
    changes = trainer.image_changes
    trainer.eta.value = 0.003
    assert trainer.trained and trainer.renders >= 2  # first epoch, ..., final
    assert trainer.image_changes - changes == trainer.renders
    assert trainer.first_points_ms <= trainer.run_ms
    check_training(trainer)
    np.testing.assert_allclose(trainer.val_loss.get_ydata(), trainer.history.val_loss)
    np.testing.assert_allclose(1 - trainer.val_acc.get_ydata(), trainer.history.val_acc)


def test_pictures_are_throttled(trainer):
    """While a run trains, pictures are at least RENDER_INTERVAL apart: with a long interval,
    only the first epoch and the final picture are sent."""
    trainer.RENDER_INTERVAL = 1e9
    try:
        trainer.eta.value = 0.004
        assert trainer.trained and trainer.renders == 2
    finally:
        del trainer.RENDER_INTERVAL
    check_training(trainer)


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


def test_batch_size_extremes_and_the_step_cap(trainer):
    sizes = [value for _, value in trainer.batch_size.options]
    trainer.batch_size.value = sizes[-1]  # the full training set: plain GD
    check_training(trainer)
    assert trainer.history.epochs_run == 4
    trainer.batch_size.value = sizes[0]  # B = 1: 1,079 steps per epoch
    check_training(trainer)
    n_train = len(trainer.data.X_train)
    expected = max(1, min(4, MAX_RUN_STEPS // n_train))  # epochs within the step cap
    assert trainer.history.epochs_run == expected < 4
    assert f"capped at {MAX_RUN_STEPS:,} steps, so {expected} of 4 epochs" in (
        trainer.readout.value)
    assert f"capped at {MAX_RUN_STEPS:,} steps" in trainer.alt_text()
    assert trainer.elapsed < 30.0


def test_a_setting_seen_before_comes_from_the_cache(trainer):
    first = list(trainer.history.val_loss)
    trainer.eta.value = 0.02
    assert trainer.trained
    trainer.eta.value = 0.01
    assert not trainer.trained and trainer.renders == 1
    assert trainer.history.val_loss == first
    # β2 does not change SGD's run: the same cached run
    trainer.rule.value = "SGD"
    sgd = trainer.history
    trainer.beta2.value = 0.9
    assert not trainer.trained and trainer.history is sgd
    assert len(trainer.runs) <= trainer.CACHE_SIZE


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


def test_manual_mode_train_uses_the_cache_for_a_setting_seen_before(trainer):
    trainer.eta.value = 0.02
    trainer.auto.value = False
    trainer.eta.value = 0.01  # seen before, not shown now: the button reads the cache
    trainer.train.click()
    assert not trainer.trained and trainer.eta.value == 0.01
    trainer.auto.value = True


def test_same_start_same_batches(trainer):
    """Train on the setting shown trains again from the seeded start: the same curves (seeded
    init and batch order), and the previous run's curves are drawn in grey."""
    first = list(trainer.history.val_loss)
    trainer.train.click()
    assert trainer.trained, "the button trains again what is shown"
    assert trainer.history.val_loss == first
    grey = np.asarray(trainer.old_val_loss.get_ydata(), dtype=float)
    np.testing.assert_allclose(grey, first)
    np.testing.assert_array_equal(trainer.old_val_loss.get_xdata(),
                                  np.arange(1, len(first) + 1))


def test_a_change_during_a_run_starts_no_second_run(trainer):
    """The guard: a control moved from inside a redraw (as code in an observer might) is not
    trained on top of the run in progress."""
    runs = []
    real_run = trainer._run

    def counting_run():
        runs.append(trainer.eta.value)
        real_run()

    def meddle(change):
        trainer.update()  # while the run draws

    trainer._run = counting_run
    trainer.image.widget.observe(meddle, names="value")
    try:
        trainer.eta.value = 0.006
    finally:
        trainer.image.widget.unobserve(meddle, names="value")
        del trainer._run
    assert runs == [0.006]


def test_time_limit_stops_and_is_not_cached():
    dash = TrainingExplorer(epochs=3, time_limit=1e-9)
    assert dash.stopped and dash.history.epochs_run == 1
    assert "stopped after 1e-09 s" in dash.readout.value
    assert len(dash.runs) == 0


# ================================================================ bad constructor arguments

BAD = [
    (SurfaceExplorer, {"steps": 0}, "steps"),
    (SurfaceExplorer, {"steps": -5}, "steps"),
    (SurfaceExplorer, {"steps": 2.5}, "steps"),
    (SurfaceExplorer, {"steps": True}, "steps"),
    (SurfaceExplorer, {"steps": 10**9}, "steps"),
    (SurfaceExplorer, {"seed": -1}, "seed"),
    (SurfaceExplorer, {"seed": "0"}, "seed"),
    (TrainingExplorer, {"epochs": 0}, "epochs"),
    (TrainingExplorer, {"epochs": 1.5}, "epochs"),
    (TrainingExplorer, {"epochs": 10**6}, "epochs"),
    (TrainingExplorer, {"seed": -1}, "seed"),
    (TrainingExplorer, {"time_limit": 0}, "time_limit"),
    (TrainingExplorer, {"time_limit": float("nan")}, "time_limit"),
    (TrainingExplorer, {"auto_run": "no"}, "auto_run"),
    (TrainingExplorer, {"max_steps": 0}, "max_steps"),
]


@pytest.mark.parametrize("cls, kwargs, name", BAD,
                         ids=[f"{c.__name__}-{k}" for c, k, _ in BAD])
def test_bad_arguments_are_refused_by_name_before_any_work(monkeypatch, cls, kwargs, name):
    def work(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    for heavy in ("load_digits", "surface_runs", "new_figure"):
        monkeypatch.setattr(optimization, heavy, work)
    with pytest.raises(ValueError, match=name) as error:
        cls(**kwargs)
    assert str(error.value).startswith(name)
