"""Initialization studies (slides "Weight Initialization", notebook 01): claims from training
hold over several seeds, and big intermediate arrays never leave these functions (they return
small summaries, so a student's kernel stays lean).

* :func:`init_net`, :func:`init_training_curves`: a network from each initialization of the
  slides (all 0, constants, too large, Xavier, He) and its training curves over seeds;
  :func:`distinct_units`: how many different units a layer still has (symmetry).
* :func:`layer_statistics`: per-layer statistics of one pass through a fresh net.
* :func:`saturation_study`: a deep tanh net with too large weights, its histograms and layer
  1's gradients; :func:`cosine_by_layer`: how alike the outputs of different inputs become.

Pure numpy; every function is seeded by the generators or seeds it is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from lecture_lib import validate
from lecture_lib.network import MLP
from lecture_lib.optim import SGD, Optimizer
from lecture_lib.training import History, fit
from lecture_lib.validate import (
    choice,
    features,
    labels,
    non_negative_float,
    positive_float,
    positive_int,
)
from lecture_lib.variance import (
    SATURATION_LEVEL,
    LayerStatistics,
    hidden_layer_statistics,
    mlp_with_weight_variances,
    variance_list,
)


def _names(name: str, values: object, allowed) -> list[str]:
    """A list of names from ``allowed``; one name alone is refused (a string is not a list)."""
    if isinstance(values, str):
        raise ValueError(f"{name} must be a list of names, e.g. [{values!r}], got the string "
                         f"{values!r}; allowed: {', '.join(map(repr, allowed))}")
    if not isinstance(values, Iterable):
        raise ValueError(f"{name} must be a list of names, got {values!r:.60}")
    values = [choice(f"{name}[{i}]", v, allowed) for i, v in enumerate(values)]
    if not values:
        raise ValueError(f"{name} must hold at least one name")
    return values



# --------------------------------------------------------------------------- initialization


INIT_CHOICES = ("zeros", "constant", "too large", "xavier", "he")


def init_net(sizes, kind: str, *, activation: str, seed: int, constant: float = 0.05,
             too_large: float = 16.0) -> MLP:
    """A network initialized as the slides "Weight Initialization" list.

    Parameters
    ----------
    sizes : sequence of int
        d^(0), ..., d^(L).
    kind : {"zeros", "constant", "too large", "xavier", "he"}
        all 0; every weight ``constant``; w ~ N(0, ``too_large`` / d^(l-1)); Xavier
        var(w) = 2 / (d^(l-1) + d^(l)); He var(w) = 2 / d^(l-1). Biases start at 0.
    activation : {"tanh", "relu"}
    seed : int
        Seeds the weights (and later the dropout masks).
    constant : float
        The weight of ``"constant"``.
    too_large : float
        c of ``"too large"``.
    """
    kind = choice("kind", kind, INIT_CHOICES)
    rng = np.random.default_rng(seed)
    if kind == "too large":
        net = MLP(sizes, activation=activation, init="normal", variance=1.0, rng=rng)
        for W in net.weights:
            W *= np.sqrt(positive_float("too_large", too_large) / W.shape[0])
        return net
    extra = {"value": constant} if kind == "constant" else {}
    return MLP(sizes, activation=activation, init=kind, rng=rng, **extra)


@dataclass(frozen=True)
class InitCurves:
    """Training curves over seeds: ``loss[k, e]`` is seed k's training loss after epoch e.

    Column 0 is the loss before training (epoch 0); column e >= 1 is after the e-th pass over
    the training set (epoch e). A run that diverged is NaN from the epoch it diverged.
    ``accuracy`` is laid out alike (training set, test passes).
    """

    loss: np.ndarray
    accuracy: np.ndarray

    @property
    def final(self) -> np.ndarray:
        """Training loss after the last epoch, one per seed (NaN if diverged)."""
        return self.loss[:, -1]


def _curve(net: MLP, optimizer: Optimizer, X, y, *, epochs: int, batch_size: int,
           seed: int) -> tuple[np.ndarray, np.ndarray]:
    loss = np.full(epochs + 1, np.nan)
    acc = np.full(epochs + 1, np.nan)
    loss[0], acc[0] = net.evaluate(X, y)
    history: History = fit(net, optimizer, X, y, X[:1], y[:1], epochs=epochs,
                           batch_size=batch_size, rng=np.random.default_rng(seed + 1000))
    n = history.epochs_run
    loss[1:n + 1], acc[1:n + 1] = history.train_loss, history.train_acc
    return loss, acc


def init_training_curves(
    X: np.ndarray, y: np.ndarray, sizes, kinds, *, activation: str, seeds, epochs: int,
    batch_size: int, eta: float, constant: float = 0.05, too_large: float = 16.0,
) -> dict[str, InitCurves]:
    """Train one network per initialization and seed by minibatch SGD; keep only the curves.

    Each seed k draws the initial weights (``init_net(..., seed=k)``) and the minibatch order;
    every initialization sees the same minibatches for the same seed, so the curves differ
    only by the initialization. w_t = w_{t-1} - η Δ_t (slides "Running Average Estimate").

    Returns
    -------
    dict
        kind -> :class:`InitCurves` with ``len(seeds)`` rows and ``epochs + 1`` columns.
    """
    sizes = validate.layer_sizes("sizes", sizes)
    X = features("X", X, width=sizes[0])
    y = labels("y", y, n_classes=sizes[-1], n_rows=len(X))
    epochs, batch_size = positive_int("epochs", epochs), positive_int("batch_size", batch_size)
    eta = positive_float("eta", eta)
    kinds = _names("kinds", kinds, INIT_CHOICES)
    choice("activation", activation, ("tanh", "relu"))
    seeds = validate.seeds("seeds", seeds)
    out = {}
    for kind in kinds:
        rows = [_curve(init_net(sizes, kind, activation=activation, seed=s, constant=constant,
                                too_large=too_large), SGD(eta), X, y, epochs=epochs,
                       batch_size=batch_size, seed=s) for s in seeds]
        out[kind] = InitCurves(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
    return out


def distinct_units(W: np.ndarray, *, tol: float = 1e-9) -> int:
    """Number of different units among the columns of W (column j = incoming weights of j).

    Two units count as copies when their incoming weights differ by at most ``tol`` times the
    largest |weight|.
    """
    W = np.asarray(W)
    if W.dtype.kind not in "biuf" or W.ndim != 2 or W.size == 0:
        raise ValueError(f"W must be a non-empty 2-D array of weights (column j = incoming "
                         f"weights of unit j), got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        raise ValueError("W contains NaN or inf")
    W = W.astype(float)
    scale = max(float(np.abs(W).max()), 1e-300) * non_negative_float("tol", tol)
    representatives: list[np.ndarray] = []
    for column in W.T:
        if not any(np.max(np.abs(column - r)) <= scale for r in representatives):
            representatives.append(column)
    return len(representatives)


# --------------------------------------------------------------------------- variance pictures


def layer_statistics(sizes, weight_variances, x0: np.ndarray, *, activation: str, seed: int,
                     delta_out: np.ndarray | None = None) -> LayerStatistics:
    """Per-layer statistics of one pass through a fresh net with W^(l) ~ N(0, var(w^(l))).

    Builds :func:`lecture_lib.variance.mlp_with_weight_variances` from ``seed``, runs x^(0) =
    ``x0`` forward (and ``delta_out`` = delta^(L) backward, if given) and returns only
    :class:`lecture_lib.variance.LayerStatistics`: the traces (x^(l), s^(l), delta^(l) of every
    layer, tens of MiB for wide nets) are freed when the function returns.
    """
    sizes = validate.layer_sizes("sizes", sizes)
    x0 = features("x0", x0, width=sizes[0])
    if delta_out is not None:
        delta_out = features("delta_out", delta_out, width=sizes[-1])
        if len(delta_out) != len(x0):
            raise ValueError(f"delta_out has {len(delta_out)} rows but x0 has {len(x0)}")
    net = mlp_with_weight_variances(sizes, weight_variances, activation=activation,
                                    rng=np.random.default_rng(seed))
    net.forward(x0)
    if delta_out is not None:
        net.propagate_delta(delta_out)
    return hidden_layer_statistics(net.trace)


@dataclass(frozen=True)
class SaturationStudy:
    """One pass of a deep tanh net with var(w) = c / d^(l-1) (slides "too large: saturation").

    Attributes
    ----------
    histograms : dict
        layer l -> counts of x^(l) in ``edges`` (over all samples and units).
    edges : numpy.ndarray
        Bin edges on [-1, 1].
    saturated : float
        Share of unit-samples of layer 1 with |x^(1)| > ``SATURATION_LEVEL`` (0.99).
    saturated_by_layer : dict
        layer l -> the same share for x^(l), for the layers of ``histograms``.
    delta_ratio : float
        mean |delta^(1)| of saturated unit-samples over that of the others (NaN if none).
    upstream_ratio : float
        The same ratio for the signal reaching them from above, sum_k delta_k^(2) w_jk^(2),
        i.e. delta^(1) before the factor tanh'(s^(1)) (NaN if none saturated).
    max_derivative : float
        The largest tanh'(s^(1)) = 1 - (x^(1))^2 over saturated unit-samples (NaN if none).
    grad_norm : float
        ‖∂e/∂W^(1)‖ (Frobenius) of the pass.
    """

    histograms: dict
    edges: np.ndarray
    saturated: float
    saturated_by_layer: dict
    delta_ratio: float
    upstream_ratio: float
    max_derivative: float
    grad_norm: float


def saturation_study(X: np.ndarray, y: np.ndarray, c: float, *, depth: int = 10,
                     width: int = 256, layers=(1, 2, 4, 7, 10), bins: int = 40,
                     seed: int = 1) -> SaturationStudy:
    """Forward and backward pass of a tanh net ``[d^(0)] + [width] * depth + [10]`` with
    var(w^(l)) = c / d^(l-1) on (X, y); returns histograms of x^(l) and layer 1's gradients.

    delta_j^(1) = (sum_k delta_k^(2) w_jk^(2)) tanh'(s_j^(1)) (slides "Backward tanh"): the
    ``upstream_ratio`` compares the first factor between saturated and other unit-samples, the
    ``delta_ratio`` the product.
    """
    X = features("X", X)
    y = labels("y", y, n_classes=10, n_rows=len(X))
    positive_float("c", c)
    depth = positive_int("depth", depth)
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Iterable):
        raise ValueError(f"layers must be a list of hidden layers 1..depth, got {layers!r:.60}")
    layers = [positive_int(f"layers[{i}]", ell, maximum=depth) for i, ell in enumerate(layers)]
    sizes = [X.shape[1]] + [positive_int("width", width)] * depth + [10]
    net = mlp_with_weight_variances(sizes, [c / d for d in sizes[:-1]], activation="tanh",
                                    rng=np.random.default_rng(seed))
    net.loss_and_grads(X, y)
    trace = net.trace
    edges = np.linspace(-1.0, 1.0, positive_int("bins", bins) + 1)
    histograms = {ell: np.histogram(trace.x[ell], bins=edges)[0] for ell in layers}
    x1 = trace.x[1]
    saturated = np.abs(x1) > SATURATION_LEVEL
    delta = np.abs(trace.delta[1])
    upstream = np.abs(trace.delta[2] @ net.weights[1].T)
    some = saturated.any() and (~saturated).any()
    return SaturationStudy(
        histograms=histograms,
        edges=edges,
        saturated=float(saturated.mean()),
        saturated_by_layer={ell: float(np.mean(np.abs(trace.x[ell]) > SATURATION_LEVEL))
                            for ell in layers},
        delta_ratio=float(delta[saturated].mean() / delta[~saturated].mean()) if some else np.nan,
        upstream_ratio=(float(upstream[saturated].mean() / upstream[~saturated].mean())
                        if some else np.nan),
        max_derivative=float((1 - x1[saturated] ** 2).max()) if saturated.any() else np.nan,
        grad_norm=float(np.linalg.norm(trace.x[0].T @ trace.delta[1])),
    )


def cosine_by_layer(x0: np.ndarray, weight_variances, *, depth: int, width: int,
                    activation: str = "relu", seed: int = 0) -> np.ndarray:
    """Mean cosine similarity between the outputs x^(l) of different inputs, per hidden layer.

    Entry l-1 averages cos(x_a^(l), x_b^(l)) over all pairs of rows a != b of x^(0) = ``x0``
    (a row whose output is all 0 counts as similarity 0), through ``depth`` hidden layers of
    ``width`` units with var(w^(l)) = ``weight_variances[l-1]``.
    """
    x0 = features("x0", x0)
    if len(x0) < 2:
        raise ValueError(f"x0 must have at least 2 rows (a cosine between different inputs), "
                         f"got {len(x0)}")
    depth, width = positive_int("depth", depth), positive_int("width", width)
    weight_variances = variance_list("weight_variances", weight_variances)
    if len(weight_variances) < depth:
        raise ValueError(f"weight_variances has {len(weight_variances)} entries but depth = "
                         f"{depth} needs one per hidden layer, {depth}")
    choice("activation", activation, ("tanh", "relu"))
    sizes = [x0.shape[1]] + [width] * depth + [1]
    net = mlp_with_weight_variances(sizes, list(weight_variances)[:depth] + [1.0 / width],
                                    activation=activation, rng=np.random.default_rng(seed))
    net.forward(x0)
    n = len(x0)
    out = np.empty(depth)
    for ell in range(1, depth + 1):
        x = net.trace.x[ell]
        norms = np.linalg.norm(x, axis=1)
        unit = x / np.where(norms > 0, norms, 1.0)[:, None]
        gram = unit @ unit.T
        out[ell - 1] = (gram.sum() - np.trace(gram)) / (n * (n - 1))
    return out
