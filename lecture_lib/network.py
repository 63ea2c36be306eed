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
outputs x^(l) of hidden layers, in either convention of :mod:`lecture_lib.dropout`: inverted (the
default: a kept unit is scaled by 1/(1-p) in training, test passes use the full network
unchanged) or plain (kept units unscaled in training, x^(l) = (1-p) phi(s^(l)) in test passes).

The package's one forward and backward pass is here: the layer functions :func:`affine`,
:func:`backprop`, :func:`layer_gradients` and the loss :func:`cross_entropy` work on one
network's arrays or on K networks stacked on a leading axis. The :class:`MLP` strings them
together with dropout (the experiments of :mod:`lecture_lib.regularization` call it with the
convention and the masks they need); :func:`lecture_lib.sweeps.train_many` calls them on
stacked networks and :func:`lecture_lib.variance.propagate_statistics` on the initialization
dashboard's draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lecture_lib import validate
from lecture_lib.activations import ACTIVATIONS
from lecture_lib.dropout import check_drop_probability, dropout_mask
from lecture_lib.init import SCHEMES, init_weights


class DivergenceError(ArithmeticError):
    """Numbers left float64's range: the weights or the step size are too large."""


@dataclass
class Trace:
    """What the last pass computed, indexed by the slides' layer number l.

    ``x[0]`` is the input x^(0); ``x[l]``, ``s[l]``, ``delta[l]`` are x^(l), s^(l), delta^(l)
    for l = 1..L, arrays of shape (N, d^(l)). ``s[0]`` and ``delta[0]`` are None (the input has
    no score). ``masks[l]`` is the boolean keep-mask dropout used on hidden layer l in the last
    training pass (None where no dropout acted). ``delta`` is filled by a backward pass.
    ``inverted`` is the dropout convention of the pass (the backward pass follows it).
    """

    x: list = field(default_factory=list)
    s: list = field(default_factory=list)
    delta: list = field(default_factory=list)
    masks: list = field(default_factory=list)
    inverted: bool = True


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
        Layer l's arrays are also reachable by name: ``net.W(l)``, ``net.b(l)``.
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
        if isinstance(sizes, (str, bytes)) or not np.iterable(sizes):
            raise ValueError(f"sizes must be a list of layer widths, got {sizes!r}")
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least two widths (input, output), got {sizes!r}")
        sizes = [validate.positive_int(f"sizes[{i}]", d) for i, d in enumerate(sizes)]
        n_weights = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
        validate.array_size("the weights of sizes", (n_weights,))
        self.activation = validate.choice("activation", activation, ACTIVATIONS)
        validate.choice("init", init, SCHEMES)
        self.rng = validate.rng("rng", rng)
        self.sizes = sizes
        self._phi, self._phi_prime = ACTIVATIONS[activation]
        self.dropout = dropout
        self.params: list[np.ndarray] = []
        for d_in, d_out in zip(sizes[:-1], sizes[1:]):
            W = init_weights(init, d_in, d_out, rng=rng, variance=variance, value=value)
            self.params += [W, np.zeros(d_out)]
        self.trace = Trace()

    @property
    def dropout(self) -> list[float]:
        """Drop probability p of each hidden layer, [p_1, ..., p_(L-1)] (checked when set)."""
        return self._dropout

    @dropout.setter
    def dropout(self, dropout) -> None:
        n_hidden = len(self.sizes) - 2
        if isinstance(dropout, (str, bytes)) or np.ndim(dropout) == 0:
            ps = [check_drop_probability(dropout)] * n_hidden
        else:
            ps = [check_drop_probability(p) for p in dropout]
            if len(ps) != n_hidden:
                raise ValueError(
                    f"dropout needs one p per hidden layer ({n_hidden}), got {len(ps)}")
        self._dropout = ps

    @property
    def n_layers(self) -> int:
        """L, the number of weight layers."""
        return len(self.sizes) - 1

    def _layer_index(self, ell: object) -> int:
        return validate.integer("ell (the layer l)", ell, minimum=1, maximum=self.n_layers)

    def W(self, ell: int) -> np.ndarray:
        """W^(l), shape (d^(l-1), d^(l)), for the slides' layer l = 1..L (in ``params``)."""
        return self.params[2 * self._layer_index(ell) - 2]

    def b(self, ell: int) -> np.ndarray:
        """b^(l), shape (d^(l),), for l = 1..L (the array in ``params``)."""
        return self.params[2 * self._layer_index(ell) - 1]

    def layer(self, ell: int) -> tuple[np.ndarray, np.ndarray]:
        """(W^(l), b^(l)) for the slides' layer l = 1..L."""
        return self.W(ell), self.b(ell)

    @property
    def weights(self) -> list[np.ndarray]:
        """[W^(1), ..., W^(L)]."""
        return self.params[0::2]

    @property
    def biases(self) -> list[np.ndarray]:
        """[b^(1), ..., b^(L)]."""
        return self.params[1::2]

    def _inputs(self, X) -> np.ndarray:
        X = validate.features("X", X, width=self.sizes[0])
        validate.array_size("a pass over X", (len(X), 2 * sum(self.sizes)))
        return X

    def _labels(self, y, n_rows: int) -> np.ndarray:
        return validate.labels("y", y, n_classes=self.sizes[-1], n_rows=n_rows)

    def _masks(self, masks, n_rows: int) -> list | None:
        if masks is None:
            return None
        if isinstance(masks, np.ndarray) or not isinstance(masks, (list, tuple)) or len(
            masks
        ) != self.n_layers + 1:
            raise ValueError(
                f"masks must be a list of {self.n_layers + 1} entries (masks[l] for l = 0..L, "
                "None where nothing is dropped), as made by regularization.draw_masks"
            )
        checked = list(masks)
        for ell, mask in enumerate(checked):
            if mask is None:
                continue
            if ell in (0, self.n_layers):
                raise ValueError(f"masks[{ell}] must be None: dropout acts on hidden layers only")
            mask = np.asarray(mask)
            d = self.sizes[ell]
            if mask.dtype != bool or mask.shape not in ((d,), (n_rows, d)):
                raise ValueError(
                    f"masks[{ell}] must be a boolean keep-mask of shape ({d},) or ({n_rows}, {d}), "
                    f"got dtype {mask.dtype} and shape {mask.shape}"
                )
            checked[ell] = mask
        return checked

    def trace_pass(
        self, X: np.ndarray, *, train: bool = False, masks=None, inverted: bool = True
    ) -> Trace:
        """One forward pass, returned as a :class:`Trace` (``self.trace`` is left as it was).

        Hidden layer l computes x^(l) = phi(s^(l)) and then, with keep-mask m and drop
        probability p (slides "Dropout During Testing"):

        =================================  ========================  =====================
        pass                               inverted (default)        plain
        =================================  ========================  =====================
        with a mask m (training)           phi(s) * m / (1-p)        phi(s) * m
        test pass (``masks=None``)         phi(s)                    (1-p) phi(s)
        =================================  ========================  =====================

        Parameters
        ----------
        X : numpy.ndarray
            Inputs x^(0), shape (N, d^(0)).
        train : bool
            A training pass: without ``masks``, fresh masks from ``self.rng`` (where p > 0).
        masks : list, optional
            Keep-masks to use, indexed like ``trace.masks`` (``masks[l]`` of shape (N, d^(l)),
            or (d^(l),) for one thinned net shared by all rows; None where nothing is dropped).
            Given masks make the pass a training pass with exactly those masks.
        inverted : bool
            The dropout convention.
        """
        x = self._inputs(X)
        train = validate.boolean("train", train)
        inverted = validate.boolean("inverted", inverted)
        return self._pass(x, train, self._masks(masks, len(x)), inverted)

    def _pass(self, x: np.ndarray, train: bool, masks: list | None, inverted: bool) -> Trace:
        """The pass of :meth:`trace_pass` on arguments already checked."""
        trace = Trace(x=[x], s=[None], delta=[None] * (self.n_layers + 1), masks=[None],
                      inverted=inverted)
        with np.errstate(over="raise", invalid="raise"):
            try:
                for ell in range(1, self.n_layers + 1):
                    s = affine(x, self.params[2 * ell - 2], self.params[2 * ell - 1])
                    trace.s.append(s)
                    if ell == self.n_layers:
                        x = s
                        trace.masks.append(None)
                    else:
                        x = self._phi(s)
                        p = self.dropout[ell - 1]
                        mask = masks[ell] if masks is not None else None
                        if masks is None and train and p > 0:
                            mask = dropout_mask(x.shape, p, rng=self.rng)
                        if mask is not None:
                            x = x * mask / (1.0 - p) if inverted else x * mask
                        elif masks is None and not inverted:
                            x = (1.0 - p) * x
                        trace.masks.append(mask)
                    trace.x.append(x)
            except FloatingPointError:
                raise _diverged("the scores s^(l)") from None
        if not np.isfinite(x).all():
            raise _diverged("the scores s^(L)")
        return trace

    def forward(
        self, X: np.ndarray, *, train: bool = False, masks=None, inverted: bool = True
    ) -> np.ndarray:
        """Scores s^(L) of shape (N, d^(L)); records x^(l) and s^(l) in ``trace``.

        The pass of :meth:`trace_pass` (same parameters), kept in ``self.trace`` for a
        backward pass.
        """
        self.trace = self.trace_pass(X, train=train, masks=masks, inverted=inverted)
        return self.trace.x[-1]

    def propagate_delta(self, delta_out: np.ndarray) -> list:
        """Carry delta^(L) = ``delta_out`` back through the last forward pass.

        delta_j^(l-1) = sum_k delta_k^(l) w_jk^(l) phi'(s_j^(l-1)), times the dropout mask
        where dropout acted (and 1/(1-p) in the inverted convention). Fills and returns
        ``trace.delta``.
        """
        trace = self.trace
        if not trace.s:
            raise ValueError("propagate_delta needs a forward pass first")
        delta = np.asarray(delta_out)
        if delta.dtype.kind not in "biuf" or delta.shape != trace.s[-1].shape:
            raise ValueError(
                f"delta_out must be a float array of the scores' shape {trace.s[-1].shape}, "
                f"got {delta.dtype} of shape {delta.shape}"
            )
        delta = delta.astype(float, copy=False)
        with np.errstate(over="raise", invalid="raise"):
            try:
                for ell in range(self.n_layers, 0, -1):
                    trace.delta[ell] = delta
                    if ell > 1:
                        back = backprop(delta, self.params[2 * ell - 2])
                        mask = trace.masks[ell - 1]
                        if mask is not None:
                            if trace.inverted:
                                back = back * mask / (1.0 - self.dropout[ell - 2])
                            else:
                                back = back * mask
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
                    grads += layer_gradients(self.trace.x[ell - 1], deltas[ell])
            except FloatingPointError:
                raise _diverged("the gradients") from None
        return grads

    def loss_and_grads(
        self, X: np.ndarray, y: np.ndarray, *, masks=None, inverted: bool = True
    ) -> tuple[float, list]:
        """Mean softmax cross-entropy of a training pass and its gradients (dropout acts).

        With p = softmax(s^(L)), the loss is mean_n [log sum_k exp(s_nk) - s_n,y_n] (the
        log-sum-exp is shifted by the row maximum so that it never overflows) and
        delta^(L) = (p - onehot(y)) / N. ``masks`` and ``inverted`` as in :meth:`trace_pass`;
        with ``inverted=False`` the parameters are read as plain-dropout weights (backprop
        multiplies by the mask without the factor 1/(1-p)).
        """
        X = self._inputs(X)
        y = self._labels(y, len(X))
        inverted = validate.boolean("inverted", inverted)
        self.trace = self._pass(X, True, self._masks(masks, len(X)), inverted)
        loss, delta_out = _cross_entropy(self.trace.x[-1], y)
        return loss, self.backward(delta_out)

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean softmax cross-entropy of the full network (a test pass: no dropout)."""
        X = self._inputs(X)
        y = self._labels(y, len(X))
        return _cross_entropy(self.forward(X), y)[0]

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(loss, accuracy) of one test pass: :meth:`loss` and :meth:`accuracy` from the same
        scores s^(L), so a training loop that records both passes the data once."""
        X = self._inputs(X)
        y = self._labels(y, len(X))
        scores = self.forward(X)
        return _cross_entropy(scores, y)[0], float(np.mean(scores.argmax(axis=1) == y))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted classes of a test pass."""
        return self.forward(X).argmax(axis=1)

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        """Fraction of ``X`` classified as ``y`` in a test pass."""
        X = self._inputs(X)
        y = self._labels(y, len(X))
        return float(np.mean(self.predict(X) == y))

    def copy_params(self) -> list[np.ndarray]:
        """A copy of ``params`` (to keep the best weights, or to compare before and after)."""
        return [p.copy() for p in self.params]

    def set_params(self, params) -> None:
        """Overwrite ``params`` in place (the same array objects stay in ``params``)."""
        if not isinstance(params, (list, tuple)) or len(params) != len(self.params):
            raise ValueError(
                f"params must be a list of {len(self.params)} arrays [W1, b1, ...], "
                f"got {type(params).__name__}"
                + (f" of {len(params)}" if isinstance(params, (list, tuple)) else "")
            )
        for i, (mine, new) in enumerate(zip(self.params, params)):
            new = np.asarray(new)
            if new.shape != mine.shape or new.dtype.kind not in "biuf":
                raise ValueError(
                    f"params[{i}] must be numbers of shape {mine.shape}, got {new.dtype} "
                    f"of shape {new.shape}"
                )
        for mine, new in zip(self.params, params):
            mine[...] = new


# The pass of one layer, on arrays of one network (N, d) or of K stacked networks (K, N, d):
# the MLP and the vectorised trainer (lecture_lib.sweeps.train_many) both call these.


def affine(x: np.ndarray, W: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """s^(l) = x^(l-1) W^(l) + b^(l) for a batch of rows x (the slides' sum over i)."""
    s = x @ W
    return s if b is None else s + b


def backprop(delta: np.ndarray, W: np.ndarray) -> np.ndarray:
    """sum_k delta_k^(l) w_jk^(l): the backward signal before the factor phi'(s_j^(l-1))."""
    return delta @ np.swapaxes(W, -1, -2)


def layer_gradients(x: np.ndarray, delta: np.ndarray) -> list[np.ndarray]:
    """[d/dW^(l), d/db^(l)] = [x^(l-1)^T delta^(l), sum over the rows of delta^(l)]."""
    return [np.swapaxes(x, -1, -2) @ delta, delta.sum(axis=-2)]


def _shifted(scores: np.ndarray) -> np.ndarray:
    """scores - their row maximum: softmax's shift, so that exp never overflows."""
    return scores - scores.max(axis=-1, keepdims=True)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax p_k = exp(s_k) / sum_j exp(s_j), shifted by the row maximum."""
    e = np.exp(_shifted(np.asarray(scores, dtype=float)))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(scores) against integer labels ``y``, and its delta^(L)."""
    scores = np.asarray(scores)
    if scores.dtype.kind not in "biuf" or scores.ndim != 2 or scores.shape[0] == 0:
        raise ValueError(
            f"scores must be a non-empty 2-D array of numbers (N, classes), got {scores.dtype} "
            f"of shape {scores.shape}"
        )
    scores = scores.astype(float, copy=False)
    y = validate.labels("y", y, n_classes=scores.shape[1], n_rows=len(scores))
    return _cross_entropy(scores, y)


def cross_entropy(scores: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The package's one softmax cross-entropy, on checked arrays, for one network or many.

    With p = softmax(s^(L)) row by row, the loss is mean_n [log sum_k exp(s_nk) - s_n,y_n]
    (the log-sum-exp shifted by the row maximum, so it never overflows) and
    delta^(L) = (p - onehot(y)) / N.

    Parameters
    ----------
    scores : numpy.ndarray
        s^(L), shape (..., N, classes): leading axes stack networks or variants.
    y : numpy.ndarray
        Integer labels, shape (N,) or (..., N).

    Returns
    -------
    loss : numpy.ndarray
        Shape (...): the mean over the N rows.
    delta : numpy.ndarray
        Shape of ``scores``.
    """
    n = scores.shape[-2]
    labels = np.broadcast_to(y, scores.shape[:-1])[..., None]
    shifted = _shifted(scores)
    log_norm = np.log(np.exp(shifted).sum(axis=-1))
    loss = np.mean(log_norm - np.take_along_axis(shifted, labels, axis=-1)[..., 0], axis=-1)
    probs = np.exp(shifted - log_norm[..., None])
    np.put_along_axis(probs, labels, np.take_along_axis(probs, labels, axis=-1) - 1.0, axis=-1)
    return loss, probs / n


def _cross_entropy(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """:func:`cross_entropy` of one network's checked float scores (N, classes) and int
    labels, raising :class:`DivergenceError` where the numbers left float64's range."""
    with np.errstate(over="raise", invalid="raise", under="ignore"):
        try:
            loss, delta = cross_entropy(scores, y)
        except FloatingPointError:
            raise _diverged("the loss") from None
    return float(loss), delta
