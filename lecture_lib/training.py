"""The training loop: minibatch SG epochs, validation, early stopping (slides "Deep Learning
Optimization" and "A Basic Trick: Early Stopping").

:func:`fit` runs epochs of minibatch SG with any rule of :mod:`lecture_lib.optim` and records a
:class:`History` of training and validation loss and accuracy, one entry per epoch, measured by
test passes of the full network (no dropout). "When to stop? validation!": with ``patience=k``
it stops k epochs after the best validation epoch, and ``restore_best=True`` brings back the
weights of that epoch. :func:`train_each` trains one :func:`digits_net` per update rule from the
same start with the same minibatches, so that their curves differ only by the rule.

Divergence rule: training stops with ``history.diverged = True`` as soon as

* the network raises :class:`lecture_lib.network.DivergenceError` (numbers left float64's
  range) or any other floating-point overflow / invalid operation occurs, or
* a minibatch loss, or the evaluated training or validation loss, is non-finite or larger than
  ``EXPLODE_FACTOR * max(1, L_1)`` where L_1 is the loss of the very first minibatch.

(With tanh hidden units the scores grow only linearly in the weights, so a huge η gives huge
but finite losses: the explosion threshold catches those.) The epoch in which training
diverged is not recorded: the history only holds completed epochs, so every entry is finite.

Going on: the :class:`History` a call returns carries what the run's decisions depend on (its
epochs and the divergence threshold fixed by the run's first minibatch), and
``fit(..., resume=history)`` trains further epochs of the same run: with the same model,
optimizer and ``rng``, a run trained in pieces is the run of one call, epoch for epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lecture_lib import validate
from lecture_lib.network import MLP, DivergenceError
from lecture_lib.optim import Optimizer

#: A loss above EXPLODE_FACTOR * max(1, first minibatch loss) counts as diverged.
EXPLODE_FACTOR = 100.0
#: The most multiply-adds a call of fit may do (epochs x samples passed x weights; a training
#: pass counted as three forward passes): about a minute or two of numpy on one core. With
#: validate.MAX_STEPS on the numpy calls (minibatch steps and evaluations), it bounds the time
#: of a call, not only its steps: one image for 999,999 epochs is 3 million calls.
MAX_MULTIPLY_ADDS = 10**12


@dataclass
class History:
    """What :func:`fit` measured, one entry per completed epoch (0-based epoch = list index).

    Attributes
    ----------
    train_loss, val_loss : list of float
        Mean cross-entropy on the full training and validation sets (test passes).
    train_acc, val_acc : list of float
        Accuracy on the same sets.
    diverged : bool
        Training stopped because the loss exploded (see the module docstring); the epoch that
        diverged is not recorded.
    stopped_early : bool
        Training stopped by ``patience`` (early stopping).
    stop_reason : str
        ``"epochs"`` (all epochs ran), ``"patience"``, ``"callback"`` or ``"diverged"``.
    threshold : float or None
        The divergence threshold ``EXPLODE_FACTOR * max(1, L_1)`` of the run, fixed by its very
        first minibatch loss L_1 (None before any step); ``fit(..., resume=history)`` keeps it.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    diverged: bool = False
    stopped_early: bool = False
    stop_reason: str = ""
    threshold: float | None = None

    @property
    def epochs_run(self) -> int:
        """Number of completed (recorded) epochs."""
        return len(self.val_loss)

    @property
    def best_epoch(self) -> int | None:
        """argmin of ``val_loss`` (the first one on ties), 0-based; None before any epoch."""
        return int(np.argmin(self.val_loss)) if self.val_loss else None


def _exploded(loss: float, threshold: float) -> bool:
    return not loss <= threshold  # also True for nan


def fit(
    model: MLP,
    optimizer: Optimizer,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    callback: Callable[[int, History], bool | None] | None = None,
    patience: int | None = None,
    restore_best: bool = False,
    resume: History | None = None,
) -> History:
    """Train ``model`` by minibatch SG with ``optimizer``; return the :class:`History`.

    Each epoch shuffles the training indices with ``rng.permutation``, takes minibatches of
    ``batch_size`` samples (the last one may be smaller), and for each computes the minibatch
    gradient Δ_t by a training pass (dropout acts) and calls ``optimizer.step(model.params,
    Δ_t)``. After the epoch, test passes measure loss and accuracy on the full training set
    and on the validation set.

    Parameters
    ----------
    model : lecture_lib.network.MLP
        Trained in place.
    optimizer : lecture_lib.optim.Optimizer
        Any update rule; its state carries on from earlier steps (call ``reset()`` to restart).
    X_train, y_train, X_val, y_val : numpy.ndarray
        Training and validation inputs (rows) and integer labels.
    epochs : int
        Maximum number of epochs of this call, >= 1.
    batch_size : int
        Minibatch size, >= 1.
    rng : numpy.random.Generator
        Shuffles the training set each epoch.
    callback : callable, optional
        ``callback(epoch, history)`` after every recorded epoch (``epoch`` 0-based, counted
        from the run's start when resuming); returning True stops training. Not called for an
        epoch that diverged.
    patience : int, optional
        Early stopping: stop when ``patience`` epochs have passed since the best validation
        loss without a better one, i.e. ``epochs_run - 1 - best_epoch == patience``.
    restore_best : bool
        At the end, set the model's parameters to those after ``best_epoch`` of this call's
        epochs (a copy is kept whenever the validation loss improves).
    resume : History, optional
        Go on with the run this history describes (returned by an earlier call with the same
        ``model``, ``optimizer`` and ``rng``): its epochs are kept and new ones appended to it
        (the same object is returned), its divergence threshold is kept, and ``patience``
        counts from its best epoch. A run that diverged cannot go on.

    Returns
    -------
    History
        With ``resume``, that history, extended.

    Notes
    -----
    An exception raised inside an epoch (a ``KeyboardInterrupt``, an error in ``callback``)
    leaves the model, the optimizer and ``rng`` in the middle of that epoch: discard them, or
    go on only from copies made after a whole epoch. The history only ever holds whole epochs.
    """
    model = validate.instance("model", model, MLP, "a lecture_lib.network.MLP")
    optimizer = validate.instance("optimizer", optimizer, Optimizer,
                                  "an optimizer of lecture_lib.optim (e.g. SGD(eta=0.1))")
    d_in, n_classes = model.sizes[0], model.sizes[-1]
    X_train = validate.features("X_train", X_train, width=d_in)
    y_train = validate.labels("y_train", y_train, n_classes=n_classes, n_rows=len(X_train))
    X_val = validate.features("X_val", X_val, width=d_in)
    y_val = validate.labels("y_val", y_val, n_classes=n_classes, n_rows=len(X_val))
    epochs = validate.positive_int("epochs", epochs, maximum=validate.MAX_STEPS)
    batch_size = validate.positive_int("batch_size", batch_size)
    patience = validate.optional_positive_int("patience", patience)
    restore_best = validate.boolean("restore_best", restore_best)
    rng = validate.rng("rng", rng)
    callback = validate.optional_callable("callback", callback)
    if resume is not None:
        validate.instance("resume", resume, History, "a History returned by fit")
        if resume.diverged:
            raise ValueError("resume is a run that diverged: it cannot go on; start a new run")
    n = len(X_train)
    steps_per_epoch = -(-n // batch_size)
    # numpy calls per epoch: the minibatch steps and the two evaluations
    calls = epochs * (steps_per_epoch + 2)
    if calls > validate.MAX_STEPS:
        raise ValueError(
            f"epochs = {epochs:,} of {steps_per_epoch:,} minibatches (and 2 evaluations each) "
            f"is {calls:,} steps, more than the limit of {validate.MAX_STEPS:,} (minutes of "
            "training): use fewer epochs or a larger batch_size"
        )
    weights = sum(a * b for a, b in zip(model.sizes[:-1], model.sizes[1:]))
    work = epochs * (3 * n + n + len(X_val)) * weights
    if work > MAX_MULTIPLY_ADDS:
        raise ValueError(
            f"epochs = {epochs:,} over {n:,} training and {len(X_val):,} validation rows with "
            f"{weights:,} weights is about {work:.1e} multiply-adds, more than the limit of "
            f"{MAX_MULTIPLY_ADDS:.0e} (minutes of training): use fewer epochs or fewer rows"
        )

    history = History() if resume is None else resume
    history.stopped_early, history.stop_reason = False, ""
    done = history.epochs_run
    best_params = None
    threshold = history.threshold  # set from the run's first minibatch loss
    for epoch in range(done, done + epochs):
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                order = rng.permutation(n)
                for begin in range(0, n, batch_size):
                    batch = order[begin:begin + batch_size]
                    loss, grads = model.loss_and_grads(X_train[batch], y_train[batch])
                    if threshold is None:
                        threshold = history.threshold = EXPLODE_FACTOR * max(1.0, loss)
                    if _exploded(loss, threshold):
                        raise DivergenceError(f"minibatch loss {loss:.3g} exploded")
                    optimizer.step(model.params, grads)
                train_loss, train_acc = model.evaluate(X_train, y_train)
                val_loss, val_acc = model.evaluate(X_val, y_val)
                if _exploded(train_loss, threshold) or _exploded(val_loss, threshold):
                    raise DivergenceError("the evaluated loss exploded")
        except (DivergenceError, FloatingPointError):
            history.diverged = True
            history.stop_reason = "diverged"
            break

        history.train_loss.append(train_loss)
        history.val_loss.append(val_loss)
        history.train_acc.append(train_acc)
        history.val_acc.append(val_acc)
        if restore_best and history.best_epoch == epoch:
            best_params = model.copy_params()

        if callback is not None and callback(epoch, history):
            history.stop_reason = "callback"
            break
        if patience is not None and epoch - history.best_epoch >= patience:
            history.stopped_early = True
            history.stop_reason = "patience"
            break
    else:
        history.stop_reason = "epochs"

    if restore_best and best_params is not None:
        model.set_params(best_params)
    return history


#: The digits network of notebook 02: 64 pixels, one tanh layer of 64 units, 10 scores.
DIGITS_SIZES = (64, 64, 10)


def digits_net(seed: int = 0, sizes=DIGITS_SIZES) -> MLP:
    """A fresh tanh MLP with Xavier initialization for the digits; the same seed gives the
    same initial weights."""
    validate.non_negative_int("seed", seed)
    return MLP(list(sizes), activation="tanh", init="xavier", rng=np.random.default_rng(seed))


def train_each(
    optimizers: dict[str, Optimizer], splits, *, epochs: int, batch_size: int, seed: int = 0,
    sizes=DIGITS_SIZES, callback: Callable[[str, int, History], bool | None] | None = None,
) -> dict[str, History]:
    """Train one :func:`digits_net` per optimizer, all from the same initial weights and with
    the same sequence of minibatches (the shuffling rng is seeded alike), so the curves differ
    only by the update rule.

    Parameters
    ----------
    optimizers : dict
        Name → optimizer (reset before training).
    splits : lecture_lib.data.Splits
        Uses the training and validation parts.
    epochs, batch_size : int
        As in :func:`lecture_lib.training.fit`.
    seed : int
        Seeds the initial weights and the batch order.
    callback : callable, optional
        ``callback(name, epoch, history)`` after each epoch.
    """
    if not isinstance(optimizers, dict) or not optimizers:
        raise ValueError("optimizers must be a non-empty dict name -> optimizer")
    for name, optimizer in optimizers.items():
        validate.instance(f"optimizers[{name!r}]", optimizer, Optimizer,
                          "an optimizer of lecture_lib.optim")
    validate.non_negative_int("seed", seed)
    callback = validate.optional_callable("callback", callback)
    histories = {}
    for name, optimizer in optimizers.items():
        optimizer.reset()
        model = digits_net(seed, sizes)
        step_callback = None if callback is None else (
            lambda epoch, history, name=name: callback(name, epoch, history))
        histories[name] = fit(
            model, optimizer, splits.X_train, splits.y_train, splits.X_val, splits.y_val,
            epochs=epochs, batch_size=batch_size, rng=np.random.default_rng(seed + 1),
            callback=step_callback,
        )
    return histories
