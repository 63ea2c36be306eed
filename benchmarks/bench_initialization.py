"""The initialization dashboard: a control change to new PNG bytes in ``image.value``."""

from __future__ import annotations

import numpy as np
from timing import row, time_calls

from lecture_lib.dashboards import InitializationDashboard


def benchmarks() -> list[dict]:
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
    return [row("init dashboard: control move -> new PNG", samples, 100.0)]
