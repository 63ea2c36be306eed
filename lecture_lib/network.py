"""A fully connected network in the slides' notation, with backprop.

Forward (slides, "Small Random Initialization for Forwarding tanh")::

    s_j^(l) = sum_{i=0}^{d^(l-1)} w_ij^(l) x_i^(l-1),     x_j^(l) = phi(s_j^(l))

The slides fold the bias into the sum as w_0j^(l) with x_0^(l-1) = 1; here it is kept apart as
``b[j]`` (zero at initialization), so ``s = x @ W + b`` for a batch of rows ``x``.
Hidden layers use tanh or ReLU, the last layer gives linear scores x^(L) = s^(L), and the loss
is the mean softmax cross-entropy over integer labels.

Backward (slides, "Small Random Initialization for Backward tanh"), with
delta_j^(l) = d loss / d s_j^(l)::

    delta_j^(l-1) = sum_k delta_k^(l) w_jk^(l) phi'(s_j^(l-1))
    d loss / d w_ij^(l) = x_i^(l-1) delta_j^(l)

Dropout (slides, "Deep Learning Regularization"; ``p`` is the probability to *drop*) acts on the
outputs x^(l) of hidden layers in training passes only, inverted: a kept unit is scaled by
1/(1-p), so test passes use the full network unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lecture_lib.activations import ACTIVATIONS
from lecture_lib.init import init_weights
from lecture_lib.regularization import check_drop_probability, dropout_mask


class DivergenceError(ArithmeticError):
    """Numbers left float64's range: the weights or the step size are too large."""


@dataclass
class Trace:
    """What the last pass computed, indexed by the slides' layer number l.

    ``x[0]`` is the input x^(0); ``x[l]``, ``s[l]``, ``delta[l]`` are x^(l), s^(l), delta^(l)
    for l = 1..L, arrays of shape (N, d^(l)). ``s[0]`` and ``delta[0]`` are None (the input has
    no score). ``masks[l]`` is the boolean keep-mask dropout used on hidden layer l in the last
    training pass (None where no dropout acted). ``delta`` is filled by a backward pass.
    """

    x: list = field(default_factory=list)
    s: list = field(default_factory=list)
    delta: list = field(default_factory=list)
    masks: list = field(default_factory=list)


def _diverged(what: str) -> DivergenceError:
    return DivergenceError(
        f"{what} left float64's range (overflow or inf - inf): the weights are too large, "
        "or the training diverged (step size too large)"
    )


class MLP:
    """Fully connected network ``sizes = [d^(0), d^(1), ..., d^(L)]``.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths; at least an input and an output layer.
    activation : {"tanh", "relu"}
        phi of the hidden layers.
    init : {"zeros", "constant", "normal", "xavier", "he"}
        Scheme of :func:`lecture_lib.init.init_weights` for every weight matrix.
    rng : numpy.random.Generator
        Draws the initial weights, and later the dropout masks.
    variance : float, optional
        var(w) for ``init="normal"``.
    value : float, optional
        The weight for ``init="constant"``.
    dropout : float or sequence of float
        Drop probability p of each hidden layer's output in training passes (one number for all
        hidden layers, or one per hidden layer); 0 <= p < 1.

    Attributes
    ----------
    params : list of numpy.ndarray
        ``[W1, b1, W2, b2, ...]``; ``W`` of shape (d^(l-1), d^(l)), ``b`` of shape (d^(l),).
    trace : Trace
        x^(l), s^(l), delta^(l) and dropout masks of the last pass.
    """

    def __init__(
        self,
        sizes,
        *,
        activation: str = "tanh",
        init: str = "xavier",
        rng: np.random.Generator,
        variance: float | None = None,
        value: float | None = None,
        dropout=0.0,
    ) -> None:
        sizes = [int(d) for d in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least two positive widths, got {sizes!r}")
        if activation not in ACTIVATIONS:
            allowed = ", ".join(ACTIVATIONS)
            raise ValueError(f"activation must be one of {allowed}; got {activation!r}")
        self.sizes = sizes
        self.activation = activation
        self._phi, self._phi_prime = ACTIVATIONS[activation]
        self.rng = rng
        self.dropout = self._per_hidden_layer(dropout)
        self.params: list[np.ndarray] = []
        for d_in, d_out in zip(sizes[:-1], sizes[1:]):
            W = init_weights(init, d_in, d_out, rng=rng, variance=variance, value=value)
            self.params += [W, np.zeros(d_out)]
        self.trace = Trace()

    def _per_hidden_layer(self, dropout) -> list[float]:
        n_hidden = len(self.sizes) - 2
        ps = [float(dropout)] * n_hidden if np.ndim(dropout) == 0 else [float(p) for p in dropout]
        if len(ps) != n_hidden:
            raise ValueError(f"dropout needs one p per hidden layer ({n_hidden}), got {len(ps)}")
        for p in ps:
            check_drop_probability(p)
        return ps

    @property
    def n_layers(self) -> int:
        """L, the number of weight layers."""
        return len(self.sizes) - 1

    @property
    def weights(self) -> list[np.ndarray]:
        """[W^(1), ..., W^(L)]."""
        return self.params[0::2]

    @property
    def biases(self) -> list[np.ndarray]:
        """[b^(1), ..., b^(L)]."""
        return self.params[1::2]

    def forward(self, X: np.ndarray, *, train: bool = False, masks=None) -> np.ndarray:
        """Scores s^(L) of shape (N, d^(L)); records x^(l) and s^(l) in ``trace``.

        Parameters
        ----------
        X : numpy.ndarray
            Inputs x^(0), shape (N, d^(0)).
        train : bool
            A training pass: dropout acts (with fresh masks from ``self.rng``).
        masks : list, optional
            Keep-masks to use instead of fresh ones, indexed like ``trace.masks``
            (for gradient checks and for comparing two conventions on the same masks).
        """
        x = np.asarray(X, dtype=float)
        trace = Trace(x=[x], s=[None], delta=[None] * (self.n_layers + 1), masks=[None])
        with np.errstate(over="raise", invalid="raise"):
            try:
                for ell in range(1, self.n_layers + 1):
                    W, b = self.params[2 * ell - 2], self.params[2 * ell - 1]
                    s = x @ W + b
                    trace.s.append(s)
                    if ell == self.n_layers:
                        x = s
                        trace.masks.append(None)
                    else:
                        x = self._phi(s)
                        p = self.dropout[ell - 1]
                        mask = masks[ell] if masks is not None else None
                        if mask is None and train and p > 0:
                            mask = dropout_mask(x.shape, p, rng=self.rng)
                        if mask is not None:
                            x = x * mask / (1.0 - p)
                        trace.masks.append(mask)
                    trace.x.append(x)
            except FloatingPointError:
                raise _diverged("the scores s^(l)") from None
        if not np.isfinite(x).all():
            raise _diverged("the scores s^(L)")
        self.trace = trace
        return x

    def propagate_delta(self, delta_out: np.ndarray) -> list:
        """Carry delta^(L) = ``delta_out`` back through the last forward pass.

        delta_j^(l-1) = sum_k delta_k^(l) w_jk^(l) phi'(s_j^(l-1)) (times the dropout mask and
        1/(1-p) where dropout acted). Fills and returns ``trace.delta``.
        """
        trace = self.trace
        delta = np.asarray(delta_out, dtype=float)
        with np.errstate(over="raise", invalid="raise"):
            try:
                for ell in range(self.n_layers, 0, -1):
                    trace.delta[ell] = delta
                    if ell > 1:
                        back = delta @ self.params[2 * ell - 2].T
                        mask = trace.masks[ell - 1]
                        if mask is not None:
                            back = back * mask / (1.0 - self.dropout[ell - 2])
                        delta = back * self._phi_prime(trace.s[ell - 1])
            except FloatingPointError:
                raise _diverged("the backward signal delta^(l)") from None
        return trace.delta

    def backward(self, delta_out: np.ndarray) -> list[np.ndarray]:
        """Gradients of the last forward pass, aligned with ``params``, given delta^(L).

        d/dW^(l) = x^(l-1)^T delta^(l) and d/db^(l) = sum over samples of delta^(l).
        """
        deltas = self.propagate_delta(delta_out)
        grads = []
        with np.errstate(over="raise", invalid="raise"):
            try:
                for ell in range(1, self.n_layers + 1):
                    grads += [self.trace.x[ell - 1].T @ deltas[ell], deltas[ell].sum(axis=0)]
            except FloatingPointError:
                raise _diverged("the gradients") from None
        return grads

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray, *, masks=None) -> tuple[float, list]:
        """Mean softmax cross-entropy of a training pass and its gradients (dropout acts).

        With p = softmax(s^(L)), the loss is mean_n [log sum_k exp(s_nk) - s_n,y_n] (the
        log-sum-exp is shifted by the row maximum so that it never overflows) and
        delta^(L) = (p - onehot(y)) / N.
        """
        scores = self.forward(X, train=True, masks=masks)
        loss, delta_out = softmax_cross_entropy(scores, y)
        return loss, self.backward(delta_out)

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean softmax cross-entropy of the full network (a test pass: no dropout)."""
        return softmax_cross_entropy(self.forward(X), y)[0]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted classes of a test pass."""
        return self.forward(X).argmax(axis=1)

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        """Fraction of ``X`` classified as ``y`` in a test pass."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def copy_params(self) -> list[np.ndarray]:
        """A copy of ``params`` (to keep the best weights, or to compare before and after)."""
        return [p.copy() for p in self.params]

    def set_params(self, params) -> None:
        """Overwrite ``params`` in place (the same array objects stay in ``params``)."""
        for mine, new in zip(self.params, params, strict=True):
            mine[...] = new


def softmax_cross_entropy(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(scores) against integer labels ``y``, and its delta^(L)."""
    y = np.asarray(y)
    n = scores.shape[0]
    with np.errstate(over="raise", invalid="raise", under="ignore"):
        try:
            shifted = scores - scores.max(axis=1, keepdims=True)
            log_norm = np.log(np.exp(shifted).sum(axis=1))
            loss = float(np.mean(log_norm - shifted[np.arange(n), y]))
        except FloatingPointError:
            raise _diverged("the loss") from None
    probs = np.exp(shifted - log_norm[:, None])
    probs[np.arange(n), y] -= 1.0
    return loss, probs / n
