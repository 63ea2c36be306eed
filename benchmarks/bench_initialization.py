"""The initialization dashboard: a control change to new PNG bytes in ``image.value``.

Wall time per move (the first row, as before), then process CPU time (``time.process_time``,
less sensitive to other processes on a shared machine) per move over a sweep of every control
through its range, per control, and the memory the constructor adds (``tracemalloc``: numpy
reports its arrays there).
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import numpy as np
from timing import row, time_calls

from lecture_lib.dashboards import InitializationDashboard

CPU_P50_BUDGET_MS = 40.0
CPU_PER_CONTROL_BUDGET_MS = 100.0


def constructor_mib() -> tuple[float, float]:
    """MiB still allocated after building a dashboard, and the peak while building it."""
    gc.collect()
    tracemalloc.start()
    try:
        dashboard = InitializationDashboard()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del dashboard
    return current / 2**20, peak / 2**20


def sweep(dashboard: InitializationDashboard) -> list[tuple[str, object]]:
    """Every control through its range (and back), the tanh/ReLU toggle in several settings."""
    d = dashboard
    moves: list[tuple[str, object]] = []
    for exponent in np.arange(d.c.min, d.c.max + d.c.step / 2, 1.0):
        moves.append(("c", float(d.c.base**exponent)))
    moves += [("c", 1.0)]
    for preset in ("He", "zeros", "constant", "random c/d", "Xavier"):
        moves.append(("preset", preset))
    for setting in (("depth", 20), ("preset", "He"), ("c", 16.0), ("depth", 10)):
        moves += [setting, ("activation", "relu"), ("activation", "tanh")]
    moves += [("preset", "Xavier")]
    for depth in list(range(d.depth.min, d.depth.max + 1, 3)) + [10]:
        moves.append(("depth", depth))
    for width in list(range(d.width.min, d.width.max + 1, 60)) + [d.width.max]:
        moves.append(("width", width))
    for exponent in np.arange(d.input_variance.min, d.input_variance.max + 0.05, 0.5):
        moves.append(("input_variance", float(10.0**exponent)))
    moves += [("input_variance", 1.0)]
    return moves


def benchmarks() -> list[dict]:
    mib, peak_mib = constructor_mib()
    dashboard = InitializationDashboard()
    rng = np.random.default_rng(0)
    moves = []
    # a student's session: mostly the c slider, some presets, activation, width, input variance
    for value in rng.uniform(-7, 8, size=16):
        moves.append((dashboard.c, float(2**value)))
    moves += [(dashboard.preset, "He"), (dashboard.preset, "Xavier"), (dashboard.preset, "zeros"),
              (dashboard.preset, "constant"), (dashboard.preset, "Xavier")]
    moves += [(dashboard.activation, "relu"), (dashboard.c, 2.0), (dashboard.activation, "tanh")]
    moves += [(dashboard.width, 200), (dashboard.width, 500)]
    moves += [(dashboard.input_variance, 0.01), (dashboard.input_variance, 1.0)]
    moves += [(dashboard.depth, 12), (dashboard.depth, 10)]

    def move(widget, value):
        before = dashboard.image.value
        widget.value = value
        assert dashboard.image.value is not before, "the move must produce a new picture"

    samples = time_calls(lambda w=w, v=v: move(w, v) for w, v in moves)
    rows = [row("init dashboard: control move -> new PNG", samples, 100.0)]

    cpu: dict[str, list[float]] = {}
    for name, value in sweep(dashboard):
        control = getattr(dashboard, name)
        if control.value == value:
            continue
        start = time.process_time()
        control.value = value
        cpu.setdefault(name, []).append((time.process_time() - start) * 1000.0)
    every = [ms for samples in cpu.values() for ms in samples]
    rows.append(row("init dashboard: CPU ms per move, sweep of every control", every,
                    CPU_P50_BUDGET_MS, mean_ms=round(float(np.mean(every)), 1),
                    max_ms=round(float(np.max(every)), 1),
                    note=f"constructor adds {mib:.1f} MiB (peak {peak_mib:.1f} MiB, "
                         "tracemalloc)"))
    for name, samples in cpu.items():
        # the budget holds for every move of the control: the row's value is the slowest move
        rows.append(row(f"init dashboard: slowest CPU ms per move of {name}", [max(samples)],
                        CPU_PER_CONTROL_BUDGET_MS, moves=len(samples),
                        median_ms=round(float(np.median(samples)), 1)))
    return rows
