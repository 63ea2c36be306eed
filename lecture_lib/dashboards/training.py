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
* A :class:`lecture_lib.explorer.RunCache` of the last runs: a setting seen before is drawn
  from it without training. The Train button applies the controls like a move (in manual
  mode), and trains again from the seeded start when the picture already shows this setting
  (the student asked to watch it train).
* One epoch numbering, :func:`lecture_lib.explorer.epoch_numbers`: "epoch 1" is after the
  first pass over the training set, in titles, readouts and on the axes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import ipywidgets as widgets

from lecture_lib.dashboards.base import Dashboard
from lecture_lib.explorer import RunCache
from lecture_lib.training import History

CHANGED = "Controls changed: press <b>Train</b> to run."


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
    runs : lecture_lib.explorer.RunCache
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
        """What a run depends on (the cache key)."""
        raise NotImplementedError

    def view_key(self) -> tuple:
        """What the picture depends on: the run's setting (and where it is cut, if any)."""
        return self.setting_key()

    def _train_clicked(self, _button=None) -> None:
        if self.view_key() == self._shown_key:  # train again what is shown: from the start
            self.runs.discard(self.setting_key())
        self._redraw()

    def _watch(self, *controls: widgets.Widget) -> None:
        for control in controls:
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
        try:
            self._run()
            self._shown_key = self.view_key()
        finally:
            self._running = False
            self.elapsed = time.perf_counter() - self._start

    def _run(self) -> None:
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
