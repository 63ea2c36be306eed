"""Regularization: slides "Deep Learning Regularization" (early stopping lives in
:func:`lecture_lib.training.fit`).

Dropout, as on the slides: "drop p, keep 1-p", so ``p`` is the probability to **drop** a unit.
(cs231n's assignments and some libraries call the *keep* probability p.)

* plain dropout: training x = phi(s) * mask; testing x = (1-p) * phi(s) (the slides' test-time
  "pseudo" dropout: the score a unit feeds forward matches its expectation in training).
* inverted dropout: training x = phi(s) * mask / (1-p); testing x = phi(s), unchanged.
"""

from __future__ import annotations

import numpy as np


def check_drop_probability(p: float) -> float:
    """Return ``p`` if it is a valid drop probability 0 <= p < 1, else raise ValueError."""
    if not np.isfinite(p) or p < 0 or p >= 1:
        raise ValueError(
            f"dropout p is the probability to drop a unit and must satisfy 0 <= p < 1, got {p!r}"
            + (": p = 1 would drop every unit, so nothing reaches the next layer"
               " (and inverted dropout would divide by 1 - p = 0)" if p == 1 else "")
        )
    return float(p)


def dropout_mask(shape, p: float, *, rng: np.random.Generator) -> np.ndarray:
    """Boolean keep-mask: each entry True (kept) with probability 1-p, independently."""
    return rng.random(shape) >= check_drop_probability(p)


def dropout(
    x: np.ndarray, p: float, *, rng: np.random.Generator, train: bool = True, inverted: bool = True
) -> np.ndarray:
    """Dropout of the outputs ``x`` of a layer, with drop probability ``p``.

    Parameters
    ----------
    x : numpy.ndarray
        Layer outputs x^(l).
    p : float
        Probability to drop each unit, 0 <= p < 1.
    rng : numpy.random.Generator
        Draws the mask.
    train : bool
        Training pass (random mask) or test pass (deterministic).
    inverted : bool
        Inverted dropout (scale kept units by 1/(1-p) in training, nothing at test time) or
        plain dropout (no scaling in training, multiply by (1-p) at test time).

    Returns
    -------
    numpy.ndarray
        In expectation over masks, the training output equals the test output.
    """
    check_drop_probability(p)
    x = np.asarray(x, dtype=float)
    if not train:
        return x.copy() if inverted else (1.0 - p) * x
    if p == 0:
        return x.copy()
    kept = x * dropout_mask(x.shape, p, rng=rng)
    return kept / (1.0 - p) if inverted else kept


# --------------------------------------------------------------------------- helpers on an MLP
# The functions below read an MLP's ``params``, ``sizes``, ``activation`` and ``dropout`` (its
# per-hidden-layer drop probabilities) and never change the network. Masks are lists indexed
# like ``MLP.trace.masks``: ``masks[l]`` is the boolean keep-mask of hidden layer l (shape
# (N, d^(l)) or (d^(l),) for one thinned net shared by all rows), None where nothing is dropped;
# ``masks[0]`` (the input) and ``masks[L]`` (the output) are always None.


def _phi(net):
    from lecture_lib.activations import ACTIVATIONS

    return ACTIVATIONS[net.activation]


def check_count(name: str, n) -> int:
    """Return ``n`` if it is an integer >= 1, else raise ValueError naming ``name``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {n!r}")
    return int(n)


def draw_masks(net, n_rows: int | None, *, rng: np.random.Generator) -> list:
    """Keep-masks for every hidden layer of ``net`` with its drop probabilities.

    ``n_rows=None`` draws one thinned network (masks of shape (d^(l),), shared by all rows);
    an integer draws one thinned network per row (shape (n_rows, d^(l))), as in training.
    """
    masks = [None]
    for ell in range(1, net.n_layers):
        p = net.dropout[ell - 1]
        shape = (net.sizes[ell],) if n_rows is None else (check_count("n_rows", n_rows),
                                                         net.sizes[ell])
        masks.append(dropout_mask(shape, p, rng=rng) if p > 0 else None)
    return masks + [None]


def dropout_forward(
    net, X: np.ndarray, *, masks=None, inverted: bool = True, scores: bool = False
) -> list[np.ndarray] | np.ndarray:
    """A pass of ``net`` in either dropout convention (slides "Dropout During Testing").

    With ``masks`` (a training pass with those keep-masks m):

    * inverted: x^(l) = phi(s^(l)) * m / (1-p)   (what :class:`MLP` does)
    * plain:    x^(l) = phi(s^(l)) * m

    Without ``masks`` (a test pass):

    * inverted: x^(l) = phi(s^(l))               (unchanged)
    * plain:    x^(l) = (1-p) phi(s^(l))          (the slides' test-time "pseudo" dropout)

    Returns the output scores s^(L), or with ``scores=True`` the list [s^(1), ..., s^(L)].
    """
    phi, _ = _phi(net)
    x = np.asarray(X, dtype=float)
    all_scores = []
    for ell in range(1, net.n_layers + 1):
        s = x @ net.params[2 * ell - 2] + net.params[2 * ell - 1]
        all_scores.append(s)
        if ell == net.n_layers:
            break
        x = phi(s)
        p = net.dropout[ell - 1]
        mask = None if masks is None else masks[ell]
        if mask is not None:
            x = x * mask / (1.0 - p) if inverted else x * mask
        elif masks is None and not inverted:
            x = (1.0 - p) * x
    return all_scores if scores else all_scores[-1]


def plain_loss_and_grads(net, X: np.ndarray, y: np.ndarray, *, masks) -> tuple[float, list]:
    """Loss and gradients of a training pass in the **plain** convention (no 1/(1-p)).

    Same backprop as :meth:`MLP.loss_and_grads`, with delta^(l-1) = (delta^(l) W^(l)T * m)
    phi'(s^(l-1)): the mask without the factor 1/(1-p). ``params`` of ``net`` are read as
    plain-dropout weights.
    """
    from lecture_lib.network import softmax_cross_entropy

    phi, phi_prime = _phi(net)
    xs, ss = [np.asarray(X, dtype=float)], [None]
    for ell in range(1, net.n_layers + 1):
        s = xs[-1] @ net.params[2 * ell - 2] + net.params[2 * ell - 1]
        ss.append(s)
        if ell < net.n_layers:
            x = phi(s)
            if masks[ell] is not None:
                x = x * masks[ell]
            xs.append(x)
    loss, delta = softmax_cross_entropy(ss[-1], y)
    grads: list[np.ndarray] = []
    for ell in range(net.n_layers, 0, -1):
        grads = [xs[ell - 1].T @ delta, delta.sum(axis=0)] + grads
        if ell > 1:
            back = delta @ net.params[2 * ell - 2].T
            if masks[ell - 1] is not None:
                back = back * masks[ell - 1]
            delta = back * phi_prime(ss[ell - 1])
    return loss, grads


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
    params = [np.array(w, dtype=float) for w in params]
    ps = [check_drop_probability(p) for p in ps]
    if len(params) != 2 * (len(ps) + 1):
        raise ValueError(
            f"need one p per hidden layer: {len(params) // 2} weight layers have "
            f"{len(params) // 2 - 1} hidden layers, got {len(ps)} values of p"
        )
    for ell, p in enumerate(ps, start=1):  # W^(l+1) sits at index 2l
        params[2 * ell] *= 1.0 - p
    return params


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum (never overflows)."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def thinned_average(
    net,
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
    """
    K = check_count("K", K)
    X = np.asarray(X, dtype=float)
    n = len(X)
    averages = np.empty((K, n, net.sizes[-1]))
    total = np.zeros((n, net.sizes[-1]))
    done = 0
    while done < K:  # up to 64 thinned nets per pass, stacked as rows: fewer, larger products
        k = min(64, K - done)
        if per_row:
            masks = draw_masks(net, k * n, rng=rng)
        else:
            masks = [m if m is None else np.repeat(m, n, axis=0)
                     for m in draw_masks(net, k, rng=rng)]
        scores = dropout_forward(net, np.tile(X, (k, 1)), masks=masks).reshape(k, n, -1)
        outputs = softmax(scores) if probabilities else scores
        running = total + np.cumsum(outputs, axis=0)
        averages[done:done + k] = running / np.arange(done + 1, done + k + 1)[:, None, None]
        total = running[-1]
        done += k
    return averages


def knockout_damage(net, X: np.ndarray, y: np.ndarray, *, layer: int = 1) -> np.ndarray:
    """Loss increase when one hidden unit of ``layer`` is switched off, for every unit.

    Entry j is loss(net with x_j^(layer) = 0) - loss(net) on ``(X, y)``, both test passes
    (no dropout, inverted convention). A large entry means the network depends on unit j
    (co-adaptation, slides "Co-Adaptation Issue of Deep Learning").
    """
    from lecture_lib.network import softmax_cross_entropy

    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not (
        1 <= layer < net.n_layers
    ):
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
    if len(params) != len(start):
        raise ValueError(f"got {len(params)} parameter arrays but {len(start)} initial ones")
    return float(np.sqrt(sum(np.sum((np.asarray(a) - np.asarray(b)) ** 2)
                             for a, b in zip(params, start))))


def thinned_weights(params, masks) -> list[np.ndarray]:
    """The smaller matrices of one truly thinned network (one mask per hidden layer).

    Dropped units are removed: W^(l) loses the columns of the dropped units of layer l and
    W^(l+1) the matching rows, so a pass costs about (1-p) (first and last layer) or (1-p)^2
    (between two dropout layers) of the full matrix products. Kept units are scaled by 1/(1-p)
    (inverted) by the caller's convention; here only the selection is done.
    """
    out = [np.asarray(w) for w in params]
    n_layers = len(out) // 2
    for ell in range(1, n_layers):
        keep = masks[ell]
        if keep is None:
            continue
        keep = np.asarray(keep, dtype=bool)
        if keep.ndim != 1:
            raise ValueError("a truly thinned net needs one mask per layer (shape (d,)), "
                             f"got shape {keep.shape}")
        out[2 * ell - 2] = out[2 * ell - 2][:, keep]
        out[2 * ell - 1] = out[2 * ell - 1][keep]
        out[2 * ell] = out[2 * ell][keep, :]
    return out


def ensemble_distances(
    net, X: np.ndarray, Ks, *, K_ref: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """How fast the average of K thinned nets settles: distance to a large-K reference.

    Returns ``(distances, reference)``: ``distances[i]`` is the root-mean-square over rows of
    ‖p̄_K - p̄_ref‖ (Euclidean, on softmax probability vectors) for K = ``Ks[i]``, where p̄_K
    averages the first K thinned nets of one sequence and p̄_ref averages ``K_ref`` other,
    independent thinned nets. Independent draws give a distance of about σ √(1/K + 1/K_ref),
    i.e. 1/√K while K << K_ref.
    """
    Ks = np.asarray([check_count("K", int(k)) for k in Ks])
    K_ref = check_count("K_ref", K_ref)
    reference = thinned_average(net, X, K_ref, rng=rng)[-1]
    running = thinned_average(net, X, int(Ks.max()), rng=rng)
    diff = running[Ks - 1] - reference
    return np.sqrt(np.mean(np.sum(diff**2, axis=2), axis=1)), reference


def sgd_same_masks(
    plain_net,
    inverted_net,
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
    epochs, batch_size = check_count("epochs", epochs), check_count("batch_size", batch_size)
    if not (np.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be a finite number > 0, got {eta!r}")
    if list(plain_net.dropout) != list(inverted_net.dropout):
        raise ValueError("both nets need the same drop probabilities p")
    X, y = np.asarray(X, dtype=float), np.asarray(y)
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
