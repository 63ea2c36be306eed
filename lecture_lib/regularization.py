"""Regularization experiments: slides "Deep Learning Regularization" (early stopping lives in
:func:`lecture_lib.training.fit`).

Dropout, as on the slides: "drop p, keep 1-p", so ``p`` is the probability to **drop** a unit.
Its primitives (:func:`dropout`, :func:`dropout_mask`, :func:`check_drop_probability`) live in
:mod:`lecture_lib.dropout`, below the network, and are re-exported here; the network's passes
(:class:`lecture_lib.network.MLP`) apply dropout in either convention:

* plain dropout: training x = phi(s) * mask; testing x = (1-p) * phi(s) (the slides' test-time
  "pseudo" dropout: the score a unit feeds forward matches its expectation in training).
* inverted dropout: training x = phi(s) * mask / (1-p); testing x = phi(s), unchanged.

This module sits above the network: experiments that read an MLP's ``params``, ``sizes`` and
``dropout`` (its per-hidden-layer drop probabilities) and never change its weights. Masks are
lists indexed like ``MLP.trace.masks``: ``masks[l]`` is the boolean keep-mask of hidden layer l
(shape (N, d^(l)), or (d^(l),) for one thinned net shared by all rows), None where nothing is
dropped; ``masks[0]`` (the input) and ``masks[L]`` (the output) are always None. Dropout runs
over many seeds live in :mod:`lecture_lib.regularization_studies`.
"""

from __future__ import annotations

import numpy as np

from lecture_lib import validate
from lecture_lib.dropout import check_drop_probability, dropout, dropout_mask
from lecture_lib.network import MLP, softmax, softmax_cross_entropy

__all__ = [
    "MAX_THINNED_ROWS", "check_drop_probability", "distance_from_start", "draw_masks", "dropout",
    "dropout_forward", "dropout_mask", "ensemble_distances", "knockout_damage",
    "plain_loss_and_grads", "plain_to_inverted", "sgd_same_masks", "softmax", "thinned_average",
    "thinned_weights", "training_score_mean", "wrong_labels",
]

#: The most rows (thinned nets times inputs) one averaging call may push through the network:
#: about a minute of work for the notebooks' nets. Larger requests are refused.
MAX_THINNED_ROWS = 10_000_000

#: Rows per block of a thinned-net pass: no intermediate array exceeds about 4 MiB.
_BLOCK_FLOATS = 1 << 19


def _net(net: object) -> MLP:
    return validate.instance("net", net, MLP, "a lecture_lib.network.MLP")


def _block_rows(net: MLP) -> int:
    return max(1, _BLOCK_FLOATS // max(net.sizes))


def draw_masks(net: MLP, n_rows: int | None, *, rng: np.random.Generator) -> list:
    """Keep-masks for every hidden layer of ``net`` with its drop probabilities.

    ``n_rows=None`` draws one thinned network (masks of shape (d^(l),), shared by all rows);
    an integer draws one thinned network per row (shape (n_rows, d^(l))), as in training.
    """
    net = _net(net)
    n_rows = validate.optional_positive_int("n_rows", n_rows)
    rng = validate.rng("rng", rng)
    masks = [None]
    for ell in range(1, net.n_layers):
        p = net.dropout[ell - 1]
        shape = (net.sizes[ell],) if n_rows is None else (n_rows, net.sizes[ell])
        masks.append(dropout_mask(shape, p, rng=rng) if p > 0 else None)
    return masks + [None]


def dropout_forward(
    net: MLP, X: np.ndarray, *, masks=None, inverted: bool = True, scores: bool = False
) -> list[np.ndarray] | np.ndarray:
    """A pass of ``net`` in either dropout convention (slides "Dropout During Testing").

    With ``masks`` (a training pass with those keep-masks m):

    * inverted: x^(l) = phi(s^(l)) * m / (1-p)   (what :class:`MLP` does in training)
    * plain:    x^(l) = phi(s^(l)) * m

    Without ``masks`` (a test pass):

    * inverted: x^(l) = phi(s^(l))               (unchanged)
    * plain:    x^(l) = (1-p) phi(s^(l))          (the slides' test-time "pseudo" dropout)

    Returns the output scores s^(L), or with ``scores=True`` the list [s^(1), ..., s^(L)].
    The pass is :meth:`MLP.trace_pass`; ``net.trace`` is left as it was.
    """
    scores = validate.boolean("scores", scores)
    trace = _net(net).trace_pass(X, masks=masks, inverted=inverted)
    return trace.s[1:] if scores else trace.s[-1]


def plain_loss_and_grads(net: MLP, X: np.ndarray, y: np.ndarray, *, masks) -> tuple[float, list]:
    """Loss and gradients of a training pass in the **plain** convention (no 1/(1-p)).

    :meth:`MLP.loss_and_grads` with ``inverted=False``: delta^(l-1) = (delta^(l) W^(l)T * m)
    phi'(s^(l-1)), the mask without the factor 1/(1-p). ``params`` of ``net`` are read as
    plain-dropout weights. Like every pass, it records ``net.trace``.
    """
    if masks is None:
        raise ValueError("masks must be given (regularization.draw_masks): the keep-masks m")
    return _net(net).loss_and_grads(X, y, masks=masks, inverted=False)


def plain_to_inverted(params, ps) -> list[np.ndarray]:
    """Convert plain-dropout weights into inverted-dropout weights computing the same function.

    A plain net feeds phi(s) m into W^(l+1); an inverted one feeds phi(s) m / (1-p). So
    W_inverted^(l+1) = (1-p_l) W_plain^(l+1) for every hidden layer l (biases unchanged): the
    training passes agree for every mask, and so do the test passes
    ((1-p) phi(s) W_plain = phi(s) W_inverted).

    Parameters
    ----------
    params : list of numpy.ndarray
        ``[W1, b1, ..., WL, bL]`` of the plain-dropout net.
    ps : sequence of float
        Drop probability of each hidden layer (``MLP.dropout``).
    """
    params = _param_list("params", params)
    if isinstance(ps, (str, bytes)) or not np.iterable(ps):
        raise ValueError(f"ps must be a list of drop probabilities, got {ps!r}")
    ps = [check_drop_probability(p) for p in ps]
    weights, biases = params[0::2], params[1::2]
    if len(weights) != len(ps) + 1:
        raise ValueError(
            f"need one p per hidden layer: {len(weights)} weight layers have "
            f"{len(weights) - 1} hidden layers, got {len(ps)} values of p"
        )
    for ell, p in enumerate(ps, start=1):  # W^(l+1) reads hidden layer l
        weights[ell] *= 1.0 - p
    return [array for pair in zip(weights, biases) for array in pair]


def _param_list(name: str, params) -> list[np.ndarray]:
    """``[W1, b1, ..., WL, bL]`` as float copies (an even number of numeric arrays)."""
    if not isinstance(params, (list, tuple)) or len(params) < 2 or len(params) % 2:
        raise ValueError(f"{name} must be a list [W1, b1, ..., WL, bL] of arrays (MLP.params)")
    out = []
    for i, w in enumerate(params):
        w = np.asarray(w)
        if w.dtype.kind not in "biuf":
            raise ValueError(f"{name}[{i}] must be numbers, got dtype {w.dtype}")
        out.append(np.array(w, dtype=float))
    return out


def _thinned_outputs(net: MLP, X: np.ndarray, K: int, rng, per_row: bool, probabilities: bool):
    """Yield (k, outputs) for groups of up to 64 thinned nets: outputs of shape (k, N, classes).

    Net k is ``net`` with the keep-masks of draw k (inverted scaling). The masks of a group
    are drawn at once (booleans, small); the passes run in blocks of whole nets (the rows of
    ``X`` once per net) so that no intermediate array exceeds about 4 MiB (or one pass over
    ``X``, if that is larger). The results are those of one pass over all rows.
    """
    n = len(X)
    nets_per_block = max(1, _block_rows(net) // n)  # whole nets per block of rows
    tiled = np.tile(X, (min(nets_per_block, 64, K), 1))
    done = 0
    while done < K:  # up to 64 thinned nets per group
        k = min(64, K - done)
        rows = k * n
        masks = draw_masks(net, rows if per_row else k, rng=rng)
        scores = np.empty((rows, net.sizes[-1]))
        for first in range(0, k, nets_per_block):
            last = min(first + nets_per_block, k)
            begin, end = first * n, last * n
            if per_row:
                block_masks = [m if m is None else m[begin:end] for m in masks]
            else:
                block_masks = [m if m is None else np.repeat(m[first:last], n, axis=0)
                               for m in masks]
            scores[begin:end] = net.trace_pass(tiled[:end - begin], masks=block_masks).s[-1]
        scores = scores.reshape(k, n, -1)
        yield k, (softmax(scores) if probabilities else scores)
        done += k


def _check_thinned(net, X, K, rng, per_row, probabilities):
    net = _net(net)
    X = validate.features("X", X, width=net.sizes[0])
    K = validate.positive_int("K", K)
    if K * len(X) > MAX_THINNED_ROWS:
        raise ValueError(
            f"K = {K:,} thinned nets on {len(X):,} rows is {K * len(X):,} passes of a row; the "
            f"limit is {MAX_THINNED_ROWS:,} (minutes of work): use a smaller K or fewer rows"
        )
    return (net, X, K, validate.rng("rng", rng), validate.boolean("per_row", per_row),
            validate.boolean("probabilities", probabilities))


def thinned_average(
    net: MLP,
    X: np.ndarray,
    K: int,
    *,
    rng: np.random.Generator,
    per_row: bool = True,
    probabilities: bool = True,
) -> np.ndarray:
    """Running averages of the softmax outputs (or scores) of K random thinned networks.

    "Dropout: implicit aggregation of many thinner networks" (slides): net k is ``net`` with the
    keep-masks of draw k (inverted scaling). Returns an array of shape (K, N, classes) whose
    entry k-1 is the average over the first k nets, so one call gives every K up to ``K``.
    With ``per_row=True`` every row gets its own thinned nets (as in training). With
    ``probabilities=False`` the output scores s^(L) are averaged instead of softmax(s^(L)).
    Memory: the result, plus about 20 MiB of intermediate arrays whatever K and N.
    """
    net, X, K, rng, per_row, probabilities = _check_thinned(
        net, X, K, rng, per_row, probabilities)
    validate.array_size("the averages of K thinned nets", (K, len(X), net.sizes[-1]))
    averages = np.empty((K, len(X), net.sizes[-1]))
    total = np.zeros((len(X), net.sizes[-1]))
    done = 0
    for k, outputs in _thinned_outputs(net, X, K, rng, per_row, probabilities):
        running = total + np.cumsum(outputs, axis=0)
        averages[done:done + k] = running / np.arange(done + 1, done + k + 1)[:, None, None]
        total = running[-1]
        done += k
    return averages


def _final_thinned_average(net: MLP, X: np.ndarray, K: int, rng) -> np.ndarray:
    """``thinned_average(net, X, K, rng=rng)[-1]`` without keeping the K running averages."""
    total = np.zeros((len(X), net.sizes[-1]))
    for _, outputs in _thinned_outputs(net, X, K, rng, True, True):
        total = (total + np.cumsum(outputs, axis=0))[-1]
    return total / np.arange(1, K + 1)[-1]


def knockout_damage(net: MLP, X: np.ndarray, y: np.ndarray, *, layer: int = 1) -> np.ndarray:
    """Loss increase when one hidden unit of ``layer`` is switched off, for every unit.

    Entry j is loss(net with x_j^(layer) = 0) - loss(net) on ``(X, y)``, both test passes
    (no dropout, inverted convention). A large entry means the network depends on unit j
    (co-adaptation, slides "Co-Adaptation Issue of Deep Learning").
    """
    net = _net(net)
    X = validate.features("X", X, width=net.sizes[0])
    y = validate.labels("y", y, n_classes=net.sizes[-1], n_rows=len(X))
    if net.n_layers < 2:
        raise ValueError("net has no hidden layer to knock a unit out of")
    if not validate.is_integer(layer) or not 1 <= layer < net.n_layers:
        raise ValueError(f"layer must be a hidden layer 1..{net.n_layers - 1}, got {layer!r}")
    d = net.sizes[layer]
    masks = [None] * (net.n_layers + 1)  # given masks, plain form: a zero, no rescaling
    base = softmax_cross_entropy(dropout_forward(net, X, masks=masks, inverted=False), y)[0]
    damage = np.empty(d)
    for j in range(d):
        keep = np.ones(d, dtype=bool)
        keep[j] = False
        masks[layer] = keep
        scores = dropout_forward(net, X, masks=masks, inverted=False)
        damage[j] = softmax_cross_entropy(scores, y)[0] - base
    return damage


def distance_from_start(params, start) -> float:
    """‖w_t - w_0‖: the Euclidean distance of all weights from their initial values.

    A capacity proxy for early stopping (slides: "GD/SGD visits more weight combinations as t
    increases"): after t steps of size at most η‖Δ‖, the weights lie in a ball around w_0 whose
    radius grows with t, and a smaller ball holds fewer hypotheses (smaller effective d_VC).
    """
    for name, value in (("params", params), ("start", start)):
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{name} must be a list of arrays (MLP.params), got {value!r:.80}")
    if len(params) != len(start):
        raise ValueError(f"params has {len(params)} arrays but start has {len(start)}")
    for i, (a, b) in enumerate(zip(params, start)):
        if np.shape(a) != np.shape(b):
            raise ValueError(f"params[{i}] has shape {np.shape(a)} but start[{i}] {np.shape(b)}")
    return float(np.sqrt(sum(np.sum((np.asarray(a) - np.asarray(b)) ** 2)
                             for a, b in zip(params, start))))


def thinned_weights(params, masks) -> list[np.ndarray]:
    """The smaller matrices of one truly thinned network (one mask per hidden layer).

    Dropped units are removed: W^(l) loses the columns of the dropped units of layer l and
    W^(l+1) the matching rows, so a pass costs about (1-p) (first and last layer) or (1-p)^2
    (between two dropout layers) of the full matrix products. Kept units are scaled by 1/(1-p)
    (inverted) by the caller's convention; here only the selection is done.
    """
    if not isinstance(params, (list, tuple)) or len(params) < 2 or len(params) % 2:
        raise ValueError("params must be a list [W1, b1, ..., WL, bL] of arrays (MLP.params)")
    weights = [np.asarray(w) for w in params[0::2]]
    biases = [np.asarray(b) for b in params[1::2]]
    n_layers = len(weights)
    if not isinstance(masks, (list, tuple)) or len(masks) != n_layers + 1:
        raise ValueError(f"masks must be a list of {n_layers + 1} entries (draw_masks(net, None))")
    for ell in range(1, n_layers):
        keep = masks[ell]
        if keep is None:
            continue
        keep = np.asarray(keep, dtype=bool)
        if keep.ndim != 1:
            raise ValueError("a truly thinned net needs one mask per layer (shape (d,)), "
                             f"got shape {keep.shape}")
        if keep.shape[0] != weights[ell - 1].shape[1]:
            raise ValueError(f"masks[{ell}] has {keep.shape[0]} entries but layer {ell} has "
                             f"{weights[ell - 1].shape[1]} units")
        weights[ell - 1] = weights[ell - 1][:, keep]  # W^(l): columns of the kept units
        biases[ell - 1] = biases[ell - 1][keep]
        weights[ell] = weights[ell][keep, :]  # W^(l+1): their rows
    return [array for pair in zip(weights, biases) for array in pair]


def ensemble_distances(
    net: MLP, X: np.ndarray, Ks, *, K_ref: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """How fast the average of K thinned nets settles: distance to a large-K reference.

    Returns ``(distances, reference)``: ``distances[i]`` is the root-mean-square over rows of
    ‖p̄_K - p̄_ref‖ (Euclidean, on softmax probability vectors) for K = ``Ks[i]``, where p̄_K
    averages the first K thinned nets of one sequence and p̄_ref averages ``K_ref`` other,
    independent thinned nets. Independent draws give a distance of about σ √(1/K + 1/K_ref),
    i.e. 1/√K while K << K_ref.
    """
    if isinstance(Ks, (str, bytes)) or np.ndim(Ks) != 1 or len(Ks) == 0:
        raise ValueError(f"Ks must be a non-empty list of integers >= 1, got {Ks!r:.80}")
    Ks = np.asarray([validate.positive_int(f"Ks[{i}]", k) for i, k in enumerate(Ks)])
    K_ref = validate.positive_int("K_ref", K_ref)
    net, X, K_ref, rng, _, _ = _check_thinned(net, X, K_ref, rng, True, True)
    _check_thinned(net, X, int(Ks.max()), rng, True, True)
    reference = _final_thinned_average(net, X, K_ref, rng)
    running = thinned_average(net, X, int(Ks.max()), rng=rng)
    diff = running[Ks - 1] - reference
    return np.sqrt(np.mean(np.sum(diff**2, axis=2), axis=1)), reference


def training_score_mean(
    net: MLP, X: np.ndarray, M: int, *, rng: np.random.Generator, inverted: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo mean of the training-pass scores over M keep-masks per row, and its error.

    Row i of ``X`` is passed M times, each with its own masks (drawn as
    ``draw_masks(net, len(X) * M, rng=rng)`` for ``np.repeat(X, M, axis=0)``: rows
    i M .. i M + M - 1 belong to row i), in the convention ``inverted``. Returns
    ``(mean, standard_error)``, both of shape (N, classes): the mean of the M training scores
    s^(L) of each row and their standard deviation / √M. Slides "Dropout During Testing":
    the mean tends to the test-pass score (exactly, for a net with one hidden layer).

    The same ``rng`` seed gives the same masks in both conventions. Memory: the boolean masks
    (N M d^(l) bytes per layer) plus about 20 MiB, instead of the repeated inputs and every
    layer of all N M passes at once.
    """
    net = _net(net)
    X = validate.features("X", X, width=net.sizes[0])
    M = validate.integer("M", M, minimum=2)
    if M * len(X) > MAX_THINNED_ROWS:
        raise ValueError(f"M = {M:,} masks for {len(X):,} rows is {M * len(X):,} passes of a "
                         f"row; the limit is {MAX_THINNED_ROWS:,}: use a smaller M")
    inverted = validate.boolean("inverted", inverted)
    masks = draw_masks(net, len(X) * M, rng=rng)
    per_block = max(1, _block_rows(net) // M)  # rows of X per block
    mean = np.empty((len(X), net.sizes[-1]))
    error = np.empty_like(mean)
    for begin in range(0, len(X), per_block):
        end = min(begin + per_block, len(X))
        block = [m if m is None else m[begin * M:end * M] for m in masks]
        scores = net.trace_pass(np.repeat(X[begin:end], M, axis=0), masks=block,
                                inverted=inverted).s[-1].reshape(end - begin, M, -1)
        mean[begin:end] = scores.mean(axis=1)
        error[begin:end] = scores.std(axis=1) / np.sqrt(M)
    return mean, error


def sgd_same_masks(
    plain_net: MLP,
    inverted_net: MLP,
    X: np.ndarray,
    y: np.ndarray,
    *,
    eta: float,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Train a plain-dropout and an inverted-dropout net by SGD, w <- w - η Δ, side by side.

    Both see the same minibatches and the same keep-masks, with the same η. Returns, after
    each epoch, the largest |difference| between the test-pass scores of ``inverted_net`` and
    of ``plain_net`` converted by :func:`plain_to_inverted` (0 if the two trained identically).
    """
    plain_net = validate.instance("plain_net", plain_net, MLP, "a lecture_lib.network.MLP")
    inverted_net = validate.instance("inverted_net", inverted_net, MLP,
                                     "a lecture_lib.network.MLP")
    eta = validate.positive_float("eta", eta)
    epochs = validate.positive_int("epochs", epochs, maximum=validate.MAX_STEPS)
    batch_size = validate.positive_int("batch_size", batch_size)
    rng = validate.rng("rng", rng)
    if plain_net.sizes != inverted_net.sizes or plain_net.activation != inverted_net.activation:
        raise ValueError("plain_net and inverted_net need the same sizes and activation")
    if list(plain_net.dropout) != list(inverted_net.dropout):
        raise ValueError("both nets need the same drop probabilities p")
    X = validate.features("X", X, width=plain_net.sizes[0])
    y = validate.labels("y", y, n_classes=plain_net.sizes[-1], n_rows=len(X))
    if epochs * -(-len(X) // batch_size) > validate.MAX_STEPS:
        raise ValueError(f"epochs = {epochs:,} of {-(-len(X) // batch_size):,} steps exceeds "
                         f"the limit of {validate.MAX_STEPS:,} steps")
    gaps = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for begin in range(0, len(X), batch_size):
            batch = order[begin:begin + batch_size]
            masks = draw_masks(plain_net, len(batch), rng=rng)
            _, g_plain = plain_loss_and_grads(plain_net, X[batch], y[batch], masks=masks)
            _, g_inv = inverted_net.loss_and_grads(X[batch], y[batch], masks=masks)
            for w, g in zip(plain_net.params, g_plain):
                w -= eta * g
            for w, g in zip(inverted_net.params, g_inv):
                w -= eta * g
        converted = plain_to_inverted(plain_net.params, plain_net.dropout)
        copy = [w.copy() for w in inverted_net.params]
        inverted_net.set_params(converted)
        plain_scores = inverted_net.forward(X)
        inverted_net.set_params(copy)
        gaps.append(float(np.max(np.abs(inverted_net.forward(X) - plain_scores))))
    return np.asarray(gaps)


def wrong_labels(y: np.ndarray, fraction: float, *, n_classes: int,
                 rng: np.random.Generator) -> np.ndarray:
    """A copy of the labels ``y`` in which ``round(fraction * len(y))`` of them, chosen at
    random, are replaced by another class (uniformly among the ``n_classes - 1`` wrong ones).

    Label noise: a training set with consistent mistakes the network can only fit by
    memorising them (slides "Co-Adaptation Issue": "like noise", corrected by fitting, "like
    overfit").
    """
    n_classes = validate.integer("n_classes", n_classes, minimum=2)
    y = validate.labels("y", y, n_classes=n_classes)
    if not validate.is_number(fraction) or not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be a number with 0 <= fraction <= 1, got {fraction!r}")
    rng = validate.rng("rng", rng)
    changed = rng.choice(len(y), size=round(fraction * len(y)), replace=False)
    noisy = y.copy()
    noisy[changed] = (y[changed] + rng.integers(1, n_classes, size=len(changed))) % n_classes
    return noisy
