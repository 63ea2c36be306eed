"""The dropout / early-stopping dashboard and the ensemble-vs-K figure of notebook 03.

Rows: a control move to the first picture with curve points (budget 300 ms), a move to the
final picture of a whole training run (budget 2 s), the same two for moves to new settings
only (what a student waits for when the dashboard trains), the CPU per move over a sweep of
every control (budget 0.25 s on the mean; the sweep of :func:`bench_optimization.cpu_sweep`,
with the patience slider through all its values), and the ensemble-vs-K figure: the averages of
up to 128 thinned nets and a 1024-net reference on the 359 validation images, drawn and encoded
as PNG (budget 1 s).

And the slides' "dropout: faster per iteration", measured (no budget: a comparison): one epoch
of SGD (300 images, minibatches of 20) on a 64-1024-1024-10 tanh net, p = 0.5, in three ways
sharing one hand-written step: the full net without dropout; per-sample masks (each row its
own thinned net, as ``fit`` trains: the products keep their full size); and one thinned net per
minibatch built smaller (``thinned_weights``), its gradients added back into the full matrices.
"""

from __future__ import annotations

import time

import numpy as np
from bench_optimization import cpu_row
from timing import row, time_calls

from lecture_lib.dashboards.regularization import RegularizationDashboard
from lecture_lib.data import load_digits
from lecture_lib.network import MLP
from lecture_lib.optim import Momentum
from lecture_lib.plots import figure_png, new_figure
from lecture_lib.regularization import draw_masks, ensemble_distances, thinned_weights
from lecture_lib.training import fit


def _gradients(params, X, y, masks, scale: float) -> list[np.ndarray]:
    """Minibatch gradients of a tanh net whose hidden outputs are multiplied by their keep-masks
    (``masks[l]`` for hidden layer l + 1, or None for all kept) and by ``scale``, 1/(1-p) in
    inverted dropout."""
    n_layers = len(params) // 2
    xs, hs = [X], []
    for ell in range(n_layers):
        s = xs[-1] @ params[2 * ell] + params[2 * ell + 1]
        if ell < n_layers - 1:
            hs.append(np.tanh(s))
            xs.append(hs[-1] * scale if masks is None else hs[-1] * masks[ell] * scale)
    s -= s.max(axis=1, keepdims=True)
    probs = np.exp(s)
    probs /= probs.sum(axis=1, keepdims=True)
    probs[np.arange(len(y)), y] -= 1.0
    delta, grads = probs / len(y), [None] * len(params)
    for ell in range(n_layers - 1, -1, -1):
        grads[2 * ell], grads[2 * ell + 1] = xs[ell].T @ delta, delta.sum(axis=0)
        if ell:
            back = delta @ params[2 * ell].T * scale
            if masks is not None:
                back *= masks[ell - 1]
            delta = back * (1.0 - hs[ell - 1] ** 2)
    return grads


def dropout_epoch_rows() -> list[dict]:
    """Time per epoch: full net, per-sample masks, one thinned net per minibatch built smaller."""
    digits = load_digits(seed=0)
    X, y = digits.X_train[:300], digits.y_train[:300]
    p, batch, eta = 0.5, 20, 0.01

    net = MLP([64, 1024, 1024, 10], activation="tanh", rng=np.random.default_rng(0), dropout=p)
    start = net.copy_params()

    def epoch(kind: str, seed: int) -> None:
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(X))
        for begin in range(0, len(X), batch):
            rows = order[begin:begin + batch]
            if kind == "thinned":
                masks = draw_masks(net, None, rng=rng)
                keep1, keep2 = masks[1], masks[2]
                g = _gradients(thinned_weights(net.params, masks), X[rows], y[rows], None,
                               1 / (1 - p))
                W1, b1, W2, b2, W3, b3 = net.params  # only the kept units' weights move
                W1[:, keep1] -= eta * g[0]
                b1[keep1] -= eta * g[1]
                W2[np.ix_(keep1, keep2)] -= eta * g[2]
                b2[keep2] -= eta * g[3]
                W3[keep2] -= eta * g[4]
                b3 -= eta * g[5]
                continue
            if kind == "full":
                g = _gradients(net.params, X[rows], y[rows], None, 1.0)
            else:
                masks = draw_masks(net, len(rows), rng=rng)
                g = _gradients(net.params, X[rows], y[rows], masks[1:-1], 1 / (1 - p))
            for w, grad in zip(net.params, g):
                w -= eta * grad

    kinds = {"full": "full net, no dropout", "per-sample": "per-sample masks (as fit trains)",
             "thinned": "one thinned net per minibatch, built smaller"}
    rows = []
    for kind, text in kinds.items():
        net.set_params(start)
        rows.append(row(f"dropout p = 0.5, one epoch (15 minibatches of 20), 64-1024-1024-10: "
                        f"{text}", time_calls(lambda k=kind, s=s: epoch(k, s) for s in range(9)),
                        None))
    return rows


def benchmarks() -> list[dict]:
    dashboard = RegularizationDashboard()
    moves = [(dashboard.p, v) for v in (0.0, 0.2, 0.5, 0.9, 0.35)]
    moves += [(dashboard.patience, v) for v in (1, 5, 20, 10)]
    moves += [(dashboard.eta, v) for v in (1e-3, 1e-2, 1e-1, 3e-3)]
    first, full, first_new, full_new = [], [], [], []
    for widget, value in moves:
        widget.value = value
        first.append(dashboard.first_points_ms)
        full.append(dashboard.run_ms)
        if dashboard.trained:
            first_new.append(dashboard.first_points_ms)
            full_new.append(dashboard.run_ms)
    cpu = cpu_row(
        "dropout dashboard: CPU per move, sweep of every control", RegularizationDashboard,
        250.0, lambda d: {"p": d.p, "patience": d.patience, "eta": d.eta,
                          "train_on_change": d.train_on_change},
        lambda d: {"train_button": d.train_button}, trained=lambda d: d.trained)

    digits = load_digits(seed=0)
    net = MLP([64, 64, 10], activation="relu", init="he", rng=np.random.default_rng(0),
              dropout=0.5)
    fit(net, Momentum(eta=0.05, beta=0.9), digits.X_train[:300], digits.y_train[:300],
        digits.X_val, digits.y_val, epochs=100, batch_size=20, rng=np.random.default_rng(2))
    Ks = np.unique(np.logspace(0, 7, 15, base=2).astype(int))

    def ensemble_figure(seed: int) -> bytes:
        distances, _ = ensemble_distances(net, digits.X_val, Ks, K_ref=1024,
                                          rng=np.random.default_rng(seed))
        fig = new_figure(7, 4)
        ax = fig.subplots()
        ax.loglog(Ks, distances, "o-")
        ax.loglog(Ks, distances[0] / np.sqrt(Ks), "k--")
        return figure_png(fig)

    ensemble = time_calls(lambda s=s: ensemble_figure(s) for s in range(5))
    stamp = time.strftime("%Y-%m-%d")
    return [
        row("dropout dashboard: move -> first curve points", first, 300.0, date=stamp),
        row("dropout dashboard: move -> full training run drawn", full, 2000.0, date=stamp),
        row("dropout dashboard: move to a new setting -> first curve points", first_new, 300.0),
        row("dropout dashboard: move to a new setting -> final picture", full_new, 2000.0),
        cpu,
        row("ensemble vs K figure (K <= 128, reference 1024 nets)", ensemble, 1000.0),
        *dropout_epoch_rows(),
    ]
