"""Runs as the dashboards show them: paths on the surfaces, dropout runs that go on, early
stopping read off a run, and the cache of runs, without any widget or figure.

Each dashboard of :mod:`lecture_lib.dashboards` calls one of these functions with the values of
its controls and then only draws the result, so everything a dashboard shows can be tested
(and reused in a notebook) without a browser.

* :func:`surface_runs`: the paths of several rules on one error surface of
  :mod:`lecture_lib.surfaces` (slide "Difficulty of Deep Learning Optimization"), cut to the
  plotting box, with E(w_t) − E(w*) on the fixed log span :data:`GAP_SPAN`.
* :func:`epochs_within`: how many epochs fit into a budget of optimizer steps (a minibatch of
  one example costs as much as one of 64, so small batches are bounded by steps, not epochs).
* :class:`DropoutRun`: the dropout dashboard's run (slide "Dropout") with ‖w_t − w_0‖ after
  every epoch, trained only as far as asked and able to go on; :func:`early_stopping` gives
  the history that early stopping with patience k produces (slide "A Basic Trick: Early
  Stopping"), so moving k never retrains from the start.
* :class:`RunCache`: the last few runs by setting, so a setting seen before is not retrained.

Epoch convention (as in the notebooks): "epoch 1" is the state after the first pass over the
training set. :class:`lecture_lib.training.History` stores epoch e at list index e − 1;
:func:`epoch_numbers` gives the 1-based numbers to draw, and every epoch these functions report
is 1-based. The step index t of the slides counts optimizer steps, not epochs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from lecture_lib import validate
from lecture_lib.network import MLP, Trace
from lecture_lib.optim import get_rule, make_optimizer
from lecture_lib.regularization import distance_from_start
from lecture_lib.surfaces import SURFACES, Path, inside_part, run
from lecture_lib.training import History, fit

#: Fixed span of the log axis of E(w_t) − E(w*): smaller gaps are drawn at its bottom.
GAP_SPAN = (1e-10, 1e3)


# --------------------------------------------------------------------------- surfaces


@dataclass(frozen=True)
class SurfaceRun:
    """One rule's path on a surface, ready to draw.

    Attributes
    ----------
    path : lecture_lib.surfaces.Path
        The run itself (``path.w`` are w_0, w_1, ...).
    points : numpy.ndarray
        The part of the path to draw inside the plotting box (shape (n, 2)); it ends on the box
        edge when the path left the box.
    exit_point : numpy.ndarray or None
        Where the path left the box for good (drawn as ✕), else None.
    gap : numpy.ndarray
        E(w_t) − E(w*) for t = 0, 1, ..., clipped to :data:`GAP_SPAN`.
    final_gap : float
        E(w_T) − E(w*) at the last step, not clipped (0 for a rounding below the minimum).
    """

    path: Path
    points: np.ndarray
    exit_point: np.ndarray | None
    gap: np.ndarray
    final_gap: float


def surface_runs(
    surface: str,
    rules: Sequence[str],
    *,
    eta: float,
    beta: float,
    beta1: float,
    beta2: float,
    noise: float,
    steps: int,
    seed: int,
) -> dict[str, SurfaceRun]:
    """Run every rule of ``rules`` from the surface's start for ``steps`` steps.

    Each rule of :data:`lecture_lib.optim.RULES` gets those of η, β, β1, β2 it takes (β is
    momentum's and RMSProp's, β1 and β2 Adam's) and receives Δ_t = ∇E(w_{t−1}) + noise · z_t
    with the same noise sequence z_t (seeded by ``seed``), so rules and settings differ only by
    what the controls change.

    Returns
    -------
    dict
        Rule name → :class:`SurfaceRun`, in the order of ``rules``.
    """
    validate.choice("surface", surface, SURFACES)
    box = SURFACES[surface]
    e_min = float(box.E(np.asarray(box.minimum)))
    result = {}
    settings = {"eta": eta, "beta": beta, "beta1": beta1, "beta2": beta2}
    for rule in rules:
        optimizer = make_optimizer(rule, **get_rule(rule).pick(settings))
        path = run(box, optimizer, steps=steps, noise=noise,
                   rng=np.random.default_rng(seed) if noise > 0 else None)
        points, exit_point = inside_part(path, box.xlim, box.ylim)
        gap = path.E - e_min  # finite: run() keeps only points inside its escape box
        result[rule] = SurfaceRun(path, points, exit_point, np.clip(gap, *GAP_SPAN),
                                  max(float(gap[-1]), 0.0))
    return result


# --------------------------------------------------------------------------- training runs


def epoch_numbers(n_epochs: int) -> np.ndarray:
    """1, 2, ..., n: the epoch numbers to draw for a history of ``n_epochs`` entries
    ("epoch 1" is after the first pass)."""
    return np.arange(1, n_epochs + 1)


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """Minibatches in one pass over ``n_train`` examples (the last one may be smaller)."""
    return -(-n_train // batch_size)


def epochs_within(n_train: int, batch_size: int, epochs: int, max_steps: int) -> int:
    """Epochs of a run of at most ``epochs`` that fit into ``max_steps`` optimizer steps (at
    least one). A step's cost hardly depends on the batch size here (numpy's overhead per
    call dominates), so the steps bound the cost: B = 1 makes 1,079 steps per epoch of the
    digits, B = 64 only 17."""
    return max(1, min(epochs, max_steps // steps_per_epoch(n_train, batch_size)))


def early_stopping(history: History, patience: int) -> History:
    """The history :func:`lecture_lib.training.fit` returns with ``patience=k``, read off a run
    of the same setting without early stopping (the same epochs, so the first ones coincide).

    fit stops after the first epoch e (0-based) with e − argmin(val_loss[:e+1]) >= k; the run
    is then that prefix with ``stopped_early=True``. If no epoch qualifies, the run ends as the
    longer run did (all epochs, or diverged).
    """
    patience = validate.positive_int("patience", patience)
    best = 0
    for epoch, loss in enumerate(history.val_loss):
        if loss < history.val_loss[best]:  # the first minimum on ties, as argmin
            best = epoch
        if epoch - best >= patience:
            n = epoch + 1
            return History(list(history.train_loss[:n]), list(history.val_loss[:n]),
                           list(history.train_acc[:n]), list(history.val_acc[:n]),
                           diverged=False, stopped_early=True, stop_reason="patience",
                           threshold=history.threshold)
    return History(list(history.train_loss), list(history.val_loss), list(history.train_acc),
                   list(history.val_acc), diverged=history.diverged, stopped_early=False,
                   stop_reason=history.stop_reason, threshold=history.threshold)


class DropoutRun:
    """A training run of the dropout dashboard that trains only as far as it is asked to and
    can go on later, with the same result as one uninterrupted call of
    :func:`lecture_lib.training.fit`.

    One hidden layer of ``width`` tanh units (Xavier), dropout p, Adam(η), minibatches of
    ``batch_size``. The weights and the dropout masks are drawn from ``default_rng(seed)``,
    the minibatch order from ``default_rng(seed + 1)``: the same settings give the same run.

    :meth:`train` calls fit on the same network, optimizer and generators with
    ``resume=history``, so going on is training on: fit keeps the run's divergence threshold
    and its epochs. A train call that is interrupted (``KeyboardInterrupt``, or any other
    exception) leaves the network in the middle of an epoch; the run then goes back to its
    seeded start, so what it holds is always a whole run of fit.

    Attributes
    ----------
    history : lecture_lib.training.History
        The epochs trained so far (no early stopping: :func:`early_stopping` cuts it).
    distances : list of float
        ‖w_t − w_0‖ after each epoch (index e − 1 for epoch e), the capacity proxy of the
        slides ("GD visits more weight combinations as t increases").
    max_epochs : int
        The run ends there at the latest.
    interrupted : bool
        The last train call was interrupted (and the run went back to its start).
    """

    def __init__(
        self,
        X_train: np.ndarray,
        y_train: np.ndarray,
        X_val: np.ndarray,
        y_val: np.ndarray,
        *,
        width: int,
        p: float,
        eta: float,
        max_epochs: int,
        batch_size: int,
        seed: int,
        n_classes: int = 10,
    ) -> None:
        self._data = (X_train, y_train, X_val, y_val)
        self._sizes = [X_train.shape[1], width, n_classes]
        self.p, self.eta, self.seed = p, eta, seed
        self.max_epochs, self.batch_size = max_epochs, batch_size
        self.interrupted = False
        self._restart()

    def _restart(self) -> None:
        """Back to the seeded start: a new network, optimizer and generators."""
        self.net = MLP(self._sizes, activation="tanh", init="xavier",
                       rng=np.random.default_rng(self.seed), dropout=self.p)
        self._w0 = self.net.copy_params()
        self._optimizer = make_optimizer("Adam", eta=self.eta)
        self._order = np.random.default_rng(self.seed + 1)
        self.history = History()
        self.distances: list[float] = []

    @property
    def finished(self) -> bool:
        """The run has reached ``max_epochs`` or diverged: it cannot go on."""
        return self.history.diverged or self.history.epochs_run >= self.max_epochs

    def nbytes(self) -> int:
        """Approximate memory: the curves, and while it can go on, the network and Adam's
        two running averages."""
        curves = 32 * 5 * len(self.distances)
        state = 0 if self.net is None else 3 * sum(w.nbytes for w in self.net.params)
        return curves + state

    def train(
        self,
        until: Callable[[History], bool] | None = None,
        callback: Callable[[int, History, list[float]], None] | None = None,
    ) -> bool:
        """Train on until ``until(history)`` is True after an epoch (or already is), the last
        epoch, or divergence. ``callback(epoch, history, distances)`` after each new epoch
        (``epoch`` 1-based). Returns whether any epoch was trained."""
        if self.finished or (until is not None and until(self.history)):
            return False
        history = self.history

        def each_epoch(_epoch: int, history: History) -> bool:
            self.distances.append(distance_from_start(self.net.params, self._w0))
            if callback is not None:
                callback(history.epochs_run, history, self.distances)
            return until is not None and until(history)

        X_train, y_train, X_val, y_val = self._data
        self.interrupted = False
        try:
            fit(self.net, self._optimizer, X_train, y_train, X_val, y_val,
                epochs=self.max_epochs - history.epochs_run, batch_size=self.batch_size,
                rng=self._order, callback=each_epoch, resume=history)
        except BaseException:
            # mid-epoch weights, Adam state and batch order: never go on from them
            self._restart()
            self.interrupted = True
            raise
        if self.finished:  # nothing more to train: drop the network and Adam's state
            self.net = self._optimizer = None
        else:  # keep what training on needs, not the last pass's activations (MBs)
            self.net.trace = Trace()
        return True


def train_dropout_net(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    *,
    width: int,
    p: float,
    eta: float,
    epochs: int,
    batch_size: int,
    seed: int,
    n_classes: int = 10,
    callback: Callable[[int, History, list[float]], None] | None = None,
) -> DropoutRun:
    """A :class:`DropoutRun` trained to its last epoch (``epochs``) or to divergence.

    ``callback(epoch, history, distances)`` after each completed epoch, ``epoch`` 1-based.
    """
    run = DropoutRun(X_train, y_train, X_val, y_val, width=width, p=p, eta=eta,
                     max_epochs=epochs, batch_size=batch_size, seed=seed, n_classes=n_classes)
    run.train(callback=callback)
    return run


class RunCache:
    """The last ``size`` runs by setting: a setting seen before is read back, not retrained.

    Least recently used runs are dropped first. A training explorer run is a few curves of
    Python floats (about 2 kB for 20 epochs); a dropout dashboard run that can still go on also
    keeps its network and Adam's two averages (3 × 19,210 float64 = 0.46 MB at 256 hidden
    units, dropped when it reaches its last epoch), so 16 runs stay below 8 MB.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = validate.positive_int("size", size)
        self._runs: OrderedDict[Hashable, object] = OrderedDict()

    def get(self, key: Hashable):
        """The run stored for ``key`` (now the most recent), or None."""
        if key not in self._runs:
            return None
        self._runs.move_to_end(key)
        return self._runs[key]

    def put(self, key: Hashable, value) -> None:
        """Store ``value`` for ``key``, dropping the least recently used run beyond ``size``."""
        self._runs[key] = value
        self._runs.move_to_end(key)
        while len(self._runs) > self.size:
            self._runs.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        """Forget the run stored for ``key`` (if any)."""
        self._runs.pop(key, None)

    def clear(self) -> None:
        """Forget every run."""
        self._runs.clear()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._runs

    def __len__(self) -> int:
        return len(self._runs)
