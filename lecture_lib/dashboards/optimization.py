"""The optimization dashboards: slides "Deep Learning Optimization" made movable.

* :class:`SurfaceExplorer`: the rules of :func:`lecture_lib.optim.dashboard_rules` (SGD,
  momentum, RMSProp and Adam) side by side on the 2-D error surfaces of
  :mod:`lecture_lib.surfaces` (ravine, plateau, saddle, local minima), with η, β, β1, β2 and
  gradient noise on sliders. The paths come from
  :func:`lecture_lib.runs.surface_runs`; contours are drawn once per surface, the paths
  are blitted on every move.
* :class:`TrainingExplorer`: one rule trains the digits network of
  :func:`lecture_lib.training.digits_net`; training and validation curves are drawn epoch by
  epoch while it runs ("epoch 1" is after the first pass).

A run that diverges is drawn as such: the path up to the edge of the picture with a ✕ where it
left (surfaces), or the curves up to the last finite epoch (training), and a message in the
readout. Both dashboards compute with :mod:`lecture_lib.runs` and only draw here.
"""

from __future__ import annotations

import html
import time

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import MaxNLocator

from lecture_lib import validate
from lecture_lib.dashboards.base import BlittedFigure, Dashboard, Picture
from lecture_lib.dashboards.style import fmt, row_layout, slider_style, toggle_style
from lecture_lib.dashboards.training import TrainingDashboard
from lecture_lib.data import load_digits
from lecture_lib.optim import Optimizer, dashboard_rules, get_rule, make_optimizer
from lecture_lib.plots import COLORS, dash_name, draw_contours, new_figure, series_style
from lecture_lib.runs import (
    GAP_SPAN,
    epoch_numbers,
    epochs_within,
    steps_per_epoch,
    surface_runs,
)
from lecture_lib.surfaces import SURFACES
from lecture_lib.training import DIGITS_SIZES, EXPLODE_FACTOR, History, train_each

__all__ = ["SurfaceExplorer", "TrainingExplorer", "rule_color"]

#: The most steps a surface explorer draws per path (a move then costs about 0.2 s).
MAX_SURFACE_STEPS = 10_000


def rule_names() -> list[str]:
    """The rules the dashboards offer: :func:`lecture_lib.optim.dashboard_rules`, read when a
    dashboard is built (a rule registered later appears in the next one)."""
    return [rule.name for rule in dashboard_rules()]


def rule_color(rule: str) -> str:
    """The rule's colour (its registry ``style`` in the Okabe–Ito palette of
    :mod:`lecture_lib.plots`)."""
    return series_style(get_rule(rule).style)["color"]


def rule_dashes(rule: str):
    """The rule's dash pattern (paired with its colour), for ``plot(linestyle=...)``."""
    return series_style(get_rule(rule).style)["linestyle"]


def taking(hyperparameter: str) -> str:
    """The dashboard rules that take ``hyperparameter``, for a slider's label ("momentum,
    RMSProp")."""
    return ", ".join(rule.name for rule in dashboard_rules() if rule.takes(hyperparameter))


def swatch(rule: str) -> str:
    """A short line in the rule's colour before its name in a readout: colour is not the only
    cue (the name follows) and no coloured text has to meet a contrast ratio."""
    return (f"<span aria-hidden='true' style='display:inline-block;width:1.6em;height:0.3em;"
            f"background:{rule_color(rule)};vertical-align:middle;margin-right:0.3em'></span>")


class SurfaceExplorer(Dashboard):
    """Paths of the chosen update rules over the contours of one error surface.

    Parameters
    ----------
    steps : int
        Steps per path, 1 to :data:`MAX_SURFACE_STEPS`.
    seed : int
        Seeds the gradient noise; every rule sees the same noise sequence z_t, and the same
        z_t at every setting, so a move changes only what the slider changes.

    Attributes
    ----------
    surface : ipywidgets.ToggleButtons
    rules : dict of ipywidgets.Checkbox
        One per rule of :func:`rule_names`, in registry order.
    eta : ipywidgets.FloatLogSlider
    beta, beta1, beta2, noise : ipywidgets.FloatSlider
    readout : ipywidgets.HTML
    image : lecture_lib.dashboards.base.Picture
    runs : dict
        Rule name → :class:`lecture_lib.runs.SurfaceRun` of the rules shown now.
    paths : dict
        Rule name → :class:`lecture_lib.surfaces.Path` of the rules shown now.
    """

    title = "Surface explorer"

    def __init__(self, *, steps: int = 300, seed: int = 0) -> None:
        self.steps = validate.positive_int("steps", steps, maximum=MAX_SURFACE_STEPS)
        self.seed = validate.non_negative_int("seed", seed)
        style, wide = slider_style(), row_layout
        self.surface = widgets.ToggleButtons(options=list(SURFACES), value="ravine",
                                             description="surface",
                                             style=toggle_style("118px"))
        self.rules = {name: widgets.Checkbox(value=True, description=name, indent=False,
                                             layout=widgets.Layout(width="140px"))
                      for name in rule_names()}
        self.eta = widgets.FloatLogSlider(value=0.05, base=10, min=-3, max=1, step=0.05,
                                          readout_format=".3g", description="η",
                                          style=style, layout=wide())
        self.beta = widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                        description=f"β ({taking('beta')})", style=style,
                                        layout=wide())
        self.beta1 = widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                         description=f"β1 ({taking('beta1')})", style=style,
                                         layout=wide())
        self.beta2 = widgets.FloatSlider(value=0.999, min=0.0, max=0.9999, step=0.0001,
                                         readout_format=".4f",
                                         description=f"β2 ({taking('beta2')})",
                                         style=style, layout=wide())
        self.noise = widgets.FloatSlider(value=0.0, min=0.0, max=5.0, step=0.05,
                                         description="gradient noise", style=style,
                                         layout=wide())
        self.readout = widgets.HTML()
        self.image = Picture()
        self._surface_drawn = None
        self.runs: dict = {}
        self.paths: dict = {}
        for control in (self.surface, self.eta, self.beta, self.beta1, self.beta2, self.noise,
                        *self.rules.values()):
            control.observe(self._redraw, names="value")
        controls = widgets.VBox([
            self.surface, widgets.HBox(list(self.rules.values())), self.eta, self.beta,
            self.beta1, self.beta2, self.noise,
        ])
        self.box = widgets.VBox([controls, self.readout, self.image.widget])
        self._build_figure()
        self._redraw()

    # ------------------------------------------------------------------ figure
    def _build_figure(self) -> None:
        self.fig = new_figure(10, 4.2)
        # A fixed layout: every surface's cached background and the moving artists share the
        # same axes positions (a layout engine would move them with each surface's labels).
        self.fig.set_layout_engine("none")
        self.ax_path, self.ax_gap = self.fig.subplots(
            1, 2, width_ratios=[1.35, 1],
            gridspec_kw={"left": 0.075, "right": 0.985, "bottom": 0.12, "top": 0.93,
                         "wspace": 0.18})
        self.blit = BlittedFigure(self.fig)
        self.lines, self.ends, self.exits, self.gaps = {}, {}, {}, {}
        for name in self.rules:
            color, dashes = rule_color(name), rule_dashes(name)
            self.lines[name], = self.ax_path.plot([], [], color=color, ls=dashes, lw=1.6,
                                                  label=name, animated=True)
            self.ends[name], = self.ax_path.plot([], [], "o", color=color, ms=6, mec="k",
                                                 animated=True)
            self.exits[name], = self.ax_path.plot([], [], "X", color=color, ms=13, mec="k",
                                                  animated=True, clip_on=False, zorder=5)
            self.gaps[name], = self.ax_gap.semilogy([], [], color=color, ls=dashes, lw=1.6,
                                                    label=name, animated=True)
        self.ax_gap.set_xlim(0, self.steps)
        self.ax_gap.set_ylim(*GAP_SPAN)
        self.ax_gap.set_xlabel("step t")
        self.ax_gap.set_title("E(w_t) - E(w*)  (log scale)", fontsize=10)
        self.ax_gap.grid(True, alpha=0.3)
        self.ax_gap.legend(handles=list(self.gaps.values()), loc="lower left", fontsize=8)
        self._backgrounds: dict = {}
        self.blit.moving = [*self.lines.values(), *self.ends.values(), *self.exits.values(),
                            *self.gaps.values()]
        for artist in self.blit.moving:  # the layout is static: moving artists never change it
            artist.set_in_layout(False)

    def _draw_surface(self, name: str) -> None:
        """Static per surface: contours, start and minimum, box; then a new background.

        A surface's background is kept after its first drawing: switching back to it only
        restores the axis limits (the paths' coordinates) and the saved pixels.
        """
        surface = SURFACES[name]
        ax = self.ax_path
        if name in self._backgrounds:
            ax.set_xlim(*surface.xlim)
            ax.set_ylim(*surface.ylim)
            self.blit.background = self._backgrounds[name]
            self._surface_drawn = name
            return
        for artist in list(ax.collections) + list(ax.texts) + [
                line for line in ax.lines if line not in self.blit.moving]:
            artist.remove()
        draw_contours(ax, surface)
        ax.set_title(surface.difficulty.split(" (")[0], fontsize=10)
        self._backgrounds[name] = self.blit.draw_background()
        self._surface_drawn = name

    # ------------------------------------------------------------------ update
    def chosen(self) -> list[str]:
        """The rules whose checkbox is ticked, in registry order."""
        return [name for name, box in self.rules.items() if box.value]

    def update(self) -> None:
        """Run every chosen rule on the surface (:func:`lecture_lib.runs.surface_runs`),
        move the artists, refresh the picture and the readout."""
        name = self.surface.value
        if self._surface_drawn != name:
            self._draw_surface(name)
        self.runs = surface_runs(name, self.chosen(), eta=self.eta.value, beta=self.beta.value,
                                 beta1=self.beta1.value, beta2=self.beta2.value,
                                 noise=self.noise.value, steps=self.steps, seed=self.seed)
        self.paths = {rule: result.path for rule, result in self.runs.items()}
        for rule in self.rules:
            result = self.runs.get(rule)
            for artist in (self.lines[rule], self.ends[rule], self.exits[rule], self.gaps[rule]):
                artist.set_visible(result is not None)
            if result is None:
                continue
            self.lines[rule].set_data(result.points[:, 0], result.points[:, 1])
            if result.exit_point is None:
                self.ends[rule].set_data(result.points[-1:, 0], result.points[-1:, 1])
                self.exits[rule].set_data([], [])
            else:
                self.ends[rule].set_data([], [])
                self.exits[rule].set_data([result.exit_point[0]], [result.exit_point[1]])
            self.gaps[rule].set_data(np.arange(len(result.gap)), result.gap)
        self.readout.value = self._readout()
        self.show(self.blit.render())

    def _setting(self) -> str:
        noise = self.noise.value
        noise_text = (f"gradient noise σ = {fmt(noise)} (the same z_t for every rule)"
                      if noise > 0 else "exact gradients (no noise)")
        return (f"{self.surface.value}, {self.steps} steps from ■, η = {fmt(self.eta.value)}, "
                f"{noise_text}")

    def _outcome(self, rule: str) -> str:
        """What happened to one rule's path, in plain text."""
        result = self.runs[rule]
        path = result.path
        if path.diverged:
            return (f"diverged at step {path.diverged_at}: w left the picture (✕) and kept "
                    f"growing; η = {fmt(self.eta.value)} is too large here")
        w1, w2 = path.w[-1]
        text = f"ends at ({fmt(w1)}, {fmt(w2)}), E(w) - E(w*) = {fmt(result.final_gap)}"
        if result.exit_point is not None:
            text += " (outside the picture: ✕ marks where it left)"
        return text

    def _readout(self) -> str:
        lines = []
        for rule in self.runs:
            outcome = html.escape(self._outcome(rule))
            if self.runs[rule].path.diverged:
                outcome = outcome.replace("diverged", "<b>diverged</b>", 1)
            lines.append(f"{swatch(rule)}<b>{rule}</b>: {outcome}")
        if not lines:
            lines = ["Tick at least one rule to draw its path."]
        return f"<b>{html.escape(self._setting())}</b><br>" + "<br>".join(lines)

    def describe(self) -> str:
        """The picture in words: the surface, the setting, and where each path ends."""
        if not self.runs:
            return (f"Contours of the {self.surface.value} error surface; no rule is ticked, so "
                    "no path is drawn.")
        parts = [f"{rule} ({dash_name(get_rule(rule).style)} line) {self._outcome(rule)}"
                 for rule in self.runs]
        return (f"Left: paths of the update rules over the contours of the {self._setting()}, "
                f"towards the minimum ★. Right: E(w_t) - E(w*) on a log scale over the steps. "
                + "; ".join(parts) + ".")


# ====================================================================== training explorer

BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
#: fit stops a run once a loss exceeds EXPLODE_FACTOR × the first loss (ln 10 ≈ 2.3 here)
LOSS_SPAN = (1e-3, 3.0 * EXPLODE_FACTOR)
ERROR_SPAN = (2e-3, 1.0)
#: Optimizer steps a run may take (about 0.3 s of CPU): B >= 8 trains every epoch, B = 4 (270
#: steps per epoch) 11, B = 2 five and B = 1 (1,079 steps per epoch) two.
MAX_RUN_STEPS = 3_000
#: Most epochs per run (the x axis).
MAX_EPOCHS = 500


class TrainingExplorer(TrainingDashboard):
    """Train the digits network with one rule and watch the curves grow epoch by epoch.

    Every run starts from the same initial weights and the same batch order (seeded), so the
    curves differ only by the controls. The previous run's validation curves stay in grey. A
    setting seen before is drawn from the cache of the last runs; small batch sizes train as
    many epochs as ``max_steps`` optimizer steps allow (the readout says so).

    Parameters
    ----------
    epochs : int
        Epochs per run (the x axis is fixed to them), 1 to :data:`MAX_EPOCHS`.
    seed : int
        Seeds the initial weights and the batch order.
    time_limit : float
        Seconds after which a run stops anyway (on a very busy machine); such a run is not
        cached.
    auto_run : bool
        Retrain on every control change (else only on the Train button).
    max_steps : int
        Optimizer steps per run at most (default :data:`MAX_RUN_STEPS`).

    Attributes
    ----------
    rule : ipywidgets.ToggleButtons
    eta : ipywidgets.FloatLogSlider
    beta, beta2 : ipywidgets.FloatSlider
    batch_size : ipywidgets.SelectionSlider
    train_on_change, auto : ipywidgets.Checkbox
        The same checkbox under two names.
    train_button, train : ipywidgets.Button
        The same button under two names.
    readout : ipywidgets.HTML
    image : lecture_lib.dashboards.base.Picture
    history : lecture_lib.training.History
        The last run.
    renders : int
        Pictures sent during the last update (one for a cached run, more while it trains).
    """

    title = "Training explorer"

    def __init__(self, *, epochs: int = 20, seed: int = 0, time_limit: float = 8.0,
                 auto_run: bool = True, max_steps: int = MAX_RUN_STEPS) -> None:
        self.epochs = validate.positive_int("epochs", epochs, maximum=MAX_EPOCHS)
        self.seed = validate.non_negative_int("seed", seed)
        self.time_limit = validate.positive_float("time_limit", time_limit)
        auto_run = validate.boolean("auto_run", auto_run)
        self.max_steps = validate.positive_int("max_steps", max_steps,
                                               maximum=validate.MAX_STEPS)
        self.data = load_digits(seed=0)
        self.n_train = len(self.data.X_train)
        style, wide = slider_style("130px"), row_layout
        self.rule = widgets.ToggleButtons(options=rule_names(), value="Adam", description="rule",
                                          style=toggle_style("118px"))
        # continuous_update=False: a run takes a fraction of a second, so train on release
        self.eta = widgets.FloatLogSlider(value=0.01, base=10, min=-4, max=1, step=0.1,
                                          readout_format=".3g", description="η", style=style,
                                          layout=wide("460px"), continuous_update=False)
        self.beta = widgets.FloatSlider(value=0.9, min=0.0, max=0.999, step=0.001,
                                        readout_format=".3f",
                                        description=self._beta_label(),
                                        style=slider_style("270px"), layout=wide("600px"),
                                        continuous_update=False)
        self.beta2 = widgets.FloatSlider(value=0.999, min=0.0, max=0.9999, step=0.0001,
                                         readout_format=".4f", description="β2 (Adam)",
                                         style=style, layout=wide("460px"),
                                         continuous_update=False)
        sizes = [(str(b), b) for b in BATCH_SIZES] + [(f"all {self.n_train}", self.n_train)]
        self.batch_size = widgets.SelectionSlider(options=sizes, value=64,
                                                  description="batch size B", style=style,
                                                  layout=wide("460px"),
                                                  continuous_update=False)
        self.readout = widgets.HTML()
        self.image = Picture()
        self.history = History()
        self.stopped = False
        self._in_progress = False
        self._previous = None
        buttons = self._training_controls(auto_run)
        self._watch(self.rule, self.eta, self.beta, self.beta2, self.batch_size)
        controls = widgets.VBox([self.rule, self.eta, self.beta, self.beta2, self.batch_size,
                                 buttons])
        self.box = widgets.VBox([controls, self.readout, self.image.widget])
        self._build_figure()
        self._redraw()

    @staticmethod
    def _beta_label() -> str:
        """What the one β slider sets, from the registry: "β (momentum, RMSProp; Adam's β1)"."""
        rules = dashboard_rules()
        own = ", ".join(rule.name for rule in rules if rule.beta == "beta")
        other = "; ".join(f"{rule.name}'s {h.symbol}" for rule in rules
                          if rule.beta not in (None, "beta")
                          for h in rule.hyperparameters if h.name == rule.beta)
        return f"β ({own}; {other})" if other else f"β ({own})"

    def settings(self) -> dict:
        """The hyperparameters of the chosen rule the controls set: η, its β (the one β slider
        sets the hyperparameter the registry's ``beta`` names: Adam's β1) and β2."""
        rule = get_rule(self.rule.value)
        values = {"eta": self.eta.value, "beta2": self.beta2.value}
        if rule.beta is not None:
            values[rule.beta] = self.beta.value
        return {h.name: values[h.name] for h in rule.hyperparameters if h.name in values}

    # ------------------------------------------------------------------ figure
    def _build_figure(self) -> None:
        self.fig = new_figure(10, 3.8)
        self.ax_loss, self.ax_acc = self.fig.subplots(1, 2)
        self.blit = BlittedFigure(self.fig)
        moving = {"animated": True}
        train, val = series_style(0), series_style(1)
        self.old_val_loss, = self.ax_loss.semilogy([], [], ":", color="0.65", lw=1.4,
                                                   label="previous run, validation", **moving)
        self.train_loss, = self.ax_loss.semilogy([], [], ms=3, label="training", **train,
                                                 **moving)
        self.val_loss, = self.ax_loss.semilogy([], [], ms=3, label="validation", **val,
                                               **moving)
        self.best, = self.ax_loss.semilogy([], [], "*", color=COLORS["yellow"], mec="k",
                                           ms=13, label="best validation epoch", **moving)
        self.old_val_acc, = self.ax_acc.semilogy([], [], ":", color="0.65", lw=1.4, **moving)
        self.train_acc, = self.ax_acc.semilogy([], [], ms=3, label="training", **train,
                                               **moving)
        self.val_acc, = self.ax_acc.semilogy([], [], ms=3, label="validation", **val, **moving)
        self.message = self.ax_loss.text(0.5, 0.5, "", transform=self.ax_loss.transAxes,
                                         ha="center", va="center", color="k", fontsize=12,
                                         bbox={"fc": "w", "ec": COLORS["vermillion"]},
                                         **moving)
        for ax in (self.ax_loss, self.ax_acc):
            ax.set_xlim(0.5, self.epochs + 0.5)
            ax.set_xlabel("epoch (1 = after the first pass)")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(True, alpha=0.3)
        self.ax_loss.set_ylim(*LOSS_SPAN)
        self.ax_loss.set_title("cross-entropy loss", fontsize=10)
        self.ax_acc.set_ylim(*ERROR_SPAN)
        self.ax_acc.set_title("classification error 1 - accuracy (0 drawn at the bottom)",
                              fontsize=10)
        self.ax_loss.legend(handles=[self.train_loss, self.val_loss, self.best,
                                     self.old_val_loss], loc="upper right", fontsize=8)
        self.ax_acc.legend(handles=[self.train_acc, self.val_acc], loc="upper right",
                           fontsize=8)
        self.blit.moving = [self.old_val_loss, self.old_val_acc, self.train_loss,
                            self.val_loss, self.best, self.train_acc, self.val_acc,
                            self.message]
        for artist in self.blit.moving:
            artist.set_in_layout(False)

    # ------------------------------------------------------------------ training
    def optimizer(self) -> Optimizer:
        """The rule and hyperparameters the controls set."""
        return make_optimizer(self.rule.value, **self.settings())

    def _key_value(self, name: str, value):
        """A hyperparameter the rule does not take is no part of its run's key (β2 does not
        change SGD's run; the β slider counts only for a rule the registry gives a β)."""
        if name == "beta" and get_rule(self.rule.value).beta is None:
            return None
        if name == "beta2" and "beta2" not in self.settings():
            return None
        return value

    def epochs_per_run(self) -> int:
        """Epochs the current batch size trains within ``max_steps`` steps."""
        return epochs_within(self.n_train, self.batch_size.value, self.epochs, self.max_steps)

    def _run(self) -> None:
        if self.history.epochs_run:
            self._previous = (self.history.val_loss, self.history.val_acc)
        for old, index in ((self.old_val_loss, 0), (self.old_val_acc, 1)):
            if self._previous is None:
                old.set_data([], [])
            else:
                values = self._previous[index]
                values = (np.clip(values, *LOSS_SPAN) if index == 0
                          else np.clip(1.0 - np.asarray(values), *ERROR_SPAN))
                old.set_data(epoch_numbers(len(values)), values)
        key = self.setting_key()
        history = self.runs.get(key)
        self.stopped = False
        if history is None:
            history = self._train()
            if not self.stopped:
                self.runs.put(key, history)
        self.history = history
        message = f"diverged in epoch {history.epochs_run + 1}" if history.diverged else ""
        self._draw_history(history, message)
        self.readout.value = f"{html.escape(self._setting())}<br>{self._outcome_html()}"
        self._picture(final=True, points=history.epochs_run > 0)

    def _train(self) -> History:
        """One new run, drawn while it trains (throttled); stops at the time limit."""
        self.trained = True
        rule, n_epochs = self.rule.value, self.epochs_per_run()
        setting = html.escape(self._setting())
        self.history = History()
        self.readout.value = f"{setting}<br>training…"
        self._in_progress = True

        def draw(epoch: int, history: History) -> None:
            self.readout.value = f"{setting}<br>training… epoch {epoch} of {n_epochs}"
            self.history = history
            self._draw_history(history, "")
            self._picture(final=False)

        progress = self._progress(draw)

        def on_epoch(_name: str, epoch: int, history: History) -> bool:
            progress(epoch + 1, history)
            if self._elapsed() > self.time_limit and epoch + 1 < n_epochs:
                self.stopped = True
                return True
            return False

        try:
            return train_each({rule: self.optimizer()}, self.data, epochs=n_epochs,
                              batch_size=self.batch_size.value, seed=self.seed,
                              callback=on_epoch)[rule]
        finally:
            self._in_progress = False

    def _end_progress(self) -> None:
        self._in_progress = False

    def _elapsed(self) -> float:
        return time.perf_counter() - self._start

    def _setting(self) -> str:
        rule = self.rule.value
        symbols = {h.name: h.symbol for h in get_rule(rule).hyperparameters}
        hyper = ", ".join(f"{symbols[name]} = {fmt(value)}"
                          for name, value in self.settings().items())
        sizes = "-".join(str(d) for d in DIGITS_SIZES)
        return (f"{rule}, {hyper}, batch size {self.batch_size.value}; "
                f"tanh net {sizes} on the digits")

    def _cap_note(self) -> str:
        """Why a run with a small batch has fewer epochs, or ''."""
        n_epochs = self.epochs_per_run()
        if n_epochs == self.epochs:
            return ""
        steps = steps_per_epoch(self.n_train, self.batch_size.value)
        return (f"batch size {self.batch_size.value} takes {steps:,} steps per epoch; a run "
                f"is capped at {self.max_steps:,} steps, so {n_epochs} of {self.epochs} epochs "
                "are trained")

    def _outcome(self) -> str:
        """What the last run did, in plain text with its key numbers (1-based epochs)."""
        history = self.history
        done = history.epochs_run
        if history.diverged:
            text = (f"Diverged in epoch {done + 1}: the loss exploded (η = "
                    f"{fmt(self.eta.value)} is too large for this rule).")
            text += (" No epoch completed, so no curve is drawn." if done == 0
                     else f" The curves show the {done} completed epochs.")
        else:
            best = history.best_epoch
            text = (f"after {done} epochs: training loss {fmt(history.train_loss[-1])}, "
                    f"validation loss {fmt(history.val_loss[-1])} (best "
                    f"{fmt(history.val_loss[best])} at epoch {best + 1}), validation accuracy "
                    f"{history.val_acc[-1]:.1%}")
        note = self._cap_note()
        if note:
            text += f"; {note}"
        if self.stopped:
            text += (f"; stopped after {self.time_limit:g} s: with batch size "
                     f"{self.batch_size.value} an epoch takes "
                     f"{steps_per_epoch(self.n_train, self.batch_size.value):,} steps")
        return text

    def _outcome_html(self) -> str:
        text = html.escape(self._outcome())
        if self.history.diverged:
            head, _, rest = text.partition(":")
            return f"<b>{head}</b>:{rest}"
        return text

    def describe(self) -> str:
        """The picture in words: the setting, the epochs drawn and their key numbers."""
        history = self.history
        head = (f"Cross-entropy loss (left, log scale) and classification error (right) per "
                f"epoch, training and validation, for {self._setting()}. ")
        if self.interrupted:
            return (head + f"Interrupted while training: the run was discarded; "
                    f"{history.epochs_run} epochs were drawn before.")
        if self._in_progress:
            if not history.epochs_run:
                return head + "Training has started; no epoch is drawn yet."
            return (head + f"Training: {history.epochs_run} epochs drawn so far, validation "
                    f"loss {fmt(history.val_loss[-1])}, validation accuracy "
                    f"{history.val_acc[-1]:.1%}.")
        previous = (" The previous run's validation curves are drawn dotted in grey."
                    if self._previous is not None else "")
        outcome = self._outcome()
        return head + outcome[0].upper() + outcome[1:] + "." + previous

    def _draw_history(self, history: History, message: str) -> None:
        epochs = epoch_numbers(history.epochs_run)
        self.train_loss.set_data(epochs, np.clip(history.train_loss, *LOSS_SPAN))
        self.val_loss.set_data(epochs, np.clip(history.val_loss, *LOSS_SPAN))
        self.train_acc.set_data(epochs, np.clip(1.0 - np.asarray(history.train_acc), *ERROR_SPAN))
        self.val_acc.set_data(epochs, np.clip(1.0 - np.asarray(history.val_acc), *ERROR_SPAN))
        best = history.best_epoch
        if best is None:
            self.best.set_data([], [])
        else:
            self.best.set_data([best + 1], [np.clip(history.val_loss[best], *LOSS_SPAN)])
        self.message.set_text(message)
        self.message.set_visible(bool(message))
