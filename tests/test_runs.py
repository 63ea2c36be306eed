"""lecture_lib.explorer, the math the dashboards draw, without any widget or figure: the runs
on the surfaces are :func:`lecture_lib.surfaces.run` of the same rule cut to the plotting box,
and the step budget of the training explorer. (The dropout dashboard's runs, DropoutRun,
early_stopping and RunCache, are tested in test_dashboard_regularization.py.)"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from lecture_lib.explorer import epoch_numbers, epochs_within, steps_per_epoch, surface_runs
from lecture_lib.optim import SGD, Adam, Momentum, RMSProp
from lecture_lib.surfaces import SURFACES, run

RULES = ("SGD", "momentum", "RMSProp", "Adam")


def test_the_math_imports_no_plotting_and_no_widgets():
    """lecture_lib.explorer is core: numpy only (what the dashboards draw is computed there)."""
    code = ("import sys, lecture_lib.explorer; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_surface_runs_give_each_rule_the_hyperparameters_it_takes():
    """β goes to momentum and RMSProp, β1 and β2 to Adam, with bias correction."""
    settings = {"eta": 0.1, "beta": 0.5, "beta1": 0.6, "beta2": 0.7, "noise": 0.0, "steps": 20,
                "seed": 0}
    runs = surface_runs("ravine", list(RULES), **settings)
    expected = {"SGD": SGD(0.1), "momentum": Momentum(0.1, 0.5), "RMSProp": RMSProp(0.1, 0.5),
                "Adam": Adam(0.1, 0.6, 0.7)}
    for rule, optimizer in expected.items():
        np.testing.assert_array_equal(runs[rule].path.w, run("ravine", optimizer, steps=20).w)
    with pytest.raises(ValueError, match="rule"):
        surface_runs("ravine", ["nope"], **settings)


def test_surface_runs_are_the_library_runs_cut_to_the_box():
    """What surface_runs returns is run() of lecture_lib with the same rule, the same noise for
    every rule, and the part inside the box; computed here without any widget."""
    result = surface_runs("ravine", ["SGD", "momentum"], eta=0.02, beta=0.9, beta1=0.9,
                          beta2=0.999, noise=0.5, steps=50, seed=3)
    expected = run("ravine", Momentum(0.02, 0.9), steps=50, noise=0.5,
                   rng=np.random.default_rng(3))
    np.testing.assert_array_equal(result["momentum"].path.w, expected.w)
    np.testing.assert_array_equal(result["momentum"].points, expected.w)  # all inside
    assert result["momentum"].exit_point is None
    gap = expected.E - 0.0  # the ravine's minimum is E = 0
    np.testing.assert_allclose(result["momentum"].gap, np.clip(gap, 1e-10, 1e3))
    assert result["momentum"].final_gap == pytest.approx(float(gap[-1]))
    sgd = surface_runs("ravine", ["SGD"], eta=0.02, beta=0.0, beta1=0.0, beta2=0.0,
                       noise=0.5, steps=50, seed=3)["SGD"]
    np.testing.assert_array_equal(sgd.path.w, result["SGD"].path.w)


def test_surface_runs_cut_a_diverging_path_at_the_box_edge():
    result = surface_runs("ravine", ["SGD"], eta=1.0, beta=0.9, beta1=0.9, beta2=0.999,
                          noise=0.0, steps=100, seed=0)["SGD"]
    assert result.path.diverged and result.exit_point is not None
    (x0, x1), (y0, y1) = SURFACES["ravine"].xlim, SURFACES["ravine"].ylim
    ex, ey = result.exit_point
    assert min(abs(ex - x0), abs(ex - x1), abs(ey - y0), abs(ey - y1)) < 1e-9
    assert np.all(np.isfinite(result.gap))


def test_epochs_within_a_step_budget():
    # 1,079 digits: B = 1 makes 1,079 steps per epoch, B = 64 makes 17
    assert epochs_within(1079, 1, 20, 2500) == 2
    assert epochs_within(1079, 64, 20, 2500) == 20
    assert epochs_within(1079, 1, 20, 10) == 1  # at least one epoch
    assert epochs_within(1079, 4, 20, 2500) == 9  # 270 steps per epoch


def test_steps_and_epoch_numbers():
    assert [steps_per_epoch(1079, b) for b in (1, 64, 1079, 2000)] == [1079, 17, 1, 1]
    assert epoch_numbers(3).tolist() == [1, 2, 3]  # epoch 1 is after the first pass
    assert epoch_numbers(0).size == 0
