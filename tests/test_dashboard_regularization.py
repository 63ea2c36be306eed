"""The dropout / early-stopping dashboard, driven without a browser over its controls,
extremes included: every setting gives a picture and a readout, no warnings, and the marks
sit where the history says."""

from __future__ import annotations

import base64

import pytest
from dashboard_helpers import record_warnings

from lecture_lib.dashboards.regularization import MAX_P, RegularizationDashboard

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def dash():
    """A smaller dashboard (40 epochs) for speed; ``update`` wrapped to record numpy warnings
    the observer would silence."""
    return record_warnings(RegularizationDashboard(max_epochs=40, every=3))


def check_consistent(dash):
    h = dash.history
    assert bytes(dash.image.value).startswith(PNG_MAGIC)
    assert dash.readout.value and "Traceback" not in dash.readout.value
    assert len(dash.train_line.get_xdata()) == h.epochs_run == len(dash.distances)
    if h.epochs_run:
        assert dash.best_marker.get_visible() and dash.best_marker.get_xdata()[0] == h.best_epoch
        assert dash.restored_val_loss == pytest.approx(min(h.val_loss), rel=1e-12)
    assert dash.stop_vline.get_visible() == h.stopped_early
    if h.stopped_early:
        assert dash.stop_vline.get_xdata()[0] == h.epochs_run - 1
        assert h.epochs_run - 1 - h.best_epoch == dash.patience.value
    assert not dash.caught, [str(w.message) for w in dash.caught]


def test_default_run_stops_early_and_marks_it(dash):
    check_consistent(dash)
    assert dash.history.stopped_early
    assert f"= k = {dash.patience.value}" in dash.readout.value


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
        assert dash.image.value is not before, "a move retrains and redraws"
        check_consistent(dash)


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
    dash.train_button.click()
    assert dash.history is not history
    check_consistent(dash)
    dash.train_on_change.value = True
    dash.eta.value = 3e-3


def test_curves_grow_while_training(dash):
    frames = []
    original = type(dash)._draw

    def spy(self, history, *, final):
        frames.append((len(history.val_loss), final))
        return original(self, history, final=final)

    dash._draw = spy.__get__(dash)
    try:
        dash.train_button.click()
    finally:
        del dash._draw
    assert len(frames) >= 3 and frames[-1][1] and not frames[0][1]
    assert [n for n, _ in frames[:-1]] == sorted(n for n, _ in frames[:-1])
    assert dash.first_points_ms <= dash.run_ms


def test_same_controls_same_curves(dash):
    dash.train_button.click()
    first = list(dash.history.val_loss)
    dash.train_button.click()
    assert dash.history.val_loss == first


def test_repr_bundle(dash):
    bundle = dash._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]).startswith(PNG_MAGIC)
    assert bundle["text/plain"] == ("Dropout and early-stopping dashboard: run the notebook to "
                                    "move the sliders")
    assert "application/vnd.jupyter.widget-view+json" in bundle
