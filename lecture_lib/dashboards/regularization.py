"""The dropout and early-stopping dashboard: slides "Deep Learning Regularization" made movable.

A wide network (one hidden layer of 256 tanh units) trains on a small subset of the digits
(200 images), the setting of notebook 03, section 1, where it overfits. The controls set the
drop probability p ("drop p, keep 1-p", as on the slides; cs231n's p is the *keep*
probability), the patience k of early stopping and the learning rate η of Adam.

A run of (p, η) is a :class:`lecture_lib.runs.DropoutRun`: it trains as far as early
stopping with patience k goes, and the curves grow while it trains. The history shown is read
off it by :func:`lecture_lib.runs.early_stopping`, exactly the history of
:func:`lecture_lib.training.fit` with ``patience=k``: a smaller k redraws without training, a
larger k trains on from where the run stopped, and a (p, η) seen before comes from the cache of
runs. The left panel shows the
training and validation loss, the right one the capacity proxy ‖w − w_0‖ after each epoch
("GD visits more weight combinations as t increases"); both mark the best (restored) epoch and
the epoch where early stopping ended the run. "Epoch 1" is after the first pass.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import MaxNLocator

from lecture_lib import validate
from lecture_lib.dashboards.base import BlittedFigure, Picture
from lecture_lib.dashboards.style import fmt, row_layout, slider_style
from lecture_lib.dashboards.training import TrainingDashboard
from lecture_lib.data import load_digits
from lecture_lib.plots import COLORS, new_figure, series_style
from lecture_lib.runs import DropoutRun, early_stopping, epoch_numbers
from lecture_lib.training import History

MAX_P = 0.9  # the widget stops below p = 1 (which drops every unit)
LOSS_SPAN = (1e-4, 10.0)  # losses beyond are drawn at the edge of the log axis
#: Limits of the constructor's sizes: a run then stays within seconds.
MAX_WIDTH = 2048
MAX_EPOCHS = 500


class RegularizationDashboard(TrainingDashboard):
    """Train a small network with dropout and early stopping and watch the curves grow.

    Parameters
    ----------
    n_train : int
        Training images (a small subset of the digits training split, so the net overfits),
        1 to the size of that split.
    width : int
        Hidden units of the one hidden tanh layer, 1 to :data:`MAX_WIDTH`.
    max_epochs : int
        Epochs of a run without early stopping (the x-axis span), 1 to :data:`MAX_EPOCHS`.
    batch_size : int
        Minibatch size B of the Adam steps.
    every : int
        Redraw the picture at most every ``every`` epochs while training (and at the end).
    seed : int
        Seeds the initial weights, the dropout masks and the minibatch order; every run with the
        same controls gives the same curves.
    auto_run : bool
        Train when a control moves (else only on the Train button).

    Attributes
    ----------
    p, eta : ipywidgets.FloatSlider, ipywidgets.FloatLogSlider
    patience : ipywidgets.IntSlider
    train_on_change, auto : ipywidgets.Checkbox
        Train at once when a control moves (else only on a click of ``train_button``); the
        same checkbox under two names.
    train_button, train : ipywidgets.Button
        The same button under two names.
    readout : ipywidgets.HTML
    image : lecture_lib.dashboards.base.Picture
    history : lecture_lib.training.History
        The run as early stopping with the current patience ends it (what fit with
        ``patience=k`` returns).
    full_run : lecture_lib.runs.DropoutRun
        The run of (p, η) as far as it was trained (for the largest patience asked so far),
        with ‖w − w_0‖ after each epoch.
    distances : list of float
        ‖w − w_0‖ after each epoch of ``history``.
    restored_val_loss : float or None
        Validation loss of the weights early stopping restores (those after the best epoch).
    first_points_ms, run_ms : float
        Time from the start of the last update to the first picture with curve points, and to
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
        auto_run: bool = True,
    ) -> None:
        n_train = validate.positive_int("n_train", n_train)
        self.width = validate.positive_int("width", width, maximum=MAX_WIDTH)
        self.max_epochs = validate.positive_int("max_epochs", max_epochs, maximum=MAX_EPOCHS)
        self.batch_size = validate.positive_int("batch_size", batch_size)
        self.every = validate.positive_int("every", every)
        self.seed = validate.non_negative_int("seed", seed)
        auto_run = validate.boolean("auto_run", auto_run)
        digits = load_digits(seed=0)
        validate.positive_int("n_train", n_train, maximum=len(digits.X_train))
        self.X_train, self.y_train = digits.X_train[:n_train], digits.y_train[:n_train]
        self.X_val, self.y_val = digits.X_val, digits.y_val
        self.sizes = [self.X_train.shape[1], self.width, 10]
        style, wide = slider_style("150px"), row_layout("460px")
        self.p = widgets.FloatSlider(
            value=0.5, min=0.0, max=MAX_P, step=0.05, readout_format=".2f",
            description="dropout p (drop)", style=style, layout=wide, continuous_update=False,
        )
        self.patience = widgets.IntSlider(
            value=min(10, self.max_epochs), min=1, max=self.max_epochs,
            description="patience k (epochs)", style=style, layout=row_layout("460px"),
            continuous_update=False,
        )
        self.eta = widgets.FloatLogSlider(
            value=3e-3, base=10, min=-4, max=-1, step=0.1, readout_format=".2g",
            description="η (Adam)", style=style, layout=row_layout("460px"),
            continuous_update=False,
        )
        self.readout = widgets.HTML()
        self.image = Picture()
        self.history = History()
        self.full_run: DropoutRun | None = None
        self.distances: list[float] = []
        self.restored_val_loss: float | None = None
        self._partial: tuple[int, History] | None = None  # an epoch drawn while training
        buttons = self._training_controls(auto_run)
        self._watch(self.p, self.eta, view=(self.patience,))
        controls = widgets.VBox([self.p, self.patience, self.eta, buttons])
        self.box = widgets.VBox([controls, self.readout, self.image.widget])
        self._build_figure()
        self._redraw()

    # ------------------------------------------------------------------ figure
    def _build_figure(self) -> None:
        self.fig = new_figure(10, 3.6)
        self.ax_loss, self.ax_distance = self.fig.subplots(1, 2)
        self.blit = BlittedFigure(self.fig)
        moving = {"animated": True}
        best = {"color": COLORS["orange"], "mec": "k", "ms": 8}
        self.train_line, = self.ax_loss.semilogy([], [], label="training loss",
                                                 **{**series_style(0), "marker": None},
                                                 **moving)
        self.val_line, = self.ax_loss.semilogy([], [], label="validation loss",
                                               **{**series_style(1), "marker": None}, **moving)
        self.best_marker, = self.ax_loss.semilogy([], [], "o", label="best epoch (restored)",
                                                  **best, **moving)
        self.best_vline = self.ax_loss.axvline(1, color="0.45", ls=":", lw=1, **moving)
        self.stop_vline = self.ax_loss.axvline(1, color="0.3", ls="--", lw=1,
                                               label="early stop", **moving)
        # linear: the growth of ‖w − w_0‖ (a few units) is what the panel shows
        self.distance_line, = self.ax_distance.plot(
            [], [], **{**series_style(2), "marker": None}, **moving)
        self.distance_best, = self.ax_distance.plot([], [], "o", **best, **moving)
        self.distance_stop = self.ax_distance.axvline(1, color="0.3", ls="--", lw=1, **moving)
        for ax in (self.ax_loss, self.ax_distance):
            ax.set_xlim(0.5, self.max_epochs + 0.5)
            ax.set_xlabel("epoch (1 = after the first pass)")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(True, alpha=0.3)
        self.ax_loss.set_ylim(*LOSS_SPAN)
        self.ax_loss.set_ylabel("cross-entropy (test passes, no dropout)")
        self.ax_loss.set_title(f"{len(self.X_train)} training images, "
                               f"{self.sizes[1]} tanh units")
        self.ax_loss.legend(handles=[self.train_line, self.val_line, self.best_marker,
                                     self.stop_vline], loc="lower left", fontsize=8)
        self._limits = None  # set by _fit_axes
        # saved backgrounds by axis limits (about 0.9 MiB each): a setting seen before, or one
        # with the same limits, swaps its background in instead of drawing every tick again
        self._backgrounds: dict[tuple, object] = {}
        self.ax_distance.set_title("capacity proxy: ‖w − w_0‖ after each epoch")
        self.blit.moving = [self.train_line, self.val_line, self.best_marker, self.best_vline,
                            self.stop_vline, self.distance_line, self.distance_best,
                            self.distance_stop]
        # Lay the figure out once, for two-digit epochs and distances, and keep that layout: a
        # change of limits then redraws the axes without the constrained-layout pass (half the
        # cost of a background)
        self.ax_distance.set_ylim(0.0, 10.0)
        self.fig.canvas.draw()
        self.fig.set_layout_engine("none")

    # ------------------------------------------------------------------ training
    def _run(self) -> None:
        """Train the run of (p, η) as far as early stopping with the current patience goes
        (a run seen before is taken from the cache and goes on only if the patience asks for
        more epochs than it has), then cut it there and draw it."""
        patience = int(self.patience.value)
        key = self.setting_key()
        run = self.runs.get(key)
        if run is None:
            run = DropoutRun(self.X_train, self.y_train, self.X_val, self.y_val,
                             width=self.width, p=float(self.p.value), eta=float(self.eta.value),
                             max_epochs=self.max_epochs, batch_size=self.batch_size,
                             seed=self.seed)
            self.runs.put(key, run)

        def stops(history: History) -> bool:
            return early_stopping(history, patience).stopped_early

        def draw(epoch: int, history: History, distances: list[float]) -> None:
            self._partial = (epoch, history)
            self._draw_curves(history, distances, grow_only=True)
            self._hide_marks()
            self.readout.value = (f"{html.escape(self._setting())}<br>training… epoch {epoch} "
                                  f"of at most {self.max_epochs}")
            self._picture(final=False)

        if not run.finished and not stops(run.history):
            self.trained = True
            self.readout.value = f"{html.escape(self._setting())}<br>training…"
            run.train(until=stops, callback=self._progress(draw, self.every))
        self._finish(run, patience)

    def _finish(self, run: DropoutRun, patience: int) -> None:
        """Cut ``run`` where early stopping with ``patience`` stops, draw it, mark the best
        and the stopping epoch, and write the readout."""
        self.full_run = run
        self._partial = None
        self.history = early_stopping(run.history, patience)
        n = self.history.epochs_run
        self.distances = list(run.distances[:n])
        best = self.history.best_epoch
        # restore_best brings back the weights after the best epoch: their validation loss
        # is the one measured then
        self.restored_val_loss = None if best is None else self.history.val_loss[best]
        self._draw_curves(self.history, self.distances)
        self._hide_marks()
        if best is not None:
            for artist in (self.best_marker, self.best_vline, self.distance_best):
                artist.set_visible(True)
            self.best_marker.set_data([best + 1], [np.clip(self.history.val_loss[best],
                                                           *LOSS_SPAN)])
            self.best_vline.set_xdata([best + 1, best + 1])
            self.distance_best.set_data([best + 1], [self.distances[best]])
        if self.history.stopped_early:
            for artist in (self.stop_vline, self.distance_stop):
                artist.set_visible(True)
                artist.set_xdata([n, n])
        outcome = html.escape(self._outcome())
        if outcome.startswith("Diverged"):
            head, _, rest = outcome.partition(":")
            outcome = f"<b>{head}:</b>{rest}"
        else:
            outcome = outcome.replace("diverged", "<b>diverged</b>", 1)
        self.readout.value = html.escape(self._setting()) + "<br>" + outcome
        self._picture(final=True, points=n > 0)

    def _end_progress(self) -> None:
        self._partial = None

    def _draw_curves(self, history: History, distances: list[float], *,
                     grow_only: bool = False) -> None:
        epochs = epoch_numbers(history.epochs_run)
        self.train_line.set_data(epochs, np.clip(history.train_loss, *LOSS_SPAN))
        self.val_line.set_data(epochs, np.clip(history.val_loss, *LOSS_SPAN))
        self.distance_line.set_data(epochs, distances[: len(epochs)])
        self._fit_axes(history, distances[: len(epochs)], grow_only=grow_only)

    def _fit_axes(self, history: History, distances: list[float], *,
                  grow_only: bool = False) -> None:
        """Axes fit what is drawn: the epochs run (in steps of 10), the decades of the losses,
        ‖w − w_0‖ from 0 to a round value above its largest. The static parts are redrawn only
        when a limit changes; while a run trains (``grow_only``) only when the curves leave
        the axes, so the axes are fitted once, when the run ends."""
        n = history.epochs_run
        right = min(self.max_epochs, max(10, -(-n // 10) * 10))
        losses = np.clip(history.train_loss + history.val_loss, *LOSS_SPAN) if n else [1.0]
        low = 10.0 ** np.floor(np.log10(np.min(losses)))
        high = 10.0 ** np.ceil(np.log10(np.max(losses)))
        top = _round_up(max(distances, default=1.0))
        limits = (right, low, max(high, 10 * low), top)
        if limits == self._limits:
            return
        if grow_only and self._limits is not None:
            shown = self._limits
            if (limits[0] <= shown[0] and limits[1] >= shown[1] and limits[2] <= shown[2]
                    and limits[3] <= shown[3]):
                return
        self._limits = limits
        for ax in (self.ax_loss, self.ax_distance):
            ax.set_xlim(0.5, right + 0.5)
        self.ax_loss.set_ylim(limits[1], limits[2])
        self.ax_distance.set_ylim(0.0, top)
        background = self._backgrounds.pop(limits, None)
        if background is None:
            background = self.blit.draw_background()
        self.blit.background = background
        self._backgrounds[limits] = background  # the most recently used last
        while len(self._backgrounds) > 4:
            del self._backgrounds[next(iter(self._backgrounds))]

    def _hide_marks(self) -> None:
        for artist in (self.best_marker, self.best_vline, self.distance_best, self.stop_vline,
                       self.distance_stop):
            artist.set_visible(False)

    # ------------------------------------------------------------------ text
    def _setting(self) -> str:
        return (f"p = {fmt(self.p.value)} (keep 1 − p = {fmt(1 - self.p.value)}), "
                f"patience k = {self.patience.value}, η = {fmt(self.eta.value)}")

    def _outcome(self) -> str:
        """How the run ended and the restored epoch's numbers, in plain text (1-based)."""
        h = self.history
        if not h.val_loss:
            return "Diverged in the first epoch: the loss exploded; lower η."
        n, best = h.epochs_run, h.best_epoch + 1
        if h.stopped_early:
            how = (f"early stopping after epoch {n} ({n} − {best} = k = {self.patience.value} "
                   "epochs without a better validation loss)")
        elif h.diverged:
            how = f"diverged in epoch {n + 1} (η too large); stopped"
        else:
            how = f"ran all {self.max_epochs} epochs (no stop: the patience was not used up)"
        off = any(v < LOSS_SPAN[0] or v > LOSS_SPAN[1] for v in h.train_loss + h.val_loss)
        note = " (losses beyond the axis are drawn at its edge)" if off else ""
        return how + (
            f"; restored epoch {best}: validation loss {fmt(self.restored_val_loss)}, "
            f"accuracy {h.val_acc[best - 1]:.1%}; training loss {fmt(h.train_loss[best - 1])}; "
            f"‖w − w_0‖ = {fmt(self.distances[best - 1])}{note}"
        )

    def describe(self) -> str:
        """The picture in words: the setting, where training stopped and the key numbers."""
        head = (f"Left: training and validation cross-entropy per epoch (log scale); right: "
                f"the distance ‖w − w_0‖ of the weights from their start. {self._setting()}. ")
        if self.interrupted:
            return head + "Interrupted while training: the run was discarded."
        if self._partial is not None:
            epoch, history = self._partial
            return head + (f"Training: epochs 1 to {epoch} of {self.max_epochs} drawn so far, "
                           f"validation loss {fmt(history.val_loss[-1])}.")
        outcome = self._outcome()
        return head + outcome[0].upper() + outcome[1:] + "."


def _round_up(value: float) -> float:
    """The smallest of 1, 2, 5 times a power of 10 that is >= ``value`` (1 for value <= 0)."""
    if not value > 0 or not np.isfinite(value):
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= value))
