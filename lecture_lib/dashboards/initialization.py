"""The initialization dashboard: slides "Small Random Initialization" made movable.

Weights are drawn as var(w) = c / d^(l-1) with c on a log slider, so Xavier (c = 1 for equal
widths: 2 / (d + d) = 1/d) and He (c = 2) are points on it. The network has ``depth`` hidden
layers of ``width`` units and a linear output layer; the backward pass starts from
delta^(L) ~ N(0, 1), so var(delta^(l)) reads directly as the gain of the backward signal.

The math is :func:`lecture_lib.variance.draws_statistics` (numpy only, testable without
widgets); this module turns the controls into its arguments and draws what it returns.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from lecture_lib import validate
from lecture_lib.dashboards.base import BlittedFigure, Dashboard, Picture
from lecture_lib.dashboards.style import (
    fmt,
    percent,
    power_of_ten,
    row_layout,
    slider_style,
    toggle_style,
)
from lecture_lib.init import he_variance, xavier_variance
from lecture_lib.plots import COLORS, new_figure
from lecture_lib.variance import (
    SATURATION_LEVEL,
    LayerStatistics,
    Propagation,
    UnitDraws,
    draws_statistics,
    predicted_backward_variance,
    predicted_forward_variance,
)

PRESETS = ("random c/d", "zeros", "constant", "Xavier", "He")
MAX_DEPTH = 20
MAX_WIDTH = 500
MAX_SAMPLES = 4096  # beyond, a move takes longer than a student waits for (and 8 MiB per array)
VARIANCE_SPAN = (1e-6, 1e6)  # fixed log axes: values beyond are drawn at the edge
HIST_BINS = 41
SPAN_TEXT = f"{power_of_ten(VARIANCE_SPAN[0])} to {power_of_ten(VARIANCE_SPAN[1])}"

FORWARD_COLOR = COLORS["blue"]
BACKWARD_COLOR = COLORS["vermillion"]
FRACTION_COLOR = COLORS["orange"]
DEAD_COLOR = COLORS["reddish purple"]


class InitializationDashboard(Dashboard):
    """Per-layer forward and backward variance, activation histograms and saturated or dead
    fractions of a deep tanh or ReLU network, for any initialization.

    Parameters
    ----------
    n_samples : int
        Inputs x^(0) pushed through the network per redraw (rows of a batch), 1 to 4096. A
        plotted variance is a mean over n_samples * d values: its sampling error is about
        sqrt(2 / (n_samples d)), 0.6% at the default 128 and d = 500.
    seed : int
        Seeds the weights, inputs and delta^(L) (an integer >= 0); the same draws are rescaled
        as c moves, so a move changes only the variance, not the random pattern.

    Attributes
    ----------
    c, input_variance : ipywidgets.FloatLogSlider
    preset, activation : ipywidgets.ToggleButtons
    depth, width : ipywidgets.IntSlider
    readout : ipywidgets.HTML
    image : lecture_lib.dashboards.base.Picture
        The picture, an ``<img>`` whose ``alt`` text (``describe()``) states the numbers shown.
    stats : lecture_lib.variance.LayerStatistics
        What the picture shows now.
    """

    title = "Initialization dashboard"

    def __init__(self, *, n_samples: int = 128, seed: int = 0) -> None:
        n_samples = validate.positive_int("n_samples", n_samples, maximum=MAX_SAMPLES)
        seed = validate.non_negative_int("seed", seed)
        # One set of standard-normal draws, sliced to the chosen depth and width and rescaled.
        self.draws = UnitDraws(n_samples, MAX_WIDTH, seed=seed)
        # every layer's draws now (1 MiB each), not on the first move to a larger depth: that
        # move would otherwise also pay for the new layers' random numbers
        for ell in range(1, MAX_DEPTH + 2):
            self.draws.weights(ell)
        self._relu_cache: dict = {}
        style, wide = slider_style(), row_layout
        self.c = widgets.FloatLogSlider(
            value=1.0, base=2, min=-7, max=8, step=0.25, readout_format=".3g",
            description="c in var(w) = c/d", style=style, layout=wide(), continuous_update=True,
        )
        self.preset = widgets.ToggleButtons(options=PRESETS, value="Xavier", description="init",
                                            style=toggle_style("96px"))
        self.activation = widgets.ToggleButtons(
            options=[("tanh", "tanh"), ("ReLU", "relu")], value="tanh", description="φ",
            style=toggle_style("88px"),
        )
        self.depth = widgets.IntSlider(value=10, min=2, max=MAX_DEPTH, description="hidden layers",
                                       style=style, layout=wide())
        self.width = widgets.IntSlider(value=MAX_WIDTH, min=20, max=MAX_WIDTH, step=10,
                                       description="units per layer d", style=style,
                                       layout=wide())
        self.input_variance = widgets.FloatLogSlider(
            value=1.0, base=10, min=-3, max=1, step=0.1, readout_format=".3g",
            description="input var(x⁽⁰⁾)", style=style, layout=wide(),
        )
        self.readout = widgets.HTML()
        self.image = Picture()
        self._syncing = False
        self._drawn_for = None  # (activation, depth) whose static background is on the canvas
        # saved backgrounds: activation -> without the layer axes; (activation, depth) -> with them
        self._backgrounds: dict = {}
        self.c.observe(self._on_c, names="value")
        self.preset.observe(self._on_preset, names="value")
        for control in (self.activation, self.depth, self.width, self.input_variance):
            control.observe(self._redraw, names="value")
        controls = widgets.VBox([self.preset, self.activation, self.c, self.depth, self.width,
                                 self.input_variance])
        self.box = widgets.VBox([controls, self.readout, self.image.widget])
        self._build_figure()
        self._redraw()

    # ------------------------------------------------------------------ controls
    def _on_c(self, change) -> None:
        """A slider move leaves Xavier, He or zeros unless it lands on their c (constant uses c
        for its value, so it stays)."""
        if self._syncing:
            return
        preset_c = self._preset_c()
        if preset_c is not None and abs(np.log2(change["new"] / preset_c)) < self.c.step / 2:
            # a value the browser rounded onto the slider's grid and sent back is not a move
            # (the base-2 grid holds Xavier's 1 and He's 2 exactly, so they are never rounded)
            return
        if self.preset.value in ("Xavier", "He", "zeros"):
            self._syncing = True
            self.preset.value = "random c/d"
            self._syncing = False
        self._redraw()

    def _on_preset(self, change) -> None:
        if self._syncing:
            return
        preset_c = self._preset_c()
        if preset_c is not None and self.c.value != preset_c:
            self._syncing = True
            self.c.value = preset_c
            self._syncing = False
        self._redraw()

    def _preset_c(self) -> float | None:
        d = self.width.value
        if self.preset.value == "Xavier":
            return xavier_variance(d, d) * d
        if self.preset.value == "He":
            return he_variance(d) * d
        return None

    # ------------------------------------------------------------------ figure
    def _build_figure(self) -> None:
        self.fig = new_figure(10, 6.4)
        axes = self.fig.subplots(2, 2)
        self.ax_forward, self.ax_backward, self.ax_hist, self.ax_fraction = axes.ravel()
        self.blit = BlittedFigure(self.fig)
        moving = {"animated": True}
        # measured: solid line with dots; theory: dashed, no marker (they overlap when the
        # theory holds, so they differ by more than shade)
        self.forward_measured, = self.ax_forward.semilogy(
            [], [], "o-", color=FORWARD_COLOR, ms=4, label="measured", **moving)
        self.forward_theory, = self.ax_forward.semilogy(
            [], [], "--", color=FORWARD_COLOR, alpha=0.7, label="linear theory", **moving)
        self.backward_measured, = self.ax_backward.semilogy(
            [], [], "o-", color=BACKWARD_COLOR, ms=4, label="measured", **moving)
        self.backward_theory, = self.ax_backward.semilogy(
            [], [], "--", color=BACKWARD_COLOR, alpha=0.7, label="linear theory", **moving)
        self.hist_image = self.ax_hist.imshow(np.zeros((2, HIST_BINS)), aspect="auto",
                                              origin="lower", cmap="viridis", vmin=0, vmax=1,
                                              interpolation="nearest", **moving)
        self.fraction_lines = [
            self.ax_fraction.plot([], [], "o-", color=FRACTION_COLOR, ms=4, **moving)[0],
            self.ax_fraction.plot([], [], "s--", color=DEAD_COLOR, ms=4, mfc="none",
                                  **moving)[0],
        ]
        for ax in (self.ax_forward, self.ax_backward):
            ax.set_ylim(*VARIANCE_SPAN)
            ax.grid(True, alpha=0.3)
            ax.axhline(1.0, color="0.6", lw=0.8)
        self.ax_fraction.set_ylim(-0.03, 1.03)
        self.ax_fraction.grid(True, alpha=0.3)
        self.blit.moving = [self.forward_measured, self.forward_theory, self.backward_measured,
                            self.backward_theory, self.hist_image, *self.fraction_lines]
        for ax in (self.ax_forward, self.ax_backward, self.ax_fraction):
            ax.set_xlabel("hidden layer ℓ")
            # at most about 5 layer numbers, and no vertical grid lines: the layer axes are
            # drawn again on every depth move (see below), and their text is what that costs
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
            ax.grid(False, axis="x")
        for ax, color in ((self.ax_forward, FORWARD_COLOR), (self.ax_backward, BACKWARD_COLOR)):
            # legend entries are static copies: the animated lines are not in the background
            handles = [Line2D([], [], marker="o", ms=4, color=color, label="measured"),
                       Line2D([], [], ls="--", alpha=0.7, color=color, label="linear theory")]
            ax.legend(handles=handles, loc="upper left", fontsize=8)
        self.ax_backward.set_title("backward: var(δ⁽ˡ⁾), with var(δ⁽ᴸ⁾) = 1")
        self.ax_hist.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        self.ax_hist.set_ylabel("hidden layer ℓ")
        self.ax_fraction.set_ylabel("fraction of units")
        # Lay the figure out once, for the longer (ReLU) labels and two-digit layer numbers, and
        # keep that layout: every background then shares the axes' positions, and a toggle only
        # swaps the saved background instead of drawing every tick and label again.
        self._set_labels("relu", MAX_DEPTH)
        self.fig.canvas.draw()
        self.fig.set_layout_engine("none")
        # What a depth move changes, the layer axes (ticks and label), is left out of the
        # activation's background and drawn onto a copy of it once per depth: a depth move then
        # costs four axes, not the whole figure.
        self._layer_artists = [self.ax_forward.xaxis, self.ax_backward.xaxis,
                               self.ax_fraction.xaxis, self.ax_hist.yaxis]
        for artist in self._layer_artists:
            artist.set_animated(True)

    def _set_labels(self, activation: str, depth: int) -> None:
        """Titles, labels and ranges that depend on the activation and the depth: the layer
        axes span the layers drawn, 1 to ``depth`` (no empty layers beyond the network)."""
        layers = (0.5, depth + 0.5)
        for ax in (self.ax_forward, self.ax_backward, self.ax_fraction):
            ax.set_xlim(*layers)
        self.ax_hist.set_ylim(*layers)
        tanh = activation == "tanh"
        self.ax_forward.set_title("forward: var(x⁽ˡ⁾)" if tanh else "forward: var(s⁽ˡ⁾)")
        low, high = (-1.0, 1.0) if tanh else (0.0, 4.0)
        self.ax_hist.set_xlim(low, high)
        self.ax_hist.set_xlabel("x⁽ˡ⁾" if tanh else "x⁽ˡ⁾ / rms, for x⁽ˡ⁾ > 0")
        shown = "x⁽ˡ⁾" if tanh else "the nonzero x⁽ˡ⁾"
        self.ax_hist.set_title(f"distribution of {shown} per layer (rows scaled to their peak)",
                               fontsize=10)
        self.ax_fraction.set_title(f"saturated: |x⁽ˡ⁾| > {SATURATION_LEVEL}" if tanh else
                                   "ReLU zeros: per sample (□ dead for all samples)")

    def _show_static(self, activation: str, depth: int) -> None:
        """Put the static background of this activation and depth on the canvas: the
        activation's background (drawn in full the first time) with the layer axes of this depth
        drawn on it (kept for the current depth, so an activation toggle swaps)."""
        self._set_labels(activation, depth)
        key = (activation, depth)
        if key not in self._backgrounds:
            base = self._backgrounds.get(activation)
            if base is None:
                base = self._backgrounds[activation] = self.blit.draw_background()
            canvas = self.fig.canvas
            canvas.restore_region(base)
            for artist in self._layer_artists:
                artist.axes.draw_artist(artist)
            for other in [k for k in self._backgrounds if isinstance(k, tuple) and k[1] != depth]:
                del self._backgrounds[other]  # about 1.6 MiB each: keep the current depth's only
            self._backgrounds[key] = canvas.copy_from_bbox(self.fig.bbox)
        self.blit.background = self._backgrounds[key]
        self._drawn_for = key

    # ------------------------------------------------------------------ update
    def weight_variance(self) -> float:
        """var(w) the current setting draws with (0 for zeros; the constant's square; Xavier's
        and He's exact values, not the slider's rounding of them)."""
        if self.preset.value == "zeros":
            return 0.0
        return (self._preset_c() or self.c.value) / self.width.value

    def compute(self) -> Propagation:
        """The statistics of the current controls (the math; no drawing)."""
        kind = {"zeros": "zeros", "constant": "constant"}.get(self.preset.value, "random")
        return draws_statistics(
            self.draws, activation=self.activation.value, depth=self.depth.value,
            width=self.width.value, weights=kind, var_w=self.weight_variance(),
            var_x0=self.input_variance.value, cache=self._relu_cache, bins=HIST_BINS,
        )

    def update(self) -> None:
        """Compute the statistics for the current controls, move the artists and refresh the
        picture and its text equivalent."""
        activation, depth, d = self.activation.value, self.depth.value, self.width.value
        if self._drawn_for != (activation, depth):
            self._show_static(activation, depth)
        var_w, var_x0 = self.weight_variance(), self.input_variance.value
        result = self.compute()
        stats = self.stats = result.stats
        layers = np.arange(1, depth + 1)
        widths = [d] * (depth + 2)
        random_init = self.preset.value != "constant"
        self.predicted_forward = predicted_forward_variance(var_x0, widths, [var_w] * depth,
                                                            activation)
        self.predicted_backward = predicted_backward_variance(
            1.0, widths, [var_w] * (depth + 1), activation)[:depth]
        low, high = VARIANCE_SPAN
        forward = self._forward(stats)
        self.forward_measured.set_data(layers, np.clip(forward, low, high))
        self.forward_theory.set_data(layers, np.clip(self.predicted_forward, low, high))
        self.backward_measured.set_data(layers, np.clip(stats.var_delta, low, high))
        self.backward_theory.set_data(layers, np.clip(self.predicted_backward, low, high))
        self.forward_theory.set_visible(random_init)
        self.backward_theory.set_visible(random_init)
        if activation == "tanh":
            self.fraction_lines[0].set_data(layers, stats.saturated)
            self.fraction_lines[1].set_visible(False)
        else:
            self.fraction_lines[0].set_data(layers, stats.zero)
            self.fraction_lines[1].set_data(layers, stats.dead)
            self.fraction_lines[1].set_visible(True)
        self.hist_image.set_data(result.histograms)
        x_low, x_high = self.ax_hist.get_xlim()
        self.hist_image.set_extent((x_low, x_high, 0.5, depth + 0.5))
        self.readout.value = self._readout(var_w, forward, stats)
        self.show(self.blit.render())

    def _forward(self, stats: LayerStatistics) -> np.ndarray:
        """The forward variance the picture plots: var(x) for tanh, var(s) for ReLU."""
        return stats.var_x if self.activation.value == "tanh" else stats.var_s

    def _scheme(self, var_w: float) -> str:
        d, preset = self.width.value, self.preset.value
        if preset == "zeros":
            return "all-zero weights: every score s⁽ˡ⁾ is 0, every hidden unit alike"
        if preset == "constant":
            return (f"constant weights w = √(c/d) = {fmt(np.sqrt(var_w))}: "
                    "every unit of a layer computes the same (cloned neurons)")
        name = {"Xavier": " (Xavier: 2/(d+d))", "He": " (He: 2/d)"}.get(preset, "")
        return f"var(w) = c/d = {fmt(self.c.value)}/{d} = {fmt(var_w)}{name}"

    def _last_layer(self, forward: np.ndarray, stats: LayerStatistics) -> str:
        tanh = self.activation.value == "tanh"
        quantity = "var(x)" if tanh else "var(s)"
        last = (f"layer {self.depth.value}: {quantity} = {fmt(forward[-1])}, "
                f"var(δ⁽¹⁾) = {fmt(stats.var_delta[0])}")
        if tanh:
            return last + f", saturated {percent(stats.saturated[-1])}"
        return (last + f", zero per sample {percent(stats.zero[-1])}, "
                f"dead for all {percent(stats.dead[-1])}")

    def _off_scale_note(self, forward: np.ndarray, stats: LayerStatistics) -> str:
        low, high = VARIANCE_SPAN
        values = np.concatenate([forward, stats.var_delta])
        if np.any((values > high) | (values < low)):
            return f" (values outside {SPAN_TEXT}, or 0, are drawn at the edge)"
        return ""

    def _readout(self, var_w: float, forward: np.ndarray, stats: LayerStatistics) -> str:
        return (f"{html.escape(self._scheme(var_w))}<br>"
                f"{html.escape(self._last_layer(forward, stats))}"
                f"{html.escape(self._off_scale_note(forward, stats))}")

    def describe(self) -> str:
        """The picture in words, for a screen reader: the setting, then each panel's key
        numbers (first and last hidden layer, and the theory where it is drawn)."""
        stats, depth = self.stats, self.depth.value
        tanh = self.activation.value == "tanh"
        forward = self._forward(stats)
        quantity = "var(x)" if tanh else "var(s)"
        network = (f"{'tanh' if tanh else 'ReLU'} network, {depth} hidden layers of "
                   f"{self.width.value} units, input variance {fmt(self.input_variance.value)}")
        parts = [f"{self.title}: {network}; {self._scheme(self.weight_variance())}."]
        theory = self.preset.value != "constant"
        part = (f"Forward panel: {quantity} is {fmt(forward[0])} in layer 1 and "
                f"{fmt(forward[-1])} in layer {depth}")
        if theory:
            part += f" (linear theory {fmt(self.predicted_forward[-1])})"
        parts.append(part + ".")
        part = (f"Backward panel: var(δ) is {fmt(stats.var_delta[-1])} in layer {depth} and "
                f"{fmt(stats.var_delta[0])} in layer 1")
        if theory:
            part += f" (linear theory {fmt(self.predicted_backward[0])})"
        parts.append(part + ".")
        if tanh:
            parts.append(f"Saturated units (|x| > {SATURATION_LEVEL}): "
                         f"{percent(stats.saturated[0])} in layer 1, "
                         f"{percent(stats.saturated[-1])} in layer {depth}.")
        else:
            parts.append(f"Units at zero per sample: {percent(stats.zero[0])} in layer 1, "
                         f"{percent(stats.zero[-1])} in layer {depth}; dead for all samples: "
                         f"{percent(stats.dead[-1])} in layer {depth}.")
        parts.append(f"Variances outside {SPAN_TEXT} are drawn at the edge of the axes."
                     if self._off_scale_note(forward, stats) else
                     "Histogram panel: the distribution of each layer's activations.")
        return " ".join(parts)
