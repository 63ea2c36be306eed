"""The initialization dashboard: slides "Small Random Initialization" made movable.

Weights are drawn as var(w) = c / d^(l-1) with c on a log slider, so Xavier (c = 1 for equal
widths: 2 / (d + d) = 1/d) and He (c = 2) are points on it. The network has ``depth`` hidden
layers of ``width`` units and a linear output layer; the backward pass starts from
delta^(L) ~ N(0, 1), so var(delta^(l)) reads directly as the gain of the backward signal.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from lecture_lib.dashboards.base import BlittedFigure, Dashboard
from lecture_lib.init import he_variance, xavier_variance
from lecture_lib.network import MLP, DivergenceError
from lecture_lib.plots import histogram_rows, new_figure
from lecture_lib.variance import (
    hidden_layer_statistics,
    predicted_backward_variance,
    predicted_forward_variance,
)

PRESETS = ("random c/d", "zeros", "constant", "Xavier", "He")
MAX_DEPTH = 20
MAX_WIDTH = 500
VARIANCE_SPAN = (1e-6, 1e6)  # fixed log axes: values beyond are drawn at the edge
HIST_BINS = 41


def _fmt(value: float) -> str:
    return "0" if value == 0 else f"{value:.3g}"


class InitializationDashboard(Dashboard):
    """Per-layer forward and backward variance, activation histograms and saturated or dead
    fractions of a deep tanh or ReLU network, for any initialization.

    Parameters
    ----------
    n_samples : int
        Inputs x^(0) pushed through the network per redraw (rows of a batch).
    seed : int
        Seeds the weights, inputs and delta^(L); the same draws are rescaled as c moves, so a
        move changes only the variance, not the random pattern.

    Attributes
    ----------
    c, input_variance : ipywidgets.FloatLogSlider
    preset, activation : ipywidgets.ToggleButtons
    depth, width : ipywidgets.IntSlider
    readout : ipywidgets.HTML
    image : ipywidgets.Image
    stats : lecture_lib.variance.LayerStatistics
        What the picture shows now.
    """

    title = "Initialization dashboard"

    def __init__(self, *, n_samples: int = 128, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        # One set of standard-normal draws, sliced to the chosen depth and width and rescaled.
        self._unit_weights = rng.standard_normal((MAX_DEPTH + 1, MAX_WIDTH, MAX_WIDTH))
        self._unit_inputs = rng.standard_normal((n_samples, MAX_WIDTH))
        self._unit_delta = rng.standard_normal((n_samples, MAX_WIDTH))
        style = {"description_width": "150px"}
        wide = widgets.Layout(width="460px")
        self.c = widgets.FloatLogSlider(
            value=1.0, base=2, min=-7, max=8, step=0.25, readout_format=".3g",
            description="c in var(w) = c/d", style=style, layout=wide, continuous_update=True,
        )
        self.preset = widgets.ToggleButtons(options=PRESETS, value="Xavier", description="init",
                                            style={"button_width": "96px"})
        self.activation = widgets.ToggleButtons(
            options=[("tanh", "tanh"), ("ReLU", "relu")], value="tanh", description="φ",
            style={"button_width": "88px"},
        )
        self.depth = widgets.IntSlider(value=10, min=2, max=MAX_DEPTH, description="hidden layers",
                                       style=style, layout=wide)
        self.width = widgets.IntSlider(value=MAX_WIDTH, min=20, max=MAX_WIDTH, step=10,
                                       description="units per layer d", style=style, layout=wide)
        self.input_variance = widgets.FloatLogSlider(
            value=1.0, base=10, min=-3, max=1, step=0.1, readout_format=".3g",
            description="input var(x⁽⁰⁾)", style=style, layout=wide,
        )
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        self._syncing = False
        self._drawn_for = None  # the activation the static background was drawn for
        self._net, self._net_key = None, None
        self.c.observe(self._on_c, names="value")
        self.preset.observe(self._on_preset, names="value")
        for control in (self.activation, self.depth, self.width, self.input_variance):
            control.observe(self._update_quietly, names="value")
        controls = widgets.VBox([self.preset, self.activation, self.c, self.depth, self.width,
                                 self.input_variance])
        self.box = widgets.VBox([controls, self.readout, self.image])
        self._build_figure()
        self._update_quietly()

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
        self._update_quietly()

    def _on_preset(self, change) -> None:
        if self._syncing:
            return
        preset_c = self._preset_c()
        if preset_c is not None and self.c.value != preset_c:
            self._syncing = True
            self.c.value = preset_c
            self._syncing = False
        self._update_quietly()

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
        style = {"animated": True}
        self.forward_measured, = self.ax_forward.semilogy([], [], "o-", color="C0", ms=4,
                                                          label="measured", **style)
        self.forward_theory, = self.ax_forward.semilogy([], [], "--", color="C0", alpha=0.6,
                                                        label="linear theory", **style)
        self.backward_measured, = self.ax_backward.semilogy([], [], "o-", color="C3", ms=4,
                                                            label="measured", **style)
        self.backward_theory, = self.ax_backward.semilogy([], [], "--", color="C3", alpha=0.6,
                                                          label="linear theory", **style)
        self.hist_image = self.ax_hist.imshow(np.zeros((2, HIST_BINS)), aspect="auto",
                                              origin="lower", cmap="viridis", vmin=0, vmax=1,
                                              interpolation="nearest", **style)
        self.fraction_lines = [
            self.ax_fraction.plot([], [], "o-", color="C1", ms=4, **style)[0],
            self.ax_fraction.plot([], [], "s-", color="C4", ms=4, **style)[0],
        ]
        for ax in (self.ax_forward, self.ax_backward):
            ax.set_ylim(*VARIANCE_SPAN)
            ax.grid(True, alpha=0.3)
            ax.axhline(1.0, color="0.6", lw=0.8)
        self.ax_fraction.set_ylim(-0.03, 1.03)
        self.ax_fraction.grid(True, alpha=0.3)
        self.blit.moving = [self.forward_measured, self.forward_theory, self.backward_measured,
                            self.backward_theory, self.hist_image, *self.fraction_lines]

    def _redraw_static(self, activation: str) -> None:
        """Axis ranges and labels that depend on the activation. The layer axes span
        MAX_DEPTH whatever the depth, so that a depth move is redrawn like any other move."""
        layers = (0.5, MAX_DEPTH + 0.5)
        tanh = activation == "tanh"
        self.ax_forward.set_xlim(*layers)
        self.ax_forward.set_title("forward: var(x⁽ˡ⁾)" if tanh else "forward: var(s⁽ˡ⁾)")
        self.ax_backward.set_xlim(*layers)
        self.ax_backward.set_title("backward: var(δ⁽ˡ⁾), with var(δ⁽ᴸ⁾) = 1")
        for ax in (self.ax_forward, self.ax_backward, self.ax_fraction):
            ax.set_xlabel("hidden layer ℓ")
        for ax, color in ((self.ax_forward, "C0"), (self.ax_backward, "C3")):
            # legend entries are static copies: the animated lines are not in the background
            handles = [Line2D([], [], marker="o", ms=4, color=color, label="measured"),
                       Line2D([], [], ls="--", alpha=0.6, color=color, label="linear theory")]
            ax.legend(handles=handles, loc="upper left", fontsize=8)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.ax_fraction.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.ax_hist.yaxis.set_major_locator(MaxNLocator(integer=True))
        low, high = (-1.0, 1.0) if tanh else (0.0, 4.0)
        self.ax_hist.set_xlim(low, high)
        self.ax_hist.set_ylim(*layers)
        self.ax_hist.set_ylabel("hidden layer ℓ")
        self.ax_hist.set_xlabel("x⁽ˡ⁾" if tanh else "x⁽ˡ⁾ / rms, for x⁽ˡ⁾ > 0")
        shown = "x⁽ˡ⁾" if tanh else "the nonzero x⁽ˡ⁾"
        self.ax_hist.set_title(f"distribution of {shown} per layer (rows scaled to their peak)",
                               fontsize=10)
        self.ax_fraction.set_xlim(*layers)
        self.ax_fraction.set_title("saturated: |x⁽ˡ⁾| > 0.99" if tanh else
                                   "ReLU zeros: per sample (□ dead for all samples)")
        self.ax_fraction.set_ylabel("fraction of units")
        self.blit.draw_background()
        self._drawn_for = activation

    # ------------------------------------------------------------------ update
    def weight_variance(self) -> float:
        """var(w) the current setting draws with (0 for zeros; the constant's square; Xavier's
        and He's exact values, not the slider's rounding of them)."""
        if self.preset.value == "zeros":
            return 0.0
        return (self._preset_c() or self.c.value) / self.width.value

    def _network(self, activation: str, depth: int, d: int) -> MLP:
        """The network of the current shape, built only when the shape or φ changes; a move of
        c, the preset or the input variance only rewrites its weights in place."""
        key = (activation, depth, d)
        if self._net_key != key:
            self._net = MLP([d] * (depth + 2), activation=activation, init="zeros",
                            rng=np.random.default_rng(0))
            self._net_key = key
        return self._net

    def update(self) -> None:
        """Rebuild the weights for the current controls, run one forward and backward pass,
        move the artists and refresh the picture."""
        activation, depth, d = self.activation.value, self.depth.value, self.width.value
        if self._drawn_for != activation:
            self._redraw_static(activation)
        var_w, var_x0 = self.weight_variance(), self.input_variance.value
        net = self._network(activation, depth, d)
        for ell, W in enumerate(net.weights):
            if self.preset.value == "constant":
                W.fill(np.sqrt(var_w))
            else:
                np.multiply(self._unit_weights[ell, :d, :d], np.sqrt(var_w), out=W)
        try:
            net.forward(self._unit_inputs[:, :d] * np.sqrt(var_x0))
            net.propagate_delta(self._unit_delta[:, :d])
        except DivergenceError as error:  # beyond float64: say so, keep the last picture
            self.readout.value = f"<b>Overflow:</b> {html.escape(str(error))}"
            return
        stats = hidden_layer_statistics(net.trace)
        self.stats = stats
        layers = np.arange(1, depth + 1)
        widths = [d] * (depth + 2)
        random_init = self.preset.value != "constant"
        forward = stats.var_x if activation == "tanh" else stats.var_s
        predicted_forward = predicted_forward_variance(var_x0, widths, [var_w] * depth, activation)
        predicted_backward = predicted_backward_variance(1.0, widths, [var_w] * (depth + 1),
                                                         activation)[:depth]
        low, high = VARIANCE_SPAN
        self.forward_measured.set_data(layers, np.clip(forward, low, high))
        self.forward_theory.set_data(layers, np.clip(predicted_forward, low, high))
        self.backward_measured.set_data(layers, np.clip(stats.var_delta, low, high))
        self.backward_theory.set_data(layers, np.clip(predicted_backward, low, high))
        self.forward_theory.set_visible(random_init)
        self.backward_theory.set_visible(random_init)
        hidden_x = net.trace.x[1 : depth + 1]
        if activation == "tanh":
            rows = histogram_rows(hidden_x, low=-1.0, high=1.0, bins=HIST_BINS)
            self.fraction_lines[0].set_data(layers, stats.saturated)
            self.fraction_lines[1].set_visible(False)
        else:
            # the zeros (about half) would swamp each row: they have their own panel
            positive = [x[x > 0] for x in hidden_x]
            scaled = [v / np.sqrt(np.mean(v**2)) if v.size else v for v in positive]
            rows = histogram_rows(scaled, low=0.0, high=4.0, bins=HIST_BINS)
            self.fraction_lines[0].set_data(layers, stats.zero)
            self.fraction_lines[1].set_data(layers, stats.dead)
            self.fraction_lines[1].set_visible(True)
        self.hist_image.set_data(rows)
        low, high = self.ax_hist.get_xlim()
        self.hist_image.set_extent((low, high, 0.5, depth + 0.5))
        self.readout.value = self._describe(var_w, forward, stats)
        self.image.value = self.blit.render()

    def _describe(self, var_w: float, forward: np.ndarray, stats) -> str:
        d, depth = self.width.value, self.depth.value
        preset = self.preset.value
        tanh = self.activation.value == "tanh"
        if preset == "zeros":
            scheme = "all-zero weights: every score s⁽ˡ⁾ is 0, every hidden unit alike"
        elif preset == "constant":
            scheme = (f"constant weights w = √(c/d) = {_fmt(np.sqrt(var_w))}: "
                      "every unit of a layer computes the same (cloned neurons)")
        else:
            name = {"Xavier": " (Xavier: 2/(d+d))", "He": " (He: 2/d)"}.get(preset, "")
            scheme = f"var(w) = c/d = {_fmt(self.c.value)}/{d} = {_fmt(var_w)}{name}"
        quantity = "var(x)" if tanh else "var(s)"
        last = (f"layer {depth}: {quantity} = {_fmt(forward[-1])}, "
                f"var(δ⁽¹⁾) = {_fmt(stats.var_delta[0])}")
        if tanh:
            last += f", saturated {stats.saturated[-1]:.0%}"
        else:
            last += f", zero per sample {stats.zero[-1]:.0%}, dead for all {stats.dead[-1]:.0%}"
        off_scale = np.any((forward > VARIANCE_SPAN[1]) | (stats.var_delta > VARIANCE_SPAN[1])
                           | (forward < VARIANCE_SPAN[0]) | (stats.var_delta < VARIANCE_SPAN[0]))
        note = " (values outside 10⁻⁶ to 10⁶, or 0, are drawn at the edge)" if off_scale else ""
        return f"{scheme}<br>{last}{note}"
