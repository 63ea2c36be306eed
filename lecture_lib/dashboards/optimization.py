"""The optimization dashboards: slides "Deep Learning Optimization" made movable.

* :class:`SurfaceExplorer`: SGD, momentum, RMSProp and Adam side by side on the 2-D error
  surfaces of :mod:`lecture_lib.surfaces` (ravine, plateau, saddle, local minima), with η, β,
  β1, β2 and gradient noise on sliders. Contours are drawn once per surface; the paths are
  blitted on every move.
* :class:`TrainingExplorer`: one rule trains the digits network of
  :mod:`lecture_lib.minibatch`; training and validation curves are drawn epoch by epoch while
  it runs.

A run that diverges is drawn as such: the path up to the edge of the picture with a ✕ where it
left (surfaces), or the curves up to the last finite epoch (training), and a message in the
readout.
"""

from __future__ import annotations

import html
import time

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import MaxNLocator

from lecture_lib.dashboards.base import BlittedFigure, Dashboard
from lecture_lib.data import load_digits
from lecture_lib.optim import SGD, Adam, Momentum, Optimizer, RMSProp
from lecture_lib.plots import draw_contours, new_figure
from lecture_lib.surfaces import SURFACES, inside_part, run
from lecture_lib.training import DIGITS_SIZES, History, digits_net, fit

RULES = ("SGD", "momentum", "RMSProp", "Adam")
COLORS = {"SGD": "C0", "momentum": "C1", "RMSProp": "C2", "Adam": "C3"}
GAP_SPAN = (1e-10, 1e3)  # fixed log axis of E(w_t) - E(w*)


def _fmt(value: float) -> str:
    return "0" if value == 0 else f"{value:.3g}"


def make_rule(name: str, eta: float, beta: float, beta1: float, beta2: float) -> Optimizer:
    """The rule ``name`` of :data:`RULES` with the dashboards' hyperparameters: ``beta`` is
    momentum's and RMSProp's β, ``beta1``, ``beta2`` are Adam's (with bias correction)."""
    if name == "SGD":
        return SGD(eta)
    if name == "momentum":
        return Momentum(eta, beta)
    if name == "RMSProp":
        return RMSProp(eta, beta)
    if name == "Adam":
        return Adam(eta, beta1, beta2)
    raise ValueError(f"unknown rule {name!r}; choose one of {', '.join(RULES)}")


class SurfaceExplorer(Dashboard):
    """Paths of the chosen update rules over the contours of one error surface.

    Parameters
    ----------
    steps : int
        Steps per path.
    seed : int
        Seeds the gradient noise; every rule sees the same noise sequence z_t, and the same
        z_t at every setting, so a move changes only what the slider changes.

    Attributes
    ----------
    surface : ipywidgets.ToggleButtons
    rules : dict of ipywidgets.Checkbox
        One per rule of :data:`RULES`.
    eta : ipywidgets.FloatLogSlider
    beta, beta1, beta2, noise : ipywidgets.FloatSlider
    readout : ipywidgets.HTML
    image : ipywidgets.Image
    paths : dict
        Rule name → :class:`lecture_lib.surfaces.Path` of the rules shown now.
    """

    title = "Surface explorer"

    def __init__(self, *, steps: int = 300, seed: int = 0) -> None:
        self.steps = steps
        self.seed = seed
        style = {"description_width": "170px"}
        wide = widgets.Layout(width="480px")
        self.surface = widgets.ToggleButtons(options=list(SURFACES), value="ravine",
                                             description="surface",
                                             style={"button_width": "118px"})
        self.rules = {name: widgets.Checkbox(value=True, description=name, indent=False,
                                             layout=widgets.Layout(width="140px"))
                      for name in RULES}
        self.eta = widgets.FloatLogSlider(value=0.05, base=10, min=-3, max=1, step=0.05,
                                          readout_format=".3g", description="η",
                                          style=style, layout=wide)
        self.beta = widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                        description="β (momentum, RMSProp)", style=style,
                                        layout=wide)
        self.beta1 = widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                         description="β1 (Adam)", style=style, layout=wide)
        self.beta2 = widgets.FloatSlider(value=0.999, min=0.0, max=0.9999, step=0.0001,
                                         readout_format=".4f", description="β2 (Adam)",
                                         style=style, layout=wide)
        self.noise = widgets.FloatSlider(value=0.0, min=0.0, max=5.0, step=0.05,
                                         description="gradient noise", style=style, layout=wide)
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        self._surface_drawn = None
        for control in (self.surface, self.eta, self.beta, self.beta1, self.beta2, self.noise,
                        *self.rules.values()):
            control.observe(self._update_quietly, names="value")
        controls = widgets.VBox([
            self.surface, widgets.HBox(list(self.rules.values())), self.eta, self.beta,
            self.beta1, self.beta2, self.noise,
        ])
        self.box = widgets.VBox([controls, self.readout, self.image])
        self._build_figure()
        self._update_quietly()

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
        for name in RULES:
            color = COLORS[name]
            self.lines[name], = self.ax_path.plot([], [], "-", color=color, lw=1.4, label=name,
                                                  animated=True)
            self.ends[name], = self.ax_path.plot([], [], "o", color=color, ms=6, mec="k",
                                                 animated=True)
            self.exits[name], = self.ax_path.plot([], [], "X", color=color, ms=13, mec="k",
                                                  animated=True, clip_on=False, zorder=5)
            self.gaps[name], = self.ax_gap.semilogy([], [], "-", color=color, lw=1.4,
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
        """The rules whose checkbox is ticked, in the order of :data:`RULES`."""
        return [name for name in RULES if self.rules[name].value]

    def update(self) -> None:
        """Run every chosen rule on the surface, move the artists, refresh the picture."""
        name = self.surface.value
        if self._surface_drawn != name:
            self._draw_surface(name)
        surface = SURFACES[name]
        e_min = float(surface.E(np.asarray(surface.minimum)))
        noise = self.noise.value
        self.paths = {}
        lines = []
        chosen = self.chosen()
        for rule in RULES:
            shown = rule in chosen
            for artist in (self.lines[rule], self.ends[rule], self.exits[rule], self.gaps[rule]):
                artist.set_visible(shown)
            if not shown:
                continue
            optimizer = make_rule(rule, self.eta.value, self.beta.value, self.beta1.value,
                                  self.beta2.value)
            path = run(surface, optimizer, steps=self.steps, noise=noise,
                       rng=np.random.default_rng(self.seed) if noise > 0 else None)
            self.paths[rule] = path
            points, exit_point = inside_part(path, surface.xlim, surface.ylim)
            self.lines[rule].set_data(points[:, 0], points[:, 1])
            if exit_point is None:
                self.ends[rule].set_data([points[-1, 0]], [points[-1, 1]])
                self.exits[rule].set_data([], [])
            else:
                self.ends[rule].set_data([], [])
                self.exits[rule].set_data([exit_point[0]], [exit_point[1]])
            gap = np.clip(path.E - e_min, *GAP_SPAN)
            self.gaps[rule].set_data(np.arange(len(gap)), gap)
            lines.append(self._describe(rule, path, exit_point, e_min))
        if not lines:
            lines = ["Tick at least one rule to draw its path."]
        noise_text = (f"gradient noise σ = {_fmt(noise)} (the same z_t for every rule)"
                      if noise > 0 else "exact gradients (no noise)")
        header = (f"<b>{html.escape(name)}</b>, {self.steps} steps from ■, η = "
                  f"{_fmt(self.eta.value)}, {noise_text}")
        self.readout.value = header + "<br>" + "<br>".join(lines)
        self.image.value = self.blit.render()

    def _describe(self, rule: str, path, exit_point, e_min: float) -> str:
        color = {"C0": "#1f77b4", "C1": "#ff7f0e", "C2": "#2ca02c", "C3": "#d62728"}[COLORS[rule]]
        label = f"<span style='color:{color}'><b>{rule}</b></span>"
        if path.diverged:
            return (f"{label}: <b>diverged</b> at step {path.diverged_at}: w left the picture "
                    f"(✕) and kept growing; η = {_fmt(self.eta.value)} is too large here")
        w1, w2 = path.w[-1]
        text = (f"{label}: ends at ({_fmt(w1)}, {_fmt(w2)}), E(w) - E(w*) = "
                f"{_fmt(max(float(path.E[-1]) - e_min, 0.0))}")
        if exit_point is not None:
            text += " (outside the picture: ✕ marks where it left)"
        return text


BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
LOSS_SPAN = (1e-3, 300.0)  # fit stops at 100 × the first loss (about 230)
ERROR_SPAN = (2e-3, 1.0)


class TrainingExplorer(Dashboard):
    """Train the digits network with one rule and watch the curves grow epoch by epoch.

    Every run starts from the same initial weights and the same batch order (seeded), so the
    curves differ only by the controls. The previous run's validation curves stay in grey.

    Parameters
    ----------
    epochs : int
        Epochs per run (the x axis is fixed to them).
    seed : int
        Seeds the initial weights and the batch order.
    time_limit : float
        Seconds after which a run stops (batch size 1 takes about 1,000 steps per epoch).
    auto_run : bool
        Retrain on every control change (else only on the Train button).

    Attributes
    ----------
    rule : ipywidgets.ToggleButtons
    eta : ipywidgets.FloatLogSlider
    beta, beta2 : ipywidgets.FloatSlider
    batch_size : ipywidgets.SelectionSlider
    auto : ipywidgets.Checkbox
    train : ipywidgets.Button
    readout : ipywidgets.HTML
    image : ipywidgets.Image
    history : lecture_lib.training.History
        The last run.
    renders : int
        Pictures sent during the last run (at least one per run, more while it trains).
    """

    title = "Training explorer"

    def __init__(self, *, epochs: int = 20, seed: int = 0, time_limit: float = 8.0,
                 auto_run: bool = True) -> None:
        self.epochs = epochs
        self.seed = seed
        self.time_limit = time_limit
        self.data = load_digits(seed=0)
        n_train = len(self.data.X_train)
        style = {"description_width": "130px"}
        wide = widgets.Layout(width="460px")
        self.rule = widgets.ToggleButtons(options=list(RULES), value="Adam", description="rule",
                                          style={"button_width": "118px"})
        # continuous_update=False: a run takes a second, so train when a slider is released
        self.eta = widgets.FloatLogSlider(value=0.01, base=10, min=-4, max=1, step=0.1,
                                          readout_format=".3g", description="η", style=style,
                                          layout=wide, continuous_update=False)
        self.beta = widgets.FloatSlider(value=0.9, min=0.0, max=0.999, step=0.001,
                                        readout_format=".3f",
                                        description="β (momentum, RMSProp; Adam's β1)",
                                        style={"description_width": "270px"},
                                        layout=widgets.Layout(width="600px"),
                                        continuous_update=False)
        self.beta2 = widgets.FloatSlider(value=0.999, min=0.0, max=0.9999, step=0.0001,
                                         readout_format=".4f", description="β2 (Adam)",
                                         style=style, layout=wide, continuous_update=False)
        sizes = [(str(b), b) for b in BATCH_SIZES] + [(f"all {n_train}", n_train)]
        self.batch_size = widgets.SelectionSlider(options=sizes, value=64,
                                                  description="batch size B", style=style,
                                                  layout=wide, continuous_update=False)
        self.auto = widgets.Checkbox(value=auto_run, description="retrain on every change",
                                     indent=False)
        self.train = widgets.Button(description="Train", button_style="primary", icon="play")
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.renders = 0
        self.history = History()
        self._previous = None
        self._running = False
        for control in (self.rule, self.eta, self.beta, self.beta2, self.batch_size):
            control.observe(self._on_change, names="value")
        self.train.on_click(lambda _button: self._update_quietly())
        controls = widgets.VBox([self.rule, self.eta, self.beta, self.beta2, self.batch_size,
                                 widgets.HBox([self.train, self.auto])])
        self.box = widgets.VBox([controls, self.readout, self.image])
        self._build_figure()
        self._update_quietly()

    def _on_change(self, change) -> None:
        if self.auto.value:
            self._update_quietly()
        else:
            self.readout.value = "Controls changed: press <b>Train</b> to run."

    # ------------------------------------------------------------------ figure
    def _build_figure(self) -> None:
        self.fig = new_figure(10, 3.8)
        self.ax_loss, self.ax_acc = self.fig.subplots(1, 2)
        self.blit = BlittedFigure(self.fig)
        moving = {"animated": True}
        self.old_val_loss, = self.ax_loss.semilogy([], [], "--", color="0.65", lw=1.2,
                                                   label="previous run, validation", **moving)
        self.train_loss, = self.ax_loss.semilogy([], [], "o-", color="C0", ms=3,
                                                 label="training", **moving)
        self.val_loss, = self.ax_loss.semilogy([], [], "s--", color="C3", ms=3,
                                               label="validation", **moving)
        self.best, = self.ax_loss.semilogy([], [], "*", color="gold", mec="k", ms=13,
                                           label="best validation epoch", **moving)
        self.old_val_acc, = self.ax_acc.semilogy([], [], "--", color="0.65", lw=1.2, **moving)
        self.train_acc, = self.ax_acc.semilogy([], [], "o-", color="C0", ms=3,
                                               label="training", **moving)
        self.val_acc, = self.ax_acc.semilogy([], [], "s--", color="C3", ms=3,
                                             label="validation", **moving)
        self.message = self.ax_loss.text(0.5, 0.5, "", transform=self.ax_loss.transAxes,
                                         ha="center", va="center", color="C3", fontsize=12,
                                         bbox={"fc": "w", "ec": "C3"}, **moving)
        for ax in (self.ax_loss, self.ax_acc):
            ax.set_xlim(0.5, self.epochs + 0.5)
            ax.set_xlabel("epoch")
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
        return make_rule(self.rule.value, self.eta.value, self.beta.value, self.beta.value,
                         self.beta2.value)

    def update(self) -> None:
        """Train from the seeded start with the current controls, drawing every epoch."""
        if self._running:  # a change made from inside a run's redraw: ignore
            return
        self._running = True
        try:
            self._train()
        finally:
            self._running = False

    def _train(self) -> None:
        if self.history.epochs_run:
            self._previous = (self.history.val_loss, self.history.val_acc)
        for old, index in ((self.old_val_loss, 0), (self.old_val_acc, 1)):
            if self._previous is None:
                old.set_data([], [])
            else:
                values = self._previous[index]
                values = (np.clip(values, *LOSS_SPAN) if index == 0
                          else np.clip(1.0 - np.asarray(values), *ERROR_SPAN))
                old.set_data(np.arange(1, len(values) + 1), values)
        self.history = History()
        self.renders = 0
        self._draw_history(self.history, "")  # cleared curves: the run has started
        setting = self._setting()
        start = time.perf_counter()
        last_render = [start]
        stopped = [False]

        def on_epoch(epoch: int, history: History) -> bool:
            now = time.perf_counter()
            if epoch == 0 or now - last_render[0] > 0.15:
                self.readout.value = f"{setting}<br>training… epoch {epoch + 1}/{self.epochs}"
                self._draw_history(history, "")
                last_render[0] = time.perf_counter()
            if now - start > self.time_limit and epoch + 1 < self.epochs:
                stopped[0] = True
                return True
            return False

        data = self.data
        model = digits_net(self.seed)
        history = fit(model, self.optimizer(), data.X_train, data.y_train, data.X_val,
                      data.y_val, epochs=self.epochs, batch_size=self.batch_size.value,
                      rng=np.random.default_rng(self.seed + 1), callback=on_epoch)
        self.history = history
        self.elapsed = time.perf_counter() - start
        message = ""
        if history.diverged:
            message = f"diverged in epoch {history.epochs_run + 1}"
        self._draw_history(history, message)
        self.readout.value = f"{setting}<br>{self._describe(history, stopped[0])}"

    def _setting(self) -> str:
        rule = self.rule.value
        hyper = f"η = {_fmt(self.eta.value)}"
        if rule in ("momentum", "RMSProp"):
            hyper += f", β = {_fmt(self.beta.value)}"
        elif rule == "Adam":
            hyper += f", β1 = {_fmt(self.beta.value)}, β2 = {_fmt(self.beta2.value)}"
        sizes = "-".join(str(d) for d in DIGITS_SIZES)
        return (f"<b>{rule}</b>, {hyper}, batch size {self.batch_size.value}; "
                f"tanh net {sizes} on the digits")

    def _describe(self, history: History, stopped: bool) -> str:
        done = history.epochs_run
        if history.diverged:
            text = (f"<b style='color:#d62728'>Diverged in epoch {done + 1}</b>: the loss "
                    f"exploded (η = {_fmt(self.eta.value)} is too large for this rule).")
            if done == 0:
                return text + " No epoch completed, so no curve is drawn."
            return text + f" The curves show the {done} completed epochs."
        best = history.best_epoch
        text = (f"after {done} epochs: training loss {_fmt(history.train_loss[-1])}, "
                f"validation loss {_fmt(history.val_loss[-1])} (best "
                f"{_fmt(history.val_loss[best])} at epoch {best + 1}), validation accuracy "
                f"{history.val_acc[-1]:.1%}")
        if stopped:
            text += (f"<br>stopped after {self.time_limit:g} s: with batch size "
                     f"{self.batch_size.value} an epoch takes "
                     f"{-(-len(self.data.X_train) // self.batch_size.value)} steps")
        return text

    def _draw_history(self, history: History, message: str) -> None:
        epochs = np.arange(1, history.epochs_run + 1)
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
        self.image.value = self.blit.render()
        self.renders += 1
