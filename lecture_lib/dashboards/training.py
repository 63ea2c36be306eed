"""What the two training dashboards share (:class:`~lecture_lib.dashboards.TrainingExplorer`
of notebook 02 and :class:`~lecture_lib.dashboards.RegularizationDashboard` of notebook 03).

* The same two controls under the same names: ``train_on_change`` (a checkbox "train when a
  control moves") and ``train_button`` ("Train"). ``auto`` and ``train`` are the same widgets
  under the names notebook 02 used first.
* A guard: a change made while a run is in progress (from code inside a redraw) starts no
  second run.
* The throttled fit callback :meth:`TrainingDashboard._progress`: the curves are shown after
  epoch 1, then at most every :attr:`~TrainingDashboard.RENDER_INTERVAL` seconds, so a fast
  run is not slowed down by pictures nobody has time to see.
* A :class:`lecture_lib.runs.RunCache` of the last runs: a setting seen before is drawn
  from it without training. Its key is derived from the controls a subclass watches
  (:meth:`TrainingDashboard.setting_key`), so a new control is part of it without anyone
  remembering to add it; only controls declared as cutting the view are left out.
  The Train button applies the controls like a move (in manual mode), and trains again from
  the seeded start when the picture already shows this setting (the student asked to watch
  it train).
* An interrupt (Kernel → Interrupt: a ``KeyboardInterrupt`` inside a run) never leaves a
  half-trained run in the cache: the run of that setting is discarded, the readout and the
  picture's text say the run was interrupted, and the next visit trains afresh.
* One epoch numbering, :func:`lecture_lib.runs.epoch_numbers`: "epoch 1" is after the
  first pass over the training set, in titles, readouts and on the axes.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable

import ipywidgets as widgets

from lecture_lib.dashboards.base import Dashboard
from lecture_lib.runs import RunCache
from lecture_lib.training import History

CHANGED = "Controls changed: press <b>Train</b> to run."
INTERRUPTED = ("<b>Interrupted</b> while training: this run was discarded (the curves show the "
               "epochs drawn before); move a control or press <b>Train</b> to train it again.")


class TrainingDashboard(Dashboard):
    """Base of the dashboards that train a network when a control moves.

    A subclass builds its controls and figure, calls :meth:`_training_controls` and
    :meth:`_watch`, and implements :meth:`_run` (train or read the cache, then draw). Its
    pictures go through :meth:`_picture`, which counts them and times the first and the final
    one.

    Attributes
    ----------
    train_on_change : ipywidgets.Checkbox
        Train at once when a control moves (else only on a click of ``train_button``).
    train_button : ipywidgets.Button
    runs : lecture_lib.runs.RunCache
        The last :attr:`CACHE_SIZE` runs by setting.
    renders : int
        Pictures sent during the last update (one for a run read from the cache).
    trained : bool
        Whether the last update trained (False: the run came from the cache).
    first_points_ms, run_ms : float
        Wall time from the start of the last update to the first picture with curve points,
        and to its final picture; ``elapsed`` is the whole update in seconds.
    """

    #: Seconds between two pictures while a run trains.
    RENDER_INTERVAL = 0.15
    #: Runs kept by setting.
    CACHE_SIZE = 16

    readout: widgets.HTML

    def _training_controls(self, auto_run: bool) -> widgets.HBox:
        """The Train button and the checkbox, in one row; also sets up the guard and cache."""
        self.train_on_change = widgets.Checkbox(value=auto_run,
                                                description="train when a control moves",
                                                indent=False)
        self.train_button = widgets.Button(description="Train", button_style="primary",
                                           icon="play")
        self.train_button.on_click(self._train_clicked)
        self.runs = RunCache(self.CACHE_SIZE)
        self._setting_controls: dict[str, widgets.Widget] = {}
        self._view_controls: dict[str, widgets.Widget] = {}
        self.interrupted = False
        self._shown_key = None
        self._running = False
        self.renders = 0
        self.trained = False
        self.first_points_ms = self.run_ms = float("nan")
        self.elapsed = 0.0
        self._start = time.perf_counter()
        return widgets.HBox([self.train_button, self.train_on_change])

    @property
    def auto(self) -> widgets.Checkbox:
        """``train_on_change`` (notebook 02's name for it)."""
        return self.train_on_change

    @property
    def train(self) -> widgets.Button:
        """``train_button`` (notebook 02's name for it)."""
        return self.train_button

    def setting_key(self) -> tuple:
        """What a run depends on (the cache key): (name, value) of every watched control
        except those that only cut the view, each through :meth:`_key_value`."""
        return tuple((name, self._key_value(name, control.value))
                     for name, control in self._setting_controls.items())

    def _key_value(self, name: str, value):
        """A control's part of the key (a subclass may return None for a control that does
        not change the run in the current setting)."""
        return value

    def view_key(self) -> tuple:
        """What the picture depends on: the run's setting and the controls that cut it."""
        return self.setting_key() + tuple((name, control.value)
                                          for name, control in self._view_controls.items())

    def _train_clicked(self, _button=None) -> None:
        if self.view_key() == self._shown_key:  # train again what is shown: from the start
            self.runs.discard(self.setting_key())
        self._redraw()

    def _watch(self, *controls: widgets.Widget, view: tuple[widgets.Widget, ...] = ()) -> None:
        """Redraw when a control moves. ``controls`` set the run (they make its cache key);
        ``view`` only cut or present it (the dropout dashboard's patience)."""
        names = {id(widget): name for name, widget in vars(self).items()
                 if isinstance(widget, widgets.Widget)}
        for group, target in ((controls, self._setting_controls), (view, self._view_controls)):
            for control in group:
                target[names.get(id(control), control.description)] = control
                control.observe(self._on_change, names="value")

    def _on_change(self, change=None) -> None:
        if self.train_on_change.value:
            self._redraw()
        else:
            self.readout.value = CHANGED

    # ------------------------------------------------------------------ one update
    def update(self) -> None:
        """Train (or read the cache) with the current controls and draw; a call made while a
        run is in progress returns at once."""
        if self._running:
            return
        self._running = True
        self._start = time.perf_counter()
        self.renders = 0
        self.trained = False
        self.first_points_ms = self.run_ms = float("nan")
        self.interrupted = False
        try:
            self._run()
            self._shown_key = self.view_key()
        except KeyboardInterrupt:
            self._interrupted()
            raise
        finally:
            self._running = False
            self.elapsed = time.perf_counter() - self._start

    def _run(self) -> None:
        raise NotImplementedError

    def _interrupted(self) -> None:
        """After an interrupt: forget the setting's run (it may be half-trained), say so in
        the readout and in the picture's text."""
        self.interrupted = True
        self._shown_key = None
        self.runs.discard(self.setting_key())
        self._end_progress()
        self.readout.value = f"{html.escape(self._setting())}<br>{INTERRUPTED}"
        self.image.show(self.image.value, self.describe())

    def _end_progress(self) -> None:
        """Leave the "training…" state (a subclass resets what it drew while training)."""

    def _setting(self) -> str:
        raise NotImplementedError

    def _picture(self, *, final: bool, points: bool = True) -> None:
        """Render the figure and show it with its text equivalent; count and time it."""
        self.show(self.blit.render())
        self.renders += 1
        now = (time.perf_counter() - self._start) * 1000.0
        if points and self.first_points_ms != self.first_points_ms:  # still nan
            self.first_points_ms = now
        if final:
            self.run_ms = now

    def _progress(self, draw: Callable[..., None], every: int = 1) -> Callable[..., None]:
        """A throttled callback for a run: ``draw(epoch, history, *extra)`` after epoch 1, then
        after every ``every``-th epoch if :attr:`RENDER_INTERVAL` seconds passed since the last
        picture (``epoch`` 1-based)."""
        last = [float("-inf")]

        def callback(epoch: int, history: History, *extra) -> None:
            due = epoch % every == 0 and time.perf_counter() - last[0] >= self.RENDER_INTERVAL
            if epoch == 1 or due:
                draw(epoch, history, *extra)
                last[0] = time.perf_counter()

        return callback
