"""The initialization dashboard, driven without a browser: set a control's value, read what the
picture and the plotted data now show. The physics checks (He keeps ReLU's forward variance,
c = 1 halves it per layer, Xavier keeps tanh's in the linear regime) do not depend on the code.
"""

from __future__ import annotations

import base64
import html
import math
import re
import warnings

import numpy as np
import pytest

from lecture_lib.dashboards import InitializationDashboard
from lecture_lib.dashboards import initialization as initialization_dashboard
from lecture_lib.dashboards.style import fmt
from lecture_lib.variance import SATURATION_LEVEL

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TEXT_PLAIN = "Initialization dashboard: run the notebook to move the sliders"


@pytest.fixture(scope="module")
def dash():
    """One dashboard for the module (construction takes about a second)."""
    return InitializationDashboard()


@pytest.fixture
def fresh(dash):
    """The shared dashboard, reset to its default controls. Every warning raised while the
    test moves controls is recorded in ``dash.caught``: the widget observer no longer hides
    any (``Dashboard._redraw``), so a student would see the same ones."""
    dash.preset.value = "Xavier"
    dash.c.value = 1.0
    dash.width.value = 500
    dash.depth.value = 10
    dash.activation.value = "tanh"
    dash.input_variance.value = 1.0
    assert dash.preset.value == "Xavier"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dash.caught = caught
        yield dash


def plotted_arrays(dash):
    arrays = {
        "forward_measured": dash.forward_measured.get_ydata(),
        "forward_theory": dash.forward_theory.get_ydata(),
        "backward_measured": dash.backward_measured.get_ydata(),
        "backward_theory": dash.backward_theory.get_ydata(),
        "histograms": np.asarray(dash.hist_image.get_array()),
    }
    for i, line in enumerate(dash.fraction_lines):
        if line.get_visible():
            arrays[f"fraction_{i}"] = line.get_ydata()
    return arrays


def check_state(dash) -> bytes:
    """What must hold after any control move: no numpy warning during the redraws, a valid
    PNG, finite plotted data of the right length."""
    assert not dash.caught, [str(w.message) for w in dash.caught]
    png = bytes(dash.image.value)
    assert png.startswith(PNG_MAGIC)
    depth = dash.depth.value
    for name, values in plotted_arrays(dash).items():
        values = np.asarray(values, dtype=float)
        assert np.all(np.isfinite(values)), name
        assert values.shape[0] == depth, name
    for name in ("var_x", "var_s", "var_delta", "saturated", "zero", "dead"):
        assert np.all(np.isfinite(getattr(dash.stats, name))), name
    return png


# ---------------------------------------------------------------- controls


def test_default_state(fresh):
    png = check_state(fresh)
    assert fresh.c.value == pytest.approx(1.0, rel=1e-12)
    assert "Xavier" in fresh.readout.value
    # a redraw of the same controls draws the same picture; through _redraw, the path of every
    # control move (one BLAS thread): update() on two threads rounds otherwise under some
    # OpenBLAS kernels (Sandybridge), and the picture may differ in a pixel
    fresh._redraw()
    assert bytes(fresh.image.value) == png


def test_a_warning_during_a_redraw_reaches_the_student(fresh):
    """The observer hides nothing: a numpy warning inside update() comes out of a control
    move (so check_state's "no warning" is not vacuous, and tests see what students see)."""
    real = fresh.update

    def noisy():
        real()
        np.log(np.zeros(1))

    fresh.update = noisy
    try:
        fresh.depth.value = 9
    finally:
        del fresh.update  # back to the class's method
    assert any(issubclass(w.category, RuntimeWarning) for w in fresh.caught)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_c_slider_sweep_including_ends(fresh, activation):
    fresh.activation.value = activation
    lo, hi = fresh.c.base**fresh.c.min, fresh.c.base**fresh.c.max
    seen = [check_state(fresh)]
    for c in (lo, 0.1, 2.0, hi):
        fresh.c.value = c
        assert fresh.c.value == pytest.approx(c)
        assert fresh.preset.value == "random c/d"
        png = check_state(fresh)
        assert png != seen[-1], f"picture did not change at c = {c}"
        seen.append(png)
        assert f"var(w) = c/d = {fresh.c.value:.3g}/500" in fresh.readout.value


def test_presets(fresh):
    seen = {}
    for preset in ("zeros", "constant", "He", "Xavier", "random c/d"):
        fresh.preset.value = preset
        seen[preset] = check_state(fresh)
    assert seen["zeros"] != seen["constant"] != seen["He"] != seen["Xavier"]
    # "random c/d" keeps Xavier's c = 1, so the same weights: the picture must not change
    assert seen["random c/d"] == seen["Xavier"]
    fresh.preset.value = "He"
    assert fresh.c.value == pytest.approx(2.0, rel=1e-12)
    fresh.preset.value = "Xavier"
    assert fresh.c.value == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("width", [20, 130, 500])
def test_xavier_is_c1_and_he_is_c2_at_any_width(fresh, width):
    fresh.width.value = width
    fresh.preset.value = "He"
    assert fresh.c.value == pytest.approx(2 / width * width, rel=1e-12)
    assert fresh.weight_variance() == pytest.approx(2 / width, rel=1e-12)
    fresh.preset.value = "Xavier"
    assert fresh.c.value == pytest.approx(2 / (width + width) * width, rel=1e-12)
    assert fresh.weight_variance() == pytest.approx(1 / width, rel=1e-12)


def test_moving_c_leaves_he_and_xavier(fresh):
    fresh.preset.value = "He"
    fresh.c.value = 3.0
    assert fresh.preset.value == "random c/d"
    assert fresh.c.value == pytest.approx(3.0)
    fresh.preset.value = "Xavier"
    fresh.c.value = 0.5
    assert fresh.preset.value == "random c/d"
    check_state(fresh)


def test_moving_c_keeps_constant_preset(fresh):
    fresh.preset.value = "constant"
    before = check_state(fresh)
    fresh.c.value = 4.0
    assert fresh.preset.value == "constant"
    assert check_state(fresh) != before
    assert "constant" in fresh.readout.value
    assert f"{math.sqrt(4.0 / 500):.3g}" in fresh.readout.value


def test_readout_names_the_scheme(fresh):
    expected = {"Xavier": "Xavier", "He": "He: 2/d", "zeros": "all-zero",
                "constant": "constant weights", "random c/d": "var(w) = c/d"}
    for preset, words in expected.items():
        fresh.preset.value = preset
        assert words in fresh.readout.value, (preset, fresh.readout.value)


def test_depth_width_and_input_variance_extremes(fresh):
    """Each control alone at its ends (tanh; test_extremes_combined does ReLU at the
    corners)."""
    for control, values in ((fresh.depth, [fresh.depth.min, fresh.depth.max]),
                            (fresh.width, [fresh.width.min, fresh.width.max]),
                            (fresh.input_variance, [10.0**fresh.input_variance.min,
                                                    10.0**fresh.input_variance.max])):
        for value in values:
            before = bytes(fresh.image.value)
            control.value = value
            assert control.value == pytest.approx(value)
            png = check_state(fresh)
            assert png != before, f"{control.description} = {value}: picture unchanged"
    assert fresh.depth.max == 20 and fresh.depth.min == 2


def test_extremes_combined(fresh):
    """The corners of the controls at the deepest network: largest c and input variance (the
    overflow risk), smallest c, input variance and width (underflow), both activations, and
    the two degenerate presets. Every intermediate redraw is checked for warnings too."""
    c_max, c_min = fresh.c.base**fresh.c.max, fresh.c.base**fresh.c.min
    v_max, v_min = 10.0**fresh.input_variance.max, 10.0**fresh.input_variance.min
    fresh.activation.value = "relu"
    fresh.depth.value = fresh.depth.max
    fresh.input_variance.value = v_max
    fresh.c.value = c_max
    check_state(fresh)
    assert "Overflow" not in fresh.readout.value
    fresh.input_variance.value = v_min
    fresh.c.value = c_min
    fresh.width.value = fresh.width.min
    check_state(fresh)
    fresh.activation.value = "tanh"
    check_state(fresh)
    fresh.input_variance.value = v_max
    fresh.c.value = c_max
    fresh.width.value = fresh.width.max
    check_state(fresh)
    for preset in ("zeros", "constant"):
        fresh.preset.value = preset
        check_state(fresh)


def test_activation_toggle_changes_picture(fresh):
    a = check_state(fresh)
    fresh.activation.value = "relu"
    b = check_state(fresh)
    fresh.activation.value = "tanh"
    c = check_state(fresh)
    assert a != b
    assert a == c  # same draws: back to the same picture


def test_picture_depends_on_controls_not_on_path(fresh):
    """Same controls, same picture, whatever was moved before. (Regression: the legends are
    drawn into the static background on a depth or activation change; when they were built
    from the animated "linear theory" lines, a redraw under the "constant" preset, where
    those lines are hidden, lost the dashed legend sample until the next redraw.)"""
    clean = check_state(fresh)
    fresh.preset.value = "constant"
    fresh.depth.value = 11
    fresh.depth.value = 10  # background redrawn while the theory lines are hidden
    fresh.preset.value = "Xavier"
    assert fresh.c.value == pytest.approx(1.0)
    after = check_state(fresh)
    assert after == clean, "the picture of the same controls depends on earlier moves"


def test_mimebundle(fresh):
    bundle, metadata = fresh._repr_mimebundle_()
    assert metadata == {"image/png": {"alt": fresh.alt_text()}}  # the static picture's alt
    assert bundle["text/plain"] == TEXT_PLAIN
    assert base64.b64decode(bundle["image/png"]) == bytes(fresh.image.value)
    assert "application/vnd.jupyter.widget-view+json" in bundle
    fresh.c.value = 5.0
    bundle2, _ = fresh._repr_mimebundle_()
    assert bundle2["text/plain"] == TEXT_PLAIN
    assert bundle2["image/png"] != bundle["image/png"]


# ---------------------------------------------------------------- physics


def test_he_relu_keeps_forward_variance_and_half_the_units_zero(fresh):
    fresh.activation.value = "relu"
    fresh.preset.value = "He"
    assert fresh.depth.value == 10
    var_s = np.asarray(fresh.forward_measured.get_ydata())
    assert len(var_s) == 10
    ratio = var_s / var_s[0]
    assert np.all((ratio > 0.5) & (ratio < 2.0)), ratio
    # var(s^(1)) = d var(w) var(x0) = 2 for unit input variance
    assert var_s[0] == pytest.approx(2.0, rel=0.1)
    zero = np.asarray(fresh.fraction_lines[0].get_ydata())  # symmetric scores: half below 0
    np.testing.assert_allclose(zero, 0.5, atol=0.05)


def test_relu_c1_halves_forward_variance_per_layer(fresh):
    fresh.activation.value = "relu"
    fresh.preset.value = "random c/d"
    fresh.c.value = 1.0
    var_s = np.asarray(fresh.forward_measured.get_ydata())
    per_layer = var_s[1:] / var_s[:-1]
    np.testing.assert_allclose(per_layer, 0.5, atol=0.1)
    assert var_s[-1] / var_s[0] == pytest.approx(0.5**9, rel=0.5)


def test_xavier_tanh_small_inputs_keep_variance_forward_and_backward(fresh):
    fresh.input_variance.value = 10.0**fresh.input_variance.min  # 1e-3: linear regime
    var_x0 = fresh.input_variance.value
    var_x = np.asarray(fresh.forward_measured.get_ydata())
    np.testing.assert_allclose(var_x / var_x0, 1.0, atol=0.15)
    var_delta = np.asarray(fresh.backward_measured.get_ydata())
    np.testing.assert_allclose(var_delta, 1.0, atol=0.15)  # var(delta^(L)) = 1, gain d/d = 1


def test_tanh_large_c_saturates(fresh):
    fresh.c.value = fresh.c.base**fresh.c.max
    saturated = np.asarray(fresh.fraction_lines[0].get_ydata())
    assert saturated[-1] > 0.5
    fresh.c.value = 1.0
    assert np.asarray(fresh.fraction_lines[0].get_ydata())[-1] < 0.05


def test_zeros_preset_shows_zero_activity(fresh):
    fresh.preset.value = "zeros"
    assert np.all(fresh.stats.var_x == 0)
    assert np.all(fresh.stats.var_delta == 0)
    assert fresh.weight_variance() == 0.0


def _clone_recursion(dash, phi):
    """The constant initialization by hand, in float64: every unit of layer l holds the same
    number a_l per sample, a_1 = phi(w * sum_i x0_i) and a_(l+1) = phi(w * d * a_l)."""
    d, depth = dash.width.value, dash.depth.value
    w = math.sqrt(dash.c.value / d)
    x0 = dash.draws.inputs[:, :d].astype(np.float64) * math.sqrt(dash.input_variance.value)
    s = w * x0.sum(axis=1)
    per_layer = []
    for _ in range(depth):
        a = phi(s)
        per_layer.append((s, a))
        s = w * d * a
    return per_layer


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_constant_preset_clones_units(fresh, activation):
    """Constant weights make every unit of a layer a clone: the variance over all samples and
    units of layer l is then only the variance between samples of one number a_l, computed
    here by hand (were the units different, the variance between units would add to it)."""
    fresh.activation.value = activation
    fresh.preset.value = "constant"
    fresh.c.value = 0.5  # w = sqrt(0.5/500) = 0.0316: d w = 15.8, tanh saturates, ReLU grows
    fresh.depth.value = 6
    check_state(fresh)
    stats = fresh.stats
    if activation == "tanh":
        layers = _clone_recursion(fresh, np.tanh)
        np.testing.assert_allclose(stats.var_x, [a.var() for _, a in layers], rtol=1e-4)
        assert np.all(stats.var_x > 0)
    else:
        layers = _clone_recursion(fresh, lambda s: np.maximum(s, 0.0))
        np.testing.assert_allclose(stats.var_s, [s.var() for s, _ in layers], rtol=1e-4)
        # per sample, all units of a layer are 0 or none: the zero fraction is the share of
        # samples whose input sum is negative, the same in every layer
        negative = np.mean(layers[0][0] <= 0)
        assert 0.3 < negative < 0.7
        np.testing.assert_allclose(stats.zero, negative, atol=1e-12)
        assert set(np.unique(stats.dead)) <= {0.0, 1.0}


def test_presets_lie_on_the_slider_grid(fresh):
    """The browser rounds a slider's value onto its grid and sends the rounded value back; a
    preset off the grid came back as a 'move' that switched the preset off (seen in Chromium).
    Xavier's c = 1 and He's c = 2 must be grid points: base**(min + k*step) for an integer k."""
    for preset in ("He", "Xavier"):
        fresh.preset.value = preset
        k = (np.log(fresh.c.value) / np.log(fresh.c.base) - fresh.c.min) / fresh.c.step
        assert k == round(k), (preset, fresh.c.value)
        assert fresh.c.base ** (fresh.c.min + round(k) * fresh.c.step) == fresh.c.value


def test_value_rounded_by_the_browser_keeps_he(fresh):
    """An echo within half a grid step of He's c is not a move: He stays, drawing with 2/d."""
    fresh.preset.value = "He"
    fresh.c.value = 2.0 * fresh.c.base ** (0.2 * fresh.c.step)
    assert fresh.preset.value == "He"
    assert fresh.weight_variance() == 2.0 / fresh.width.value
    fresh.c.value = 2.0 * fresh.c.base ** fresh.c.step  # one real step away
    assert fresh.preset.value == "random c/d"


# ---------------------------------------------------------------- text equivalent


def _alt(dash) -> str:
    match = re.search(r'<img alt="([^"]*)"', dash.image.widget.value)
    assert match, dash.image.widget.value[:200]
    return html.unescape(match.group(1))


def test_picture_is_an_img_with_alt_text_stating_its_numbers(fresh):
    """The picture reaches a screen reader as an <img> whose alt text says what is drawn: the
    setting and the numbers of each panel, changed together with the picture."""
    alt = _alt(fresh)
    assert alt == fresh.alt_text() == fresh.describe()
    src = re.search(r'src="data:image/png;base64,([^"]+)"', fresh.image.widget.value).group(1)
    assert base64.b64decode(src) == fresh.png()
    forward = fresh.stats.var_x
    for number in (fmt(forward[0]), fmt(forward[-1]), fmt(fresh.stats.var_delta[0])):
        assert number in alt, (number, alt)
    assert "tanh" in alt and "Xavier" in alt and "10 hidden layers" in alt
    before = alt
    fresh.activation.value = "relu"
    fresh.preset.value = "He"
    alt = _alt(fresh)
    assert alt != before
    assert "ReLU" in alt and "He" in alt
    assert f"{fresh.stats.zero[-1]:.0%}" in alt and fmt(fresh.stats.var_s[-1]) in alt
    fresh.c.value = fresh.c.base**fresh.c.max
    assert "drawn at the edge" in _alt(fresh)


def test_titles_use_the_constants_not_copies():
    """The saturation level and the plotted span are written from the constants."""
    from lecture_lib.dashboards import initialization

    assert initialization.SPAN_TEXT == "10⁻⁶ to 10⁶"
    dash = InitializationDashboard(n_samples=8)
    assert dash.ax_fraction.get_title() == f"saturated: |x⁽ˡ⁾| > {SATURATION_LEVEL}"
    assert f"|x| > {SATURATION_LEVEL}" in dash.alt_text()


# ---------------------------------------------------------------- bad input

BAD_ARGUMENTS = [
    ("n_samples", 0), ("n_samples", -5), ("n_samples", 2.5), ("n_samples", "128"),
    ("n_samples", True), ("n_samples", None), ("n_samples", 10**7),
    ("seed", -1), ("seed", 1.5), ("seed", "0"), ("seed", None), ("seed", False),
]


@pytest.mark.parametrize(("name", "value"), BAD_ARGUMENTS,
                         ids=[f"{n}={v!r}" for n, v in BAD_ARGUMENTS])
def test_constructor_rejects_bad_arguments(monkeypatch, name, value):
    """A clear ValueError naming the parameter, before any work (no draws, no figure)."""
    def work(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    for heavy in ("UnitDraws", "new_figure"):
        monkeypatch.setattr(initialization_dashboard, heavy, work)
    with pytest.raises(ValueError, match=name):
        InitializationDashboard(**{name: value})


def test_small_sample_counts_work():
    dash = InitializationDashboard(n_samples=1, seed=3)
    assert dash.png().startswith(PNG_MAGIC)
    assert np.all(np.isfinite(dash.stats.var_x))


def test_picture_escapes_its_alt_text_and_keeps_the_png():
    from lecture_lib.dashboards.base import Picture

    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000030000000208020000")
    picture = Picture()
    picture.show(png, 'a "quoted" <b>text</b> & more')
    assert picture.value == png and picture.alt == 'a "quoted" <b>text</b> & more'
    assert picture.widget.value.startswith(
        '<img alt="a &quot;quoted&quot; &lt;b&gt;text&lt;/b&gt; &amp; more" width="3" '
        'height="2" src="data:image/png;base64,')
    picture.value = png[:-1]  # a new picture keeps the text until the next show()
    assert picture.alt.startswith('a "quoted"') and picture.value == png[:-1]
