"""The dropout and early-stopping dashboard: slides "Deep Learning Regularization" made movable.

A wide network (one hidden layer of 256 tanh units) trains on a small subset of the digits
(200 images), the setting of notebook 03, section 1, where it overfits. The controls set the
drop probability p ("drop p, keep 1-p", as on the slides; cs231n's p is the *keep*
probability), the patience k of early stopping and the learning rate η of Adam. Training runs
with :func:`lecture_lib.training.fit` (``patience=k``, ``restore_best=True``); its per-epoch
``callback`` moves the curves, so they grow while the network trains. The left panel shows the
training and validation loss, the right one the capacity proxy ‖w_t - w_0‖ ("GD visits more
weight combinations as t increases"); both mark the best (restored) epoch and the epoch where
early stopping ended the run.
"""

from __future__ import annotations

import html
import time

import ipywidgets as widgets
import numpy as np

from lecture_lib.dashboards.base import BlittedFigure, Dashboard
from lecture_lib.data import load_digits
from lecture_lib.network import MLP
from lecture_lib.optim import Adam
from lecture_lib.regularization import distance_from_start
from lecture_lib.training import History, fit

MAX_P = 0.9  # the widget stops below p = 1 (which drops every unit)
LOSS_SPAN = (1e-4, 10.0)  # fixed log axes: values beyond are drawn at the edge
DISTANCE_SPAN = (0.1, 1e3)


def _fmt(value: float) -> str:
    return f"{value:.3g}"


class RegularizationDashboard(Dashboard):
    """Train a small network with dropout and early stopping and watch the curves grow.

    Parameters
    ----------
    n_train : int
        Training images (a small subset of the digits training split, so the net overfits).
    width : int
        Hidden units of the one hidden tanh layer.
    max_epochs : int
        Epochs of a run without early stopping (the x-axis span).
    batch_size : int
        Minibatch size of SGD.
    every : int
        Redraw the picture every ``every`` epochs while training (and at the end).
    seed : int
        Seeds the initial weights, the dropout masks and the minibatch order; every run with the
        same controls gives the same curves.

    Attributes
    ----------
    p, eta : ipywidgets.FloatSlider, ipywidgets.FloatLogSlider
    patience : ipywidgets.IntSlider
    train_on_change : ipywidgets.Checkbox
        Train at once when a control moves (else only on a click of ``train_button``).
    train_button : ipywidgets.Button
    readout : ipywidgets.HTML
    image : ipywidgets.Image
    history : lecture_lib.training.History
        The last run.
    distances : list of float
        ‖w_t - w_0‖ after each epoch of the last run.
    restored_val_loss : float or None
        Validation loss of the network after the run (restored to the best epoch).
    first_points_ms, run_ms : float
        Time from the start of the last run to the first picture with curve points, and to
        the final picture (for the benchmark).
    """

    title = "Dropout and early-stopping dashboard"

    def __init__(
        self,
        *,
        n_train: int = 200,
        width: int = 256,
        max_epochs: int = 80,
        batch_size: int = 20,
        every: int = 4,
        seed: int = 0,
    ) -> None:
        digits = load_digits(seed=0)
        self.X_train, self.y_train = digits.X_train[:n_train], digits.y_train[:n_train]
        self.X_val, self.y_val = digits.X_val, digits.y_val
        self.sizes = [self.X_train.shape[1], width, 10]
        self.max_epochs, self.batch_size, self.every, self.seed = (
            max_epochs, batch_size, every, seed)
        style = {"description_width": "150px"}
        wide = widgets.Layout(width="460px")
        self.p = widgets.FloatSlider(
            value=0.5, min=0.0, max=MAX_P, step=0.05, readout_format=".2f",
            description="dropout p (drop)", style=style, layout=wide, continuous_update=False,
        )
        self.patience = widgets.IntSlider(
            value=10, min=1, max=max_epochs, description="patience k (epochs)", style=style,
            layout=wide, continuous_update=False,
        )
        self.eta = widgets.FloatLogSlider(
            value=3e-3, base=10, min=-4, max=-1, step=0.1, readout_format=".2g",
            description="η (Adam)", style=style, layout=wide, continuous_update=False,
        )
        self.train_on_change = widgets.Checkbox(value=True,
                                                description="train when a control moves")
        self.train_button = widgets.Button(description="Train", button_style="primary",
                                           icon="play")
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.history = History()
        self.distances: list[float] = []
        self.restored_val_loss: float | None = None
        self.first_points_ms = self.run_ms = float("nan")
        for control in (self.p, self.patience, self.eta):
            control.observe(self._on_change, names="value")
        self.train_button.on_click(lambda _button: self._update_quietly())
        controls = widgets.VBox([self.p, self.patience, self.eta,
                                 widgets.HBox([self.train_button, self.train_on_change])])
        self.box = widgets.VBox([controls, self.readout, self.image])
        self._build_figure()
        self._update_quietly()

    # ------------------------------------------------------------------ figure
    def _build_figure(self) -> None:
        from lecture_lib.plots import new_figure

        self.fig = new_figure(10, 3.6)
        self.ax_loss, self.ax_distance = self.fig.subplots(1, 2)
        self.blit = BlittedFigure(self.fig)
        style = {"animated": True}
        self.train_line, = self.ax_loss.semilogy([], [], color="C0", label="training loss",
                                                 **style)
        self.val_line, = self.ax_loss.semilogy([], [], color="C1", label="validation loss",
                                               **style)
        self.best_marker, = self.ax_loss.semilogy([], [], "o", color="C3", ms=7,
                                                  label="best epoch (restored)", **style)
        self.best_vline = self.ax_loss.axvline(0, color="C3", ls=":", lw=1, **style)
        self.stop_vline = self.ax_loss.axvline(0, color="0.3", ls="--", lw=1,
                                               label="early stop", **style)
        self.distance_line, = self.ax_distance.semilogy([], [], color="C2", **style)
        self.distance_best, = self.ax_distance.semilogy([], [], "o", color="C3", ms=7, **style)
        self.distance_stop = self.ax_distance.axvline(0, color="0.3", ls="--", lw=1, **style)
        for ax in (self.ax_loss, self.ax_distance):
            ax.set_xlim(0, self.max_epochs)
            ax.set_xlabel("epoch t")
            ax.grid(True, alpha=0.3)
        self.ax_loss.set_ylim(*LOSS_SPAN)
        self.ax_loss.set_ylabel("cross-entropy (test passes, no dropout)")
        self.ax_loss.set_title(f"{len(self.X_train)} training images, "
                               f"{self.sizes[1]} tanh units")
        self.ax_loss.legend(handles=[self.train_line, self.val_line, self.best_marker,
                                     self.stop_vline], loc="lower left", fontsize=8)
        self.ax_distance.set_ylim(*DISTANCE_SPAN)
        self.ax_distance.set_title("capacity proxy: ‖w_t − w_0‖")
        self.blit.moving = [self.train_line, self.val_line, self.best_marker, self.best_vline,
                            self.stop_vline, self.distance_line, self.distance_best,
                            self.distance_stop]

    # ------------------------------------------------------------------ controls
    def _on_change(self, change=None) -> None:
        if self.train_on_change.value:
            self._update_quietly()

    # ------------------------------------------------------------------ training
    def update(self) -> None:
        """Train from the same initial weights with the current controls; the curves grow
        while it trains (a redraw every ``every`` epochs), then the best epoch and the
        early-stopping point are marked."""
        start = time.perf_counter()
        self.first_points_ms = float("nan")
        rng = np.random.default_rng(self.seed)
        net = MLP(self.sizes, activation="tanh", init="xavier", rng=rng,
                  dropout=float(self.p.value))
        w0 = net.copy_params()
        self.distances = []
        self.readout.value = "training…"

        def callback(epoch: int, history: History) -> None:
            self.distances.append(distance_from_start(net.params, w0))
            if epoch >= 1 and (epoch % self.every == 0 or epoch == 1):
                self._draw(history, final=False)
                if np.isnan(self.first_points_ms):
                    self.first_points_ms = (time.perf_counter() - start) * 1000.0

        self.history = fit(
            net, Adam(eta=float(self.eta.value)), self.X_train, self.y_train, self.X_val,
            self.y_val, epochs=self.max_epochs, batch_size=self.batch_size,
            rng=np.random.default_rng(self.seed + 1), callback=callback,
            patience=int(self.patience.value), restore_best=True,
        )
        self.net = net
        self.restored_val_loss = net.loss(self.X_val, self.y_val) if self.history.val_loss else None
        self._draw(self.history, final=True)
        self.readout.value = self._describe()
        self.run_ms = (time.perf_counter() - start) * 1000.0
        if np.isnan(self.first_points_ms):
            self.first_points_ms = self.run_ms

    def _draw(self, history: History, *, final: bool) -> None:
        epochs = np.arange(len(history.val_loss))
        low, high = LOSS_SPAN
        self.train_line.set_data(epochs, np.clip(history.train_loss, low, high))
        self.val_line.set_data(epochs, np.clip(history.val_loss, low, high))
        self.distance_line.set_data(epochs, np.clip(self.distances[: len(epochs)],
                                                    *DISTANCE_SPAN))
        best = history.best_epoch
        show_best = final and best is not None
        stopped = final and history.stopped_early
        for artist in (self.best_marker, self.best_vline, self.distance_best):
            artist.set_visible(show_best)
        for artist in (self.stop_vline, self.distance_stop):
            artist.set_visible(stopped)
        if show_best:
            self.best_marker.set_data([best], [np.clip(history.val_loss[best], low, high)])
            self.best_vline.set_xdata([best, best])
            self.distance_best.set_data([best], [np.clip(self.distances[best],
                                                         *DISTANCE_SPAN)])
        if stopped:
            last = len(epochs) - 1
            self.stop_vline.set_xdata([last, last])
            self.distance_stop.set_xdata([last, last])
        self.image.value = self.blit.render()

    def _describe(self) -> str:
        h = self.history
        setting = (f"p = {_fmt(self.p.value)} (keep 1 − p = {_fmt(1 - self.p.value)}), "
                   f"patience k = {self.patience.value}, η = {_fmt(self.eta.value)}")
        if not h.val_loss:
            return (f"{setting}<br><b>Diverged in the first epoch:</b> the loss exploded; "
                    "lower η.")
        best = h.best_epoch
        if h.stopped_early:
            how = (f"early stopping after epoch {h.epochs_run - 1} "
                   f"({h.epochs_run - 1} − {best} = k = {self.patience.value} epochs without a "
                   "better validation loss)")
        elif h.diverged:
            how = f"<b>diverged</b> in epoch {h.epochs_run} (η too large); stopped"
        else:
            how = f"ran all {self.max_epochs} epochs (no stop: the patience was not used up)"
        off = any(v < LOSS_SPAN[0] or v > LOSS_SPAN[1] for v in h.train_loss + h.val_loss)
        note = " (losses beyond the axis are drawn at its edge)" if off else ""
        return html.escape(setting) + "<br>" + how + (
            f"<br>restored epoch {best}: validation loss {_fmt(self.restored_val_loss)}, "
            f"accuracy {h.val_acc[best]:.1%}; training loss {_fmt(h.train_loss[best])}; "
            f"‖w − w_0‖ = {_fmt(self.distances[best])}{note}"
        )
