"""The dropout / early-stopping dashboard, driven without a browser over its controls,
extremes included: every setting gives a picture, a readout and a text equivalent with the same
numbers, no warning (pytest turns them into errors and the observer hides none), and the marks
sit where the history says, at 1-based epochs ("epoch 1" is after the first pass).

Its math without widgets (DropoutRun, early_stopping, RunCache) is tested in test_runs.py."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from lecture_lib.dashboards import regularization as regularization_dashboard
from lecture_lib.dashboards.optimization import TrainingExplorer
from lecture_lib.dashboards.regularization import MAX_P, RegularizationDashboard
from lecture_lib.dashboards.style import fmt
from lecture_lib.network import MLP
from lecture_lib.optim import Adam
from lecture_lib.plots import PALETTE
from lecture_lib.runs import early_stopping
from lecture_lib.training import fit

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ================================================================ the dashboard


@pytest.fixture(scope="module")
def dash():
    """A smaller dashboard (40 epochs) for speed."""
    return RegularizationDashboard(max_epochs=40, every=3)


def check_consistent(dash):
    h = dash.history
    n = h.epochs_run
    assert bytes(dash.image.value).startswith(PNG_MAGIC)
    assert dash.readout.value and "Traceback" not in dash.readout.value
    assert len(dash.train_line.get_xdata()) == n == len(dash.distances)
    np.testing.assert_array_equal(dash.train_line.get_xdata(), np.arange(1, n + 1))
    alt = dash.alt_text()
    assert f"p = {fmt(dash.p.value)}" in alt and f"patience k = {dash.patience.value}" in alt
    if n:
        best = h.best_epoch + 1  # 1-based
        assert dash.best_marker.get_visible() and dash.best_marker.get_xdata()[0] == best
        assert dash.restored_val_loss == pytest.approx(min(h.val_loss), rel=1e-12)
        assert f"restored epoch {best}: validation loss {fmt(min(h.val_loss))}" in alt
        assert f"restored epoch {best}:" in dash.readout.value
    assert dash.stop_vline.get_visible() == h.stopped_early
    if h.stopped_early:
        assert dash.stop_vline.get_xdata()[0] == n
        assert n - (h.best_epoch + 1) == dash.patience.value
        assert f"Early stopping after epoch {n}" in alt
    # the history is what fit() with this patience returns: a prefix of the full run
    full = dash.full_run.history
    assert h.val_loss == full.val_loss[:n]
    assert h == early_stopping(full, dash.patience.value)


def test_default_run_stops_early_and_marks_it(dash):
    check_consistent(dash)
    assert dash.history.stopped_early
    assert f"= k = {dash.patience.value}" in dash.readout.value
    # trained only as far as early stopping goes
    assert dash.full_run.history.epochs_run == dash.history.epochs_run < dash.max_epochs


def test_the_run_is_fit_with_patience_and_restore_best(dash):
    """What the dashboard shows is fit() of lecture_lib with patience=k, restore_best=True,
    computed here the way the dashboard did before it re-used runs."""
    dash.patience.value = 5
    rng = np.random.default_rng(dash.seed)
    net = MLP(dash.sizes, activation="tanh", init="xavier", rng=rng, dropout=float(dash.p.value))
    expected = fit(net, Adam(eta=float(dash.eta.value)), dash.X_train, dash.y_train, dash.X_val,
                   dash.y_val, epochs=dash.max_epochs, batch_size=dash.batch_size,
                   rng=np.random.default_rng(dash.seed + 1), patience=5, restore_best=True)
    assert dash.history == expected
    assert dash.restored_val_loss == net.loss(dash.X_val, dash.y_val)
    check_consistent(dash)
    dash.patience.value = 10


@pytest.mark.parametrize("control, values", [
    ("p", [0.0, 0.25, MAX_P, 0.5]),
    ("patience", [1, 40, 10]),
    ("eta", [1e-4, 1e-1, 3e-3]),
])
def test_every_control_including_extremes(dash, control, values):
    widget = getattr(dash, control)
    for value in values:
        before = dash.image.value
        widget.value = value
        assert dash.image.value is not before, "a move redraws"
        check_consistent(dash)


def test_patience_reuses_the_run(dash):
    """Patience only decides where training stops: a smaller one redraws without training
    (one picture), a larger one trains on from where the run stopped, never from the start."""
    run = dash.full_run
    asked = dash.patience.value
    for k in (1, 3, 25, dash.patience.max, 10, 2):
        extent = run.history.epochs_run
        dash.patience.value = k
        assert dash.full_run is run
        if k <= asked or run.finished and extent == run.history.epochs_run:
            assert not dash.trained and dash.renders == 1, k
        else:
            assert dash.trained and run.history.epochs_run > extent
        asked = max(asked, k)
        check_consistent(dash)
    assert run.finished  # patience = max_epochs trained it to the end


def test_a_setting_seen_before_comes_from_the_cache(dash):
    first = list(dash.history.val_loss)
    dash.p.value = 0.3
    assert dash.trained
    dash.p.value = 0.5
    assert not dash.trained and dash.history.val_loss == first
    assert len(dash.runs) <= dash.CACHE_SIZE


def test_p_slider_is_capped_below_one(dash):
    assert dash.p.max == MAX_P < 1
    dash.p.value = 1.0  # the slider clips to its maximum
    assert dash.p.value == MAX_P
    check_consistent(dash)
    dash.p.value = 0.5


def test_long_patience_runs_all_epochs(dash):
    dash.patience.value = dash.patience.max
    assert not dash.history.stopped_early and dash.history.epochs_run == dash.max_epochs
    assert "ran all" in dash.readout.value
    check_consistent(dash)
    dash.patience.value = 10


def test_train_button_and_train_on_change(dash):
    dash.train_on_change.value = False
    history = dash.history
    dash.eta.value = 1e-2
    assert dash.history is history, "no training while train_on_change is off"
    assert "press <b>Train</b>" in dash.readout.value
    dash.train_button.click()
    assert dash.history is not history
    check_consistent(dash)
    dash.train_on_change.value = True
    dash.eta.value = 3e-3


def test_both_training_dashboards_name_their_controls_alike(dash):
    explorer = TrainingExplorer(epochs=1)
    for board in (dash, explorer):
        assert board.train_on_change is board.auto
        assert board.train_button is board.train
        assert board.train_on_change.description == "train when a control moves"
        assert board.train_button.description == "Train"


def test_curves_grow_while_training(dash):
    frames = []
    original = type(dash)._picture

    def spy(self, *, final, points=True):
        frames.append((len(self.train_line.get_xdata()), final))
        return original(self, final=final, points=points)

    dash._picture = spy.__get__(dash)
    dash.RENDER_INTERVAL = 0.0  # a picture every `every` epochs
    try:
        dash.p.value = 0.45  # a new setting: trains
    finally:
        del dash._picture, dash.RENDER_INTERVAL
    assert len(frames) >= 3 and frames[-1][1] and not frames[0][1]
    assert frames[0][0] == 1, "the first picture shows epoch 1"
    growing = [n for n, final in frames if not final]
    assert growing == sorted(growing) and all(n % dash.every == 0 for n in growing[1:])
    assert dash.first_points_ms <= dash.run_ms
    dash.p.value = 0.5


def test_same_controls_same_curves(dash):
    """Train on what is shown trains again from the seeded start: the same curves."""
    dash.train_button.click()
    first = list(dash.history.val_loss)
    run = dash.full_run
    dash.train_button.click()
    assert dash.trained and dash.full_run is not run
    assert dash.history.val_loss == first


def test_manual_mode_patience_then_train_reuses_the_run(dash):
    dash.train_on_change.value = False
    run = dash.full_run
    dash.patience.value = 4
    dash.train_button.click()
    assert not dash.trained and dash.full_run is run and dash.history.stopped_early
    dash.train_on_change.value = True
    dash.patience.value = 10


def test_palette(dash):
    lines = (dash.train_line, dash.val_line, dash.distance_line)
    assert {line.get_color() for line in lines} <= set(PALETTE)
    assert dash.train_line.get_linestyle() != dash.val_line.get_linestyle()


def test_repr_bundle(dash):
    bundle, metadata = dash._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == bytes(dash.image.value)
    assert metadata["image/png"]["alt"] == dash.alt_text() == dash.describe()
    assert bundle["text/plain"] == ("Dropout and early-stopping dashboard: run the notebook to "
                                    "move the sliders")
    assert "application/vnd.jupyter.widget-view+json" in bundle


# ================================================================ bad constructor arguments

BAD = [
    ({"every": 0}, "every"),
    ({"every": 1.5}, "every"),
    ({"max_epochs": 0}, "max_epochs"),
    ({"max_epochs": 10**6}, "max_epochs"),
    ({"n_train": 0}, "n_train"),
    ({"n_train": -3}, "n_train"),
    ({"n_train": 10**6}, "n_train"),
    ({"width": 0}, "width"),
    ({"width": 10**6}, "width"),
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": 2.0}, "batch_size"),
    ({"seed": -1}, "seed"),
    ({"auto_run": "yes"}, "auto_run"),
]


@pytest.mark.parametrize("kwargs, name", BAD, ids=[next(iter(k)) for k, _ in BAD])
def test_bad_arguments_are_refused_by_name_before_any_work(monkeypatch, kwargs, name):
    def work(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    for heavy in ("DropoutRun", "new_figure"):  # (n_train's maximum needs the loaded data)
        monkeypatch.setattr(regularization_dashboard, heavy, work)
    with pytest.raises(ValueError, match=name) as error:
        RegularizationDashboard(**kwargs)
    assert str(error.value).startswith(name)
