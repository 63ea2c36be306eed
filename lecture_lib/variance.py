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

from dataclasses import dataclass

import numpy as np

from lecture_lib.network import MLP

SATURATION_LEVEL = 0.99  # |tanh(s)| > 0.99: tanh'(s) < 0.02, the unit passes almost no gradient


@dataclass(frozen=True)
class LayerStatistics:
    """Per-layer statistics of one forward and backward pass, arrays indexed l = 1..L-1.

    Attributes
    ----------
    var_x, var_s, var_delta : numpy.ndarray
        var(x^(l)), var(s^(l)), var(delta^(l)) over all samples and units of hidden layer l.
    saturated : numpy.ndarray
        Fraction of |x^(l)| > 0.99 (meaningful for tanh).
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
    net = MLP(sizes, activation=activation, init="normal", variance=1.0, rng=rng)
    if len(variances) != net.n_layers:
        raise ValueError(
            f"need one variance per weight layer ({net.n_layers}), got {len(variances)}"
        )
    for W, var_w in zip(net.weights, variances):
        if not np.isfinite(var_w) or var_w < 0:
            raise ValueError(f"weight variances must be finite numbers >= 0, got {var_w!r}")
        W *= np.sqrt(var_w)
    return net
