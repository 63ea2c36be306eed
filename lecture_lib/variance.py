"""How variance travels through the layers: slides "Small Random Initialization".

Forward, for zero-mean independent weights and inputs (bias w_0j^(l) = 0 at initialization)::

    var(s_j^(l)) = sum_i var(w_ij^(l) x_i^(l-1)) = d^(l-1) var(w^(l)) E((x^(l-1))^2)

* tanh, small scores (tanh' ~ 1): E(x^2) = var(x) ~ var(s), so
  var(x^(l)) ~ d^(l-1) var(w^(l)) var(x^(l-1)); var(w) = 1/d^(l-1) keeps it steady.
* ReLU: E(x^2) = 1/2 var(s) for zero-mean symmetric s (the slide prints "0.5 var(s^2)": a
  typo), so var(s^(l)) = 1/2 d^(l-1) var(w^(l)) var(s^(l-1)); He's var(w) = 2/d^(l-1) keeps it.

Backward, delta_j^(l-1) = sum_k delta_k^(l) w_jk^(l) phi'(s_j^(l-1))::

    var(delta^(l-1)) = d^(l) var(w^(l)) var(delta^(l)) E(phi'(s^(l-1))^2)

with E(phi'^2) ~ 1 for tanh with small scores and 1/2 for ReLU; var(w) = 1/d^(l) keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from lecture_lib import validate
from lecture_lib.init import he_variance
from lecture_lib.network import MLP, affine, backprop

ACTIVATIONS = ("tanh", "relu")

# The one threshold of "saturated" (notebook 01's figures and table, the dashboard, the studies):
# |tanh(s)| > 0.99 means tanh'(s) < 0.02, so the unit's own weights get almost no gradient
SATURATION_LEVEL = 0.99


@dataclass(frozen=True)
class LayerStatistics:
    """Per-layer statistics of one forward and backward pass, arrays indexed l = 1..L-1.

    Attributes
    ----------
    var_x, var_s, var_delta : numpy.ndarray
        var(x^(l)), var(s^(l)), var(delta^(l)) over all samples and units of hidden layer l.
    saturated : numpy.ndarray
        Fraction of |x^(l)| > ``SATURATION_LEVEL`` (0.99; meaningful for tanh).
    zero : numpy.ndarray
        Fraction of x^(l) == 0 over samples and units (ReLU's inactive units on each sample).
    dead : numpy.ndarray
        Fraction of units of layer l that are 0 for *every* sample (dead ReLUs).
    """

    var_x: np.ndarray
    var_s: np.ndarray
    var_delta: np.ndarray
    saturated: np.ndarray
    zero: np.ndarray
    dead: np.ndarray


def hidden_layer_statistics(trace) -> LayerStatistics:
    """Statistics of the hidden layers 1..L-1 of an :class:`lecture_lib.network.Trace`.

    ``var_delta`` is NaN for layers a backward pass has not reached.
    """
    hidden = range(1, len(trace.s) - 1)
    x = [trace.x[ell] for ell in hidden]
    return LayerStatistics(
        var_x=np.array([xl.var() for xl in x]),
        var_s=np.array([trace.s[ell].var() for ell in hidden]),
        var_delta=np.array(
            [np.nan if trace.delta[ell] is None else trace.delta[ell].var() for ell in hidden]
        ),
        saturated=np.array([np.mean(np.abs(xl) > SATURATION_LEVEL) for xl in x]),
        zero=np.array([np.mean(xl == 0) for xl in x]),
        dead=np.array([np.mean(np.all(xl == 0, axis=0)) for xl in x]),
    )


def relu_second_moment(var_s: float) -> float:
    """E(x^2) for x = ReLU(s), s zero-mean and symmetric: 1/2 var(s) (not 1/2 var(s^2))."""
    return 0.5 * var_s


def variance_list(name: str, values: object) -> list[float]:
    """A non-empty list of finite numbers >= 0 (per-layer variances), from any sequence or
    iterable; a string is refused (it is not a list of numbers)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"{name} must be a list of variances (numbers >= 0), got {values!r:.60}")
    values = list(values)
    if not values:
        raise ValueError(f"{name} must hold at least one variance, got an empty list")
    return [validate.non_negative_float(f"{name}[{i}]", v) for i, v in enumerate(values)]


def width_list(name: str, values: object, *, at_least: int) -> list[int]:
    """A list of layer widths (ints >= 1) with at least ``at_least`` entries."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"{name} must be a list of layer widths, got {values!r:.60}")
    values = [validate.positive_int(f"{name}[{i}]", d) for i, d in enumerate(values)]
    if len(values) < at_least:
        raise ValueError(f"{name} has {len(values)} entries but needs at least {at_least}: "
                         "d^(0), d^(1), ... one more than there are weight layers")
    return values


def predicted_forward_variance(
    var_x0: float, widths, weight_variances, activation: str
) -> np.ndarray:
    """Linear-regime prediction of var(s^(l)) for l = 1..len(weight_variances).

    Parameters
    ----------
    var_x0 : float
        var(x^(0)) of the zero-mean input features.
    widths : sequence of int
        d^(0), d^(1), ...: at least one more entry than ``weight_variances``.
    weight_variances : sequence of float
        var(w^(l)) for l = 1, 2, ...
    activation : {"tanh", "relu"}
        For tanh the prediction is also that of var(x^(l)) (tanh' ~ 1).
    """
    var_x0 = validate.non_negative_float("var_x0", var_x0)
    weight_variances = variance_list("weight_variances", weight_variances)
    widths = width_list("widths", widths, at_least=len(weight_variances) + 1)
    activation = validate.choice("activation", activation, ACTIVATIONS)
    second_moment = var_x0  # E((x^(0))^2) = var(x^(0)) for mean-shifted inputs
    predicted = []
    for ell, var_w in enumerate(weight_variances, start=1):
        var_s = widths[ell - 1] * var_w * second_moment
        predicted.append(var_s)
        second_moment = var_s if activation == "tanh" else relu_second_moment(var_s)
    return np.array(predicted)


def predicted_backward_variance(
    var_delta_last: float, widths, weight_variances, activation: str
) -> np.ndarray:
    """Linear-regime prediction of var(delta^(l)) for l = 1..L, given var(delta^(L)).

    ``widths`` = d^(0..L) and ``weight_variances`` = var(w^(1..L)); the result is indexed so
    that entry l-1 is layer l.
    """
    var_delta_last = validate.non_negative_float("var_delta_last", var_delta_last)
    weight_variances = variance_list("weight_variances", weight_variances)
    widths = width_list("widths", widths, at_least=len(weight_variances) + 1)
    activation = validate.choice("activation", activation, ACTIVATIONS)
    n_layers = len(weight_variances)
    derivative_second_moment = 1.0 if activation == "tanh" else 0.5
    predicted = np.empty(n_layers)
    predicted[-1] = var_delta_last
    for ell in range(n_layers, 1, -1):  # delta^(l) -> delta^(l-1) through W^(l)
        predicted[ell - 2] = (
            widths[ell] * weight_variances[ell - 1] * predicted[ell - 1] * derivative_second_moment
        )
    return predicted


def mlp_with_weight_variances(sizes, variances, *, activation: str, rng: np.random.Generator):
    """An :class:`~lecture_lib.network.MLP` whose W^(l) ~ N(0, ``variances[l-1]``), biases 0.

    For var(w^(l)) = c / d^(l-1) pass ``[c / d for d in sizes[:-1]]``; Xavier is
    ``[2 / (a + b) for a, b in zip(sizes[:-1], sizes[1:])]``.
    """
    variances = variance_list("variances", variances)
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
        raise ValueError(f"sizes must be a list of layer widths, got {sizes!r:.60}")
    sizes = list(sizes)
    if len(variances) != len(sizes) - 1:
        raise ValueError(f"variances must hold one variance per weight layer ({len(sizes) - 1} "
                         f"for sizes {sizes}), got {len(variances)}")
    net = MLP(sizes, activation=activation, init="normal", variance=1.0, rng=rng)
    for W, var_w in zip(net.weights, variances):
        W *= np.sqrt(var_w)
    return net


# ---------------------------------------------------------------- the dashboard's math
# What the initialization dashboard shows, computed without widgets or matplotlib: one forward
# and one backward pass of a zero-bias network with W^(l) = scale_l * U^(l), U^(l) fixed
# standard-normal draws, so moving c changes only the scale and not the random pattern.


class UnitDraws:
    """Fixed standard-normal draws of the dashboard, in float32, drawn lazily.

    ``inputs`` and ``delta`` are (n_samples, max_width); ``weights(ell)`` is U^(l) of shape
    (max_width, max_width), drawn the first time layer ell is needed (a 10-layer network never
    draws the others) from its own seeded stream, so it does not depend on which layers were
    drawn before. A network of width d uses the top-left d x d block.

    float32 is enough here: the dashboard plots variances on log axes and fractions, and the
    statistics are summed in float64; its relative rounding (6e-8) is far below the sampling
    error of a variance over N d values, about sqrt(2 / (N d)) (0.6% at N = 128, d = 500;
    3% at d = 20).
    """

    def __init__(self, n_samples: int, max_width: int, *, seed: int) -> None:
        self.n_samples, self.max_width, self.seed = n_samples, max_width, seed
        rng = np.random.default_rng([seed, 0])
        self.inputs = rng.standard_normal((n_samples, max_width), dtype=np.float32)
        self.delta = rng.standard_normal((n_samples, max_width), dtype=np.float32)
        self._weights: dict[int, np.ndarray] = {}
        self._ones: np.ndarray | None = None

    def weights(self, ell: int) -> np.ndarray:
        """U^(ell), ell = 1, 2, ...: standard normal, (max_width, max_width), float32."""
        if ell not in self._weights:
            rng = np.random.default_rng([self.seed, ell])
            self._weights[ell] = rng.standard_normal((self.max_width, self.max_width),
                                                     dtype=np.float32)
        return self._weights[ell]

    def ones(self, d: int) -> np.ndarray:
        """A (d, d) block of ones (the constant initialization's U), float32."""
        if self._ones is None:
            self._ones = np.ones((self.max_width, self.max_width), dtype=np.float32)
        return self._ones[:d, :d]

    @property
    def nbytes(self) -> int:
        """Bytes held by the draws made so far."""
        ones = 0 if self._ones is None else self._ones.nbytes
        return self.inputs.nbytes + self.delta.nbytes + ones + sum(
            w.nbytes for w in self._weights.values())


@dataclass(frozen=True)
class Propagation:
    """What one forward and backward pass showed, per hidden layer l = 1..L-1.

    Attributes
    ----------
    stats : LayerStatistics
    histograms : numpy.ndarray
        (L-1, bins): per layer, the histogram of x^(l) over [-1, 1] (tanh) or of the nonzero
        x^(l) divided by their root mean square over [0, 4] (ReLU: its zeros, about half, have
        their own statistic), each row scaled to a maximum of 1.
    """

    stats: LayerStatistics
    histograms: np.ndarray


def layer_histogram(values: np.ndarray, *, low: float, high: float, bins: int) -> np.ndarray:
    """Histogram of ``values`` over [low, high] (values outside go to the end bins), scaled to
    a maximum of 1 (all zeros for no values)."""
    index = ((np.ravel(values) - low) * (bins / (high - low))).astype(np.int64)
    counts = np.bincount(np.clip(index, 0, bins - 1), minlength=bins).astype(float)
    return counts / max(counts.max(), 1.0)


def _variance(values: np.ndarray) -> float:
    return float(np.var(values, dtype=np.float64))


def propagate_statistics(
    weights, scales, x0: np.ndarray, delta_out: np.ndarray, activation: str, *, bins: int = 41
) -> Propagation:
    """Per-layer statistics of a zero-bias network with W^(l) = ``scales[l-1] * weights[l-1]``.

    The forward pass is slide "Small Random Initialization"'s s^(l) = W^(l)T x^(l-1),
    x^(l) = phi(s^(l)), the backward pass delta^(l-1) = phi'(s^(l-1)) * W^(l) delta^(l) from
    delta^(L) = ``delta_out``: the layer functions of :mod:`lecture_lib.network` (those of
    :meth:`~lecture_lib.network.MLP.forward`), with zero biases, the scale applied after the
    product, in the dtype of the inputs. Only the statistics are kept, not the traces.

    Parameters
    ----------
    weights : sequence of numpy.ndarray
        U^(1..L), each (d, d) (rows: inputs, columns: units, as in ``x @ W``).
    scales : sequence of float
        The factor of each layer's weights (sqrt(var(w)) for U standard normal).
    x0, delta_out : numpy.ndarray
        x^(0) and delta^(L), (N, d).
    activation : {"tanh", "relu"}
    bins : int
        Histogram bins per layer.
    """
    n_hidden = len(weights) - 1
    var_x, var_s, var_delta = (np.zeros(n_hidden) for _ in range(3))
    saturated, zero, dead = (np.zeros(n_hidden) for _ in range(3))
    histograms = np.zeros((n_hidden, bins))
    derivatives = []  # phi'(s^(l)) of each hidden layer, for the backward pass
    x = x0
    for ell in range(1, n_hidden + 1):
        s = affine(x, weights[ell - 1])
        s *= scales[ell - 1]
        if activation == "tanh":
            x = np.tanh(s)
            derivatives.append(1.0 - x * x)
            histograms[ell - 1] = layer_histogram(x, low=-1.0, high=1.0, bins=bins)
        else:
            active = s > 0
            x = np.where(active, s, 0.0).astype(s.dtype, copy=False)
            derivatives.append(active)
            positive = s[active].astype(np.float64)
            if positive.size:
                rms = np.sqrt(np.mean(positive * positive))
                if rms > 0:
                    positive /= rms
            histograms[ell - 1] = layer_histogram(positive, low=0.0, high=4.0, bins=bins)
            zero[ell - 1] = 1.0 - active.mean()
            dead[ell - 1] = np.mean(~active.any(axis=0))
        var_x[ell - 1], var_s[ell - 1] = _variance(x), _variance(s)
        if activation == "tanh":
            saturated[ell - 1] = np.mean(np.abs(x) > SATURATION_LEVEL)
            zero[ell - 1] = np.mean(x == 0)
            dead[ell - 1] = np.mean(np.all(x == 0, axis=0))
    delta = delta_out
    for ell in range(n_hidden + 1, 1, -1):  # delta^(l) -> delta^(l-1) through W^(l)
        delta = backprop(delta, weights[ell - 1])
        delta *= scales[ell - 1]
        delta *= derivatives[ell - 2]
        var_delta[ell - 2] = _variance(delta)
    stats = LayerStatistics(var_x=var_x, var_s=var_s, var_delta=var_delta,
                            saturated=saturated, zero=zero, dead=dead)
    return Propagation(stats=stats, histograms=histograms)


def rescaled_relu(reference: Propagation, forward_gains, backward_gains) -> Propagation:
    """A ReLU network's statistics after multiplying W^(l) by r_l > 0 and x^(0) by r_0 > 0.

    ReLU(r s) = r ReLU(s) for r > 0, so every x^(l), s^(l) is multiplied by r_0 r_1 ... r_l
    and every delta^(l) by r_(l+1) ... r_L: variances by the squares (``forward_gains[l-1]``,
    ``backward_gains[l-1]`` for hidden layer l), while which units are 0, and the histograms
    of x / rms, do not change at all. One pass at a reference scale then serves every c and
    input variance exactly.
    """
    stats = reference.stats
    forward_gains = np.asarray(forward_gains, dtype=float)
    backward_gains = np.asarray(backward_gains, dtype=float)
    scaled = LayerStatistics(
        var_x=stats.var_x * forward_gains, var_s=stats.var_s * forward_gains,
        var_delta=stats.var_delta * backward_gains, saturated=stats.saturated,
        zero=stats.zero, dead=stats.dead,
    )
    return Propagation(stats=scaled, histograms=reference.histograms)


def draws_statistics(
    draws: UnitDraws, *, activation: str, depth: int, width: int, weights: str, var_w: float,
    var_x0: float, cache: dict | None = None, bins: int = 41,
) -> Propagation:
    """The statistics of a network made of ``draws``: what the initialization dashboard shows
    for one setting of its controls.

    Parameters
    ----------
    draws : lecture_lib.variance.UnitDraws
        The fixed standard-normal draws (weights, inputs, delta^(L)).
    activation : {"tanh", "relu"}
    depth, width : int
        Hidden layers and units per layer d (every layer, the output layer too, has d units).
    weights : {"random", "constant", "zeros"}
        W^(l) = sqrt(var_w) U^(l), or every weight sqrt(var_w), or 0.
    var_w, var_x0 : float
        var(w) (for "constant": the square of the weight) and var(x^(0)).
    cache : dict, optional
        Keeps ReLU passes between calls: a ReLU network's statistics at any c and var(x^(0))
        are exact rescalings of one pass at He's scale (:func:`rescaled_relu`), so only a
        change of depth, width or weights kind needs a new pass.
    bins : int
        Histogram bins per layer.
    """
    d, n_layers = width, depth + 1
    if weights == "constant":
        units = [draws.ones(d)] * n_layers
    else:
        units = [draws.weights(ell)[:d, :d] for ell in range(1, n_layers + 1)]
    x0 = draws.inputs[:, :d]
    delta_out = draws.delta[:, :d]
    if activation == "tanh" or weights == "zeros":
        scale = np.sqrt(var_w)
        return propagate_statistics(units, [scale] * n_layers, x0 * np.float32(np.sqrt(var_x0)),
                                    delta_out, activation, bins=bins)
    key = (weights, depth, d)
    reference = None if cache is None else cache.get(key)
    if reference is None:
        reference = propagate_statistics(units, [np.sqrt(he_variance(d))] * n_layers, x0,
                                         delta_out, "relu", bins=bins)
        if cache is not None:
            cache.clear()  # one shape at a time: the cache holds a few small arrays
            cache[key] = reference
    gain = var_w / he_variance(d)  # r_l^2 for every layer
    hidden = np.arange(1, depth + 1)
    return rescaled_relu(reference, var_x0 * gain**hidden, gain ** (n_layers - hidden))
