"""The dropout / early-stopping dashboard and the ensemble-vs-K figure of notebook 03.

Rows: a control move to the first picture with curve points (budget 300 ms), a move to the
final picture of a whole training run (budget 2 s), the same two for moves to new settings
only (what a student waits for when the dashboard trains), the CPU per move over a sweep of
every control (budget 0.25 s on the mean; the sweep of :func:`bench_optimization.cpu_sweep`,
with the patience slider through all its values), and the ensemble-vs-K figure: the averages of
up to 128 thinned nets and a 1024-net reference on the 359 validation images, drawn and encoded
as PNG (budget 1 s).
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
from lecture_lib.regularization import ensemble_distances
from lecture_lib.training import fit


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
    ]
