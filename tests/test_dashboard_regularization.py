"""The dropout / early-stopping dashboard, driven without a browser over its controls,
extremes included: every setting gives a picture, a readout and a text equivalent with the same
numbers, no warning (pytest turns them into errors and the observer hides none), and the marks
sit where the history says, at 1-based epochs ("epoch 1" is after the first pass).

Also its math without widgets (:mod:`lecture_lib.explorer`): early stopping read off a full
run is exactly fit() with that patience, and the cache of runs is bounded."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from lecture_lib.dashboards import regularization as regularization_dashboard
from lecture_lib.dashboards.optimization import TrainingExplorer
from lecture_lib.dashboards.regularization import MAX_P, RegularizationDashboard
from lecture_lib.dashboards.style import fmt
from lecture_lib.data import load_digits
from lecture_lib.explorer import DropoutRun, RunCache, early_stopping, train_dropout_net
from lecture_lib.network import MLP
from lecture_lib.optim import Adam
from lecture_lib.plots import PALETTE
from lecture_lib.training import History, fit

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ================================================================ the math, without widgets

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
