"""Learning-rate sweeps on the digits: many networks trained at once (slides "Deep Learning
Optimization", notebook 02b).

* :func:`train_many`: K digits networks (64-64-10, tanh, Xavier: :func:`~lecture_lib.training.
  digits_net`) trained *at once*, vectorized over the networks, each with its own seed, rule
  and η; the rules are the steps of :data:`lecture_lib.optim.RULES` applied to the stacked
  arrays, the pass is :mod:`lecture_lib.network`'s layer functions and loss. With one network it
  reproduces :func:`lecture_lib.training.train_each` step for step.
* :func:`lr_sweep`, :func:`lr_sweeps`: the final training loss over a grid of η and seeds, for
  one rule or several; :func:`best_eta`: the η with the smallest median loss over seeds.

"Epoch e" is the state after e full passes over the training set (epoch 1 = after the first
pass); t counts update steps as on the slides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lecture_lib import validate
from lecture_lib.network import affine, backprop, cross_entropy, layer_gradients
from lecture_lib.optim import RULES, get_rule
from lecture_lib.training import EXPLODE_FACTOR, digits_net


@dataclass(frozen=True)
class SweepCurves:
    """What :func:`train_many` measured, one row per network, one column per epoch.

    Column e-1 is "epoch e", after e passes over the training set. Entries after a network
    diverged are nan.

    Attributes
    ----------
    train_loss, val_loss, val_acc : numpy.ndarray
        Shape (K, epochs); mean cross-entropy on the full training / validation sets and the
        validation accuracy (test passes).
    diverged : numpy.ndarray
        Shape (K,), bool.
    """

    train_loss: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    diverged: np.ndarray

    def select(self, rows) -> SweepCurves:
        """The curves of some networks only (``rows``: a slice, indices or a boolean mask)."""
        return SweepCurves(self.train_loss[rows], self.val_loss[rows], self.val_acc[rows],
                           self.diverged[rows])

    @property
    def final_train_loss(self) -> np.ndarray:
        """Training loss after the last epoch; inf for a diverged network."""
        return np.where(self.diverged, np.inf, self.train_loss[:, -1])


def _evaluate(params, X, y, chunk: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy and accuracy of every network on (X, y), a few networks at a time
    (bounded memory); the first layer of a chunk is one matrix product."""
    W1, b1, W2, b2 = params
    K, d, h = W1.shape
    loss, acc = np.empty(K), np.empty(K)
    for k0 in range(0, K, chunk):
        ks = slice(k0, min(k0 + chunk, K))
        k = ks.stop - ks.start
        W = W1[ks].transpose(1, 0, 2).reshape(d, k * h)
        H = np.tanh((X @ W).reshape(len(X), k, h) + b1[ks]).transpose(1, 0, 2)
        S = affine(H, W2[ks], b2[ks, None])
        loss[ks] = cross_entropy(S, y)[0]
        acc[ks] = np.mean(S.argmax(axis=2) == y, axis=1)
    return loss, acc


def train_many(
    rule,
    splits,
    *,
    etas,
    seeds,
    epochs: int,
    batch_size: int = 64,
    beta=0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    record: str = "epoch",
    dtype=np.float64,
) -> SweepCurves:
    """Train K digits networks at once, network k from ``digits_net(seeds[k])`` with η = etas[k].

    Network k sees the minibatches of :func:`lecture_lib.training.train_each` with seed
    ``seeds[k]`` (an rng seeded ``seeds[k] + 1`` permutes the training set each epoch), so with
    K = 1 the run is the same as ``train_each`` step for step. Each rule is the step of
    :data:`lecture_lib.optim.RULES` (e.g. momentum v_t = β v_{t-1} + (1-β) Δ_t,
    w_t = w_{t-1} - η v_t), applied to the stacked arrays of the networks that use it.

    A network whose minibatch or evaluated loss becomes non-finite or exceeds
    ``EXPLODE_FACTOR`` × max(1, its first minibatch loss) is marked diverged (as in
    :func:`lecture_lib.training.fit`) and frozen.

    Parameters
    ----------
    rule : str or sequence of str
        A rule of :data:`lecture_lib.optim.RULES` for all networks, or one per network.
    splits : lecture_lib.data.Splits
        Uses the training and validation parts.
    etas, seeds, beta : scalar or sequence
        η > 0, the seed and β (0 <= β < 1) of each network; scalars are repeated. β is the
        hyperparameter the rule's ``beta`` names (Adam's β1; unused by SGD).
    epochs, batch_size : int
    beta2, eps : float
        β2 and ε of the rules that take them (Adam's β2; RMSProp's and Adam's ε).
    record : {"epoch", "final"}
        Evaluate after every epoch, or only after the last one (faster; the other columns nan).
    dtype : numpy dtype
        float64 (default) or float32 (about twice as fast; enough for sweeps).

    Returns
    -------
    SweepCurves
    """
    dtype = validate.choice("dtype", np.dtype(dtype).name, ("float64", "float32"))
    record = validate.choice("record", record, ("epoch", "final"))
    epochs = validate.positive_int("epochs", epochs, maximum=10_000)
    batch_size = validate.positive_int("batch_size", batch_size)
    beta2 = validate.probability("beta2", beta2)
    eps = validate.positive_float("eps", eps)
    for name, value in (("etas", etas), ("seeds", seeds), ("beta", beta)):
        array = np.asarray(value)
        if array.dtype.kind not in "biuf" or array.size == 0:
            raise ValueError(f"{name} must be a number or a non-empty sequence of numbers, got "
                             f"{value!r:.60}")
    if not np.all(np.asarray(seeds) == np.round(np.asarray(seeds))) or np.any(
            np.asarray(seeds) < 0):
        raise ValueError(f"every seed must be an integer >= 0, got {seeds!r:.60}")
    try:
        etas, seeds, betas = np.broadcast_arrays(
            np.asarray(etas, dtype=float), np.asarray(seeds), np.asarray(beta, dtype=float))
    except ValueError:
        raise ValueError("etas, seeds and beta must be scalars or sequences of one length, got "
                         f"shapes {np.shape(etas)}, {np.shape(seeds)} and {np.shape(beta)}"
                         ) from None
    etas, seeds, betas = etas.ravel(), seeds.ravel().astype(int), betas.ravel()
    K = len(etas)
    rules = [rule] * K if isinstance(rule, str) else list(rule)
    if len(rules) != K:
        raise ValueError(f"got {len(rules)} rules for {K} networks")
    for r in rules:
        validate.choice("rule", r, RULES)
    if not np.all(np.isfinite(etas) & (etas > 0)):
        raise ValueError(f"every eta must be a finite number > 0, got {etas!r}")
    if not np.all((betas >= 0) & (betas < 1)):
        raise ValueError(f"every beta must satisfy 0 <= beta < 1, got {betas!r}")
    # per network: the initial, current and gradient weights and two running averages, and per
    # minibatch its inputs, hidden outputs and their δ (64 wide) and the scores (10 wide, 3 ways)
    weights = 64 * 64 + 64 + 64 * 10 + 10
    per_network = 5 * weights + min(batch_size, len(splits.X_train)) * (3 * 64 + 3 * 10)
    validate.array_size("networks (etas x seeds)", (K, per_network),
                        itemsize=np.dtype(dtype).itemsize)
    groups = {r: np.flatnonzero([x == r for x in rules]) for r in dict.fromkeys(rules)}
    if len(groups) == 1:
        groups = {rules[0]: slice(None)}
    for r in groups:
        missing = [h.name for h in get_rule(r).hyperparameters or ()
                   if h.required and h.name not in ("eta", get_rule(r).beta)]
        if missing:
            raise ValueError(f"rule {r!r} needs {', '.join(missing)}, which train_many does not "
                             "set; it sets η, β (the rule's beta), β2 and ε")

    X, y = np.asarray(splits.X_train, dtype=dtype), np.asarray(splits.y_train)
    Xv, yv = np.asarray(splits.X_val, dtype=dtype), np.asarray(splits.y_val)
    n = len(X)
    inits = [digits_net(int(s)).params for s in seeds]
    params = [np.stack([p[j] for p in inits]).astype(dtype) for j in range(4)]  # W1, b1, W2, b2
    rngs = [np.random.default_rng(int(s) + 1) for s in seeds]
    shape = [(K, 1, 1), (K, 1), (K, 1, 1), (K, 1)]
    eta_of = [etas.reshape(s).astype(dtype) for s in shape]
    beta_of = [betas.reshape(s).astype(dtype) for s in shape]
    # per rule and parameter array: the hyperparameters of its networks, and its state
    hyper, state = {}, {}
    for r, idx in groups.items():
        step_rule = get_rule(r)
        for j, w in enumerate(params):
            given = {"eta": eta_of[j][idx], "beta2": beta2, "eps": eps}
            if step_rule.beta is not None:
                given[step_rule.beta] = beta_of[j][idx]
            hyper[r, j] = {**step_rule.defaults(), **step_rule.pick(given)}
            state[r, j] = step_rule.initial_state(w[idx], hyper[r, j], dtype=w.dtype)
    active = np.ones(K, dtype=bool)
    threshold = None
    curves = {name: np.full((K, epochs), np.nan) for name in ("train", "val", "acc")}
    t = 0
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            orders = np.stack([r.permutation(n) for r in rngs])
            for begin in range(0, n, batch_size):
                batch = orders[:, begin:begin + batch_size]
                Xb = X[batch]                                   # (K, B, 64)
                W1, b1, W2, b2 = params
                H = np.tanh(affine(Xb, W1, b1[:, None]))        # x^(1)
                S = affine(H, W2, b2[:, None])                  # s^(2)
                loss, d2 = cross_entropy(S, y[batch])           # δ^(2)
                if threshold is None:
                    threshold = EXPLODE_FACTOR * np.maximum(1.0, loss)
                active &= loss <= threshold                     # also False for nan
                d1 = backprop(d2, W2) * (1.0 - H * H)           # tanh'(s) = 1 - (x^(1))²
                grads = layer_gradients(Xb, d1) + layer_gradients(H, d2)
                t += 1
                for j, (w, g) in enumerate(zip(params, grads, strict=True)):
                    g[~active] = 0.0
                    for r, idx in groups.items():
                        step_rule = get_rule(r)
                        extra = {"t": t} if step_rule.uses_t else {}
                        w[idx], *state[r, j] = step_rule.step(
                            w[idx], g[idx], *state[r, j], **extra, **hyper[r, j])
                    w[~active] = 0.0  # a diverged network is frozen at finite values
            if record == "epoch" or epoch == epochs - 1:
                train, _ = _evaluate(params, X, y)
                val, acc = _evaluate(params, Xv, yv)
                active &= (train <= threshold) & (val <= threshold)
                for name, value in (("train", train), ("val", val), ("acc", acc)):
                    curves[name][:, epoch] = np.where(active, value, np.nan)
    return SweepCurves(curves["train"], curves["val"], curves["acc"], ~active)


def lr_sweep(rule: str, splits, etas, seeds, *, epochs: int, batch_size: int = 64,
             beta: float = 0.9, **hyper) -> np.ndarray:
    """Final training loss of ``rule`` for every η of ``etas`` and seed of ``seeds``; all
    len(etas) × len(seeds) networks are trained at once by :func:`train_many`.

    Returns
    -------
    numpy.ndarray
        Shape (len(etas), len(seeds)); inf where the run diverged.
    """
    etas, seeds = validate.positive_numbers("etas", etas), np.asarray(seeds)
    grid_eta, grid_seed = (a.ravel() for a in np.meshgrid(etas, seeds, indexing="ij"))
    curves = train_many(rule, splits, etas=grid_eta, seeds=grid_seed, beta=beta, epochs=epochs,
                        batch_size=batch_size, record="final", **hyper)
    return curves.final_train_loss.reshape(len(etas), len(seeds))


def lr_sweeps(configs: dict, splits, etas, seeds, *, epochs: int, batch_size: int = 64,
              **hyper) -> dict:
    """:func:`lr_sweep` for several (rule, β), one after the other (bounded memory).

    Parameters
    ----------
    configs : dict
        Name → (rule, β), e.g. ``{"RMSProp, β = 0": ("RMSProp", 0.0)}``.

    Returns
    -------
    dict
        Name → final training losses of shape (len(etas), len(seeds)); inf where diverged.
    """
    if not isinstance(configs, dict) or not configs:
        raise ValueError(f"configs must be a non-empty dict name -> (rule, beta), got "
                         f"{configs!r:.60}")
    for name, config in configs.items():
        if not isinstance(config, tuple) or len(config) != 2:
            raise ValueError(f"configs[{name!r}] must be a pair (rule, beta), e.g. "
                             f"('momentum', 0.9), got {config!r:.60}")
        validate.choice(f"configs[{name!r}] rule", config[0], RULES)
        validate.probability(f"configs[{name!r}] beta", config[1])
    return {name: lr_sweep(rule, splits, etas, seeds, epochs=epochs, batch_size=batch_size,
                           beta=beta, **hyper) for name, (rule, beta) in configs.items()}


def best_eta(etas, losses: np.ndarray) -> float:
    """The η of ``etas`` with the smallest median loss over seeds (rows of ``losses``; inf
    marks a run that diverged, as :func:`lr_sweep` returns it)."""
    etas = validate.positive_numbers("etas", etas)
    losses = np.asarray(losses)
    if losses.dtype.kind not in "biuf" or losses.ndim != 2 or losses.shape[0] != etas.size:
        raise ValueError(f"losses must be numbers of shape (len(etas), seeds) = ({etas.size}, "
                         f"...), got shape {losses.shape}")
    if losses.shape[1] == 0 or np.any(np.isnan(losses)):
        raise ValueError("losses must hold a loss per seed and no NaN (inf marks a divergence)")
    return float(etas[int(np.argmin(np.median(losses, axis=1)))])
