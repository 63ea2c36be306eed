"""Dropout studies (slides "Deep Learning Regularization", notebook 03): runs over seeds and
the co-adaptation they should remove.

* :func:`dropout_runs`: the same network trained with several drop probabilities p, over seeds;
  :func:`dropout_study` trains many such runs at once (stacked matrix products) and keeps only
  their curves; :func:`epochs_to`: when a run's training loss first falls below a level.
* :func:`pair_interaction`: co-adaptation of the units of the last hidden layer, measured by
  knocking out pairs: I_ij = damage(i, j) - damage(i) - damage(j).

Pure numpy; every function is seeded by the seeds it is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from lecture_lib import validate
from lecture_lib.activations import relu, relu_derivative
from lecture_lib.dropout import check_drop_probability
from lecture_lib.network import (
    MLP,
    affine,
    backprop,
    cross_entropy,
    layer_gradients,
    softmax_cross_entropy,
)
from lecture_lib.optim import Momentum, momentum_step
from lecture_lib.training import History, fit
from lecture_lib.validate import features, labels, positive_float, positive_int, probability


def dropout_runs(
    X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, sizes, ps, *, seeds,
    epochs: int, batch_size: int, eta: float = 0.05, beta: float = 0.9, activation: str = "relu",
    keep_nets: bool = False,
) -> tuple[dict, dict]:
    """Train the same network with each drop probability p, once per seed (momentum SGD).

    Seed k draws the He-initialized weights, the dropout masks and the minibatch order, the
    same for every p, so for one seed the runs differ only by p (slides "Momentum": v_t =
    β v_{t-1} + (1-β) Δ_t, w_t = w_{t-1} - η v_t).

    Returns
    -------
    histories : dict
        (p, seed) -> :class:`lecture_lib.training.History`.
    nets : dict
        (p, seed) -> the trained :class:`MLP` (only with ``keep_nets=True``, else empty).
    """
    positive_int("epochs", epochs)
    positive_int("batch_size", batch_size)
    sizes = validate.layer_sizes("sizes", sizes)
    X, X_val = features("X", X, width=sizes[0]), features("X_val", X_val, width=sizes[0])
    y = labels("y", y, n_classes=sizes[-1], n_rows=len(X))
    y_val = labels("y_val", y_val, n_classes=sizes[-1], n_rows=len(X_val))
    if isinstance(ps, (str, bytes)) or not isinstance(ps, Iterable):
        raise ValueError(f"ps must be a list of drop probabilities, got {ps!r:.60}")
    ps = [probability(f"ps[{i}]", p) for i, p in enumerate(ps)]
    seeds = validate.seeds("seeds", seeds)  # read once, here: every p gets every seed
    positive_float("eta", eta)
    probability("beta", beta)
    histories, nets = {}, {}
    for p in ps:
        for seed in seeds:
            net = MLP(sizes, activation=activation, init="he",
                      rng=np.random.default_rng(int(seed)), dropout=p)
            histories[p, seed] = fit(net, Momentum(eta=eta, beta=beta), X, y, X_val, y_val,
                                     epochs=epochs, batch_size=batch_size,
                                     rng=np.random.default_rng(int(seed) + 100))
            if keep_nets:
                nets[p, seed] = net
    return histories, nets


def epochs_to(history: History, level: float) -> float:
    """The first epoch (1-based: epoch 1 is after the first pass) whose training loss is below
    ``level``; NaN if none is."""
    below = np.nonzero(np.asarray(history.train_loss) < level)[0]
    return float(below[0] + 1) if below.size else float("nan")


@dataclass(frozen=True)
class PairInteraction:
    """Knock-out damages of the units of the last hidden layer, alone and in pairs.

    ``single[j]`` = damage(j); ``interaction[i, j]`` = damage(i, j) - damage(i) - damage(j)
    for i != j (the diagonal is 0). Damage = rise of the mean cross-entropy on the data.
    """

    single: np.ndarray
    interaction: np.ndarray

    @property
    def pairs(self) -> np.ndarray:
        """The interactions of all pairs i < j, flattened."""
        i, j = np.triu_indices(len(self.single), k=1)
        return self.interaction[i, j]


def pair_interaction(net: MLP, X: np.ndarray, y: np.ndarray) -> PairInteraction:
    """Co-adaptation measured by knocking out pairs of units of the last hidden layer.

    The output scores are linear in the last hidden layer's outputs,
    s^(L) = sum_j x_j^(L-1) w_j^(L) + b^(L), so knocking out units i and j (test pass, no
    dropout) subtracts x_i w_i + x_j w_j. If the units acted independently, the damages would
    add up: damage(i, j) = damage(i) + damage(j). The interaction I_ij measures how far they
    do not: units that correct each other's mistakes (slides "Co-Adaptation Issue") give
    I_ij far from 0.
    """
    X = features("X", X, width=net.sizes[0])
    y = labels("y", y, n_classes=net.sizes[-1], n_rows=len(X))
    net.forward(X)
    hidden = net.trace.x[-2]  # x^(L-1), no dropout in a test pass
    net.forward(X[:1])  # keep no large trace in the network
    W, b = net.params[-2], net.params[-1]
    scores = hidden @ W + b
    base = softmax_cross_entropy(scores, y)[0]
    d = W.shape[0]
    single = np.empty(d)
    interaction = np.zeros((d, d))
    for i in range(d):
        single[i] = softmax_cross_entropy(scores - np.outer(hidden[:, i], W[i]), y)[0] - base
    for i in range(d - 1):
        # all pairs (i, j > i) at once: shape (d - i - 1, N, classes), a few MiB at most
        without_i = scores - np.outer(hidden[:, i], W[i])
        others = hidden[:, i + 1:].T[:, :, None] * W[i + 1:, None, :]
        damage = cross_entropy(without_i[None] - others, y)[0] - base
        row = damage - single[i] - single[i + 1:]
        interaction[i, i + 1:] = row
        interaction[i + 1:, i] = row
    return PairInteraction(single, interaction)


# --------------------------------------------------------------------------- many seeds at once


@dataclass(frozen=True)
class DropoutStudy:
    """Curves of the networks of :func:`dropout_study`, indexed ``[p index, seed index, record]``.

    Attributes
    ----------
    ps, seeds : numpy.ndarray
        The drop probabilities and seeds, in the order of the first two axes.
    epochs : numpy.ndarray
        The recorded epochs (epoch e = after e passes over the training set).
    train_loss, val_loss, val_acc : numpy.ndarray
        Shape (len(ps), len(seeds), len(epochs)): mean cross-entropy on the training and
        validation sets and the validation accuracy, all from test passes (no dropout).
    """

    ps: np.ndarray
    seeds: np.ndarray
    epochs: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray

    def at(self, p: float, epoch: int | None = None) -> dict[str, np.ndarray]:
        """The per-seed values for drop probability ``p`` after ``epoch`` (default: the last
        recorded): ``{"train_loss", "val_loss", "val_acc", "gap"}``, each of shape (seeds,);
        ``gap`` = validation minus training loss."""
        matches = np.flatnonzero(np.isclose(self.ps, p, rtol=0, atol=1e-12))
        if matches.size == 0:
            raise ValueError(f"p must be one of the studied {self.ps.tolist()}, got {p!r}")
        column = len(self.epochs) - 1
        if epoch is not None:
            where = np.flatnonzero(self.epochs == epoch)
            if where.size == 0:
                raise ValueError(f"epoch must be one of the recorded {self.epochs.tolist()}, "
                                 f"got {epoch!r}")
            column = int(where[0])
        i = int(matches[0])
        out = {name: getattr(self, name)[i, :, column]
               for name in ("train_loss", "val_loss", "val_acc")}
        out["gap"] = out["val_loss"] - out["train_loss"]
        return out


def _relu_scores(params, X: np.ndarray) -> np.ndarray:
    """Output scores of K ReLU nets at once (test passes): params hold (K, ...) stacks."""
    x = X
    n_layers = len(params) // 2
    for ell in range(1, n_layers + 1):
        s = affine(x, params[2 * ell - 2], params[2 * ell - 1][:, None, :])
        x = s if ell == n_layers else relu(s)
    return x


def _evaluate_stack(params, X: np.ndarray, y: np.ndarray, chunk: int = 8):
    """Mean cross-entropy and accuracy of each of K nets on (X, y), a few nets at a time."""
    K = params[0].shape[0]
    loss, acc = np.empty(K), np.empty(K)
    for k0 in range(0, K, chunk):
        part = [w[k0:k0 + chunk] for w in params]
        S = _relu_scores(part, X[None])
        loss[k0:k0 + chunk] = cross_entropy(S, y)[0]
        acc[k0:k0 + chunk] = np.mean(S.argmax(axis=2) == y, axis=1)
    return loss, acc


def dropout_study(
    X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, sizes, ps, *, seeds,
    epochs: int, batch_size: int, eta: float = 0.05, beta: float = 0.9, record=None,
) -> DropoutStudy:
    """:func:`dropout_runs` for many (p, seed) at once: the same runs, trained side by side
    with stacked matrix products.

    Network (p, seed) is a ReLU :class:`MLP` of ``sizes`` with He weights drawn by
    ``np.random.default_rng(seed)`` and inverted dropout p on every hidden layer, trained by
    momentum SGD (slides: v_t = β v_{t-1} + (1-β) Δ_t, w_t = w_{t-1} - η v_t) on minibatches
    ordered by ``np.random.default_rng(seed + 100)``; the per-sample keep-masks come from the
    network's generator, as in its training passes. So every run is the one :func:`fit`
    gives (``dropout_runs`` with the same arguments), up to the rounding of the stacked products.

    Parameters
    ----------
    X, y, X_val, y_val : numpy.ndarray
        Training and validation inputs and integer labels.
    sizes : sequence of int
        Layer widths [d^(0), ..., d^(L)], at least one hidden layer.
    ps : sequence of float
        Drop probabilities ("drop p, keep 1-p"), 0 <= p < 1.
    seeds : sequence of int
        One network per seed and p.
    epochs, batch_size : int
    eta, beta : float
        Momentum SGD's η > 0 and 0 <= β < 1.
    record : sequence of int, optional
        Epochs after which to evaluate (1..epochs); default every epoch. Evaluating costs
        a pass over both sets per network, often more than the epoch's training.

    Returns
    -------
    DropoutStudy

    Raises
    ------
    ValueError
        On bad arguments (before any training), or if a network's loss leaves float64's range
        (choose a smaller η).
    """
    if isinstance(sizes, (str, bytes)) or not np.iterable(sizes) or len(list(sizes)) < 3:
        raise ValueError(f"sizes must list at least three widths (one hidden layer), got {sizes!r}")
    sizes = [validate.positive_int(f"sizes[{i}]", d) for i, d in enumerate(sizes)]
    X = validate.features("X", X, width=sizes[0])
    y = validate.labels("y", y, n_classes=sizes[-1], n_rows=len(X))
    X_val = validate.features("X_val", X_val, width=sizes[0])
    y_val = validate.labels("y_val", y_val, n_classes=sizes[-1], n_rows=len(X_val))
    if isinstance(ps, (str, bytes)) or not np.iterable(ps) or len(list(ps)) == 0:
        raise ValueError(f"ps must be a non-empty list of drop probabilities, got {ps!r}")
    ps = [check_drop_probability(p, f"ps[{i}]") for i, p in enumerate(ps)]
    if isinstance(seeds, (str, bytes)) or not np.iterable(seeds):
        raise ValueError(f"seeds must be a list of integers >= 0, got {seeds!r}")
    seeds = [validate.non_negative_int(f"seeds[{i}]", s) for i, s in enumerate(list(seeds))]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    epochs = validate.positive_int("epochs", epochs, maximum=validate.MAX_STEPS)
    batch_size = validate.positive_int("batch_size", batch_size)
    eta = validate.positive_float("eta", eta)
    beta = validate.probability("beta", beta)
    if record is None:
        record = range(1, epochs + 1)
    if isinstance(record, (str, bytes)) or not np.iterable(record):
        raise ValueError(f"record must be a list of epochs 1..{epochs}, got {record!r}")
    record = sorted({validate.integer(f"record[{i}]", e, minimum=1, maximum=epochs)
                     for i, e in enumerate(record)})
    if not record:
        raise ValueError(f"record must name at least one epoch 1..{epochs}")
    K, n = len(ps) * len(seeds), len(X)
    if epochs * -(-n // batch_size) * K > validate.MAX_STEPS:
        raise ValueError(f"{K} networks × {epochs:,} epochs of {-(-n // batch_size):,} steps "
                         f"exceed the limit of {validate.MAX_STEPS:,} steps: fewer epochs or seeds")
    validate.array_size("the stacked weights", (K, sum(a * b + b for a, b in
                                                       zip(sizes[:-1], sizes[1:]))))

    nets = [MLP(sizes, activation="relu", init="he", rng=np.random.default_rng(s), dropout=p)
            for p in ps for s in seeds]
    orders = [np.random.default_rng(s + 100) for p in ps for s in seeds]
    curves = np.concatenate([
        _train_stack(nets[k:k + _STACK], orders[k:k + _STACK], X, y, X_val, y_val, epochs=epochs,
                     batch_size=batch_size, eta=eta, beta=beta, record=record)
        for k in range(0, K, _STACK)], axis=1)
    shape = (len(ps), len(seeds), len(record))
    return DropoutStudy(np.array(ps), np.array(seeds), np.array(record),
                        *(curve.reshape(shape) for curve in curves))


#: Networks trained side by side in one stack: larger stacks leave the cache and run slower.
_STACK = 16


def _train_stack(nets, orders, X, y, X_val, y_val, *, epochs, batch_size, eta, beta, record):
    """Train the ReLU ``nets`` side by side (momentum SGD, inverted dropout with per-sample
    masks from each net's generator, minibatches ordered by ``orders``); return their curves
    (train loss, val loss, val accuracy) after the epochs ``record``, shape (3, K, len(record))."""
    sizes, n, K = nets[0].sizes, len(X), len(nets)
    params = [np.stack([net.params[j] for net in nets]) for j in range(len(nets[0].params))]
    velocity = [np.zeros_like(w) for w in params]
    keep = np.array([1.0 - net.dropout[0] for net in nets])[:, None, None]
    n_layers = len(sizes) - 1
    curves = np.full((3, K, len(record)), np.nan)
    column = 0
    for epoch in range(1, epochs + 1):
        order = np.stack([r.permutation(n) for r in orders])
        for begin in range(0, n, batch_size):
            batch = order[:, begin:begin + batch_size]
            B = batch.shape[1]
            xs, ss, ms = [X[batch]], [], []
            for ell in range(1, n_layers + 1):
                s = affine(xs[-1], params[2 * ell - 2], params[2 * ell - 1][:, None, :])
                ss.append(s)
                if ell == n_layers:
                    break
                # each net draws its masks from its own generator, as MLP's training pass does
                m = np.stack([net.rng.random((B, sizes[ell])) >= net.dropout[0]
                              if net.dropout[0] > 0 else np.ones((B, sizes[ell]), dtype=bool)
                              for net in nets])
                ms.append(m)
                xs.append(relu(s) * m / keep)
            delta = cross_entropy(ss[-1], y[batch])[1]  # δ^(L) of the mean cross-entropy
            grads = [None] * len(params)
            for ell in range(n_layers, 0, -1):
                grads[2 * ell - 2], grads[2 * ell - 1] = layer_gradients(xs[ell - 1], delta)
                if ell > 1:
                    delta = (backprop(delta, params[2 * ell - 2]) * ms[ell - 2] / keep
                             * relu_derivative(ss[ell - 2]))
            for j, g in enumerate(grads):
                params[j], velocity[j] = momentum_step(params[j], g, velocity[j], eta=eta,
                                                       beta=beta)
        if epoch == record[column]:
            train = _evaluate_stack(params, X, y)
            val = _evaluate_stack(params, X_val, y_val)
            if not (np.all(np.isfinite(train[0])) and np.all(np.isfinite(val[0]))):
                raise ValueError(f"a network's loss left float64's range in epoch {epoch}: "
                                 f"eta = {eta} is too large")
            curves[:, :, column] = train[0], val[0], val[1]
            column += 1
            if column == len(record):
                break
    return curves
