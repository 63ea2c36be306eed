"""The kernel benchmark's generic sweep (benchmarks/kernel_sweep.py) on a toy dashboard: it finds
every control (in the widget tree or only in an attribute), moves each through its range and
back, clicks buttons, and charges each move the CPU time of what the move triggered; and
run.py's budget check reads the statistic a row names."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import ipywidgets as widgets

from lecture_lib.dashboards.base import Dashboard

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


sweep_module = _load("kernel_sweep")


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


class Toy(Dashboard):
    def __init__(self) -> None:
        self.n = widgets.IntSlider(value=3, min=0, max=10)
        self.x = widgets.FloatLogSlider(value=1.0, base=10, min=-2, max=2, step=0.5)
        self.mode = widgets.ToggleButtons(options=["a", "b", "c"], value="b")
        self.flag = widgets.Checkbox(value=True)
        self.go = widgets.Button(description="Go")
        self.extra = {"k": widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.25)}
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.box = widgets.VBox([widgets.HBox([self.n, self.x]), self.mode, self.flag, self.go,
                                 self.readout, self.image])
        self.events: list[tuple[str, object]] = []
        for name in ("n", "x", "mode", "flag"):
            getattr(self, name).observe(
                lambda change, name=name: self.events.append((name, change["new"])),
                names="value")
        self.n.observe(lambda change: _burn(0.02), names="value")  # an expensive control
        self.go.on_click(lambda _button: self.events.append(("go", None)))


class OtherToy(Toy):
    """Another kind: making one does not close the Toy (a new dashboard closes the previous
    one of its class)."""


def test_controls_are_found_in_the_tree_and_in_attributes_and_only_controls():
    labels = sorted(label for label, _ in sweep_module.controls(Toy()))
    assert labels == ["extra[k]", "flag", "go", "mode", "n", "x"]


def test_sweep_moves_every_control_through_its_range_and_back():
    toy = Toy()
    namespace = {"toy": toy, "same": toy, "_hidden": OtherToy(), "number": 3}
    report = sweep_module.sweep(namespace, grid=5)
    assert list(report) == ["Toy (toy)"], "one entry per dashboard object, private names skipped"
    controls = report["Toy (toy)"]["controls"]

    n = controls["n"]["targets"]
    assert n == ["0", "2", "5", "8", "10", "3"], "a grid over min..max on whole steps, then back"
    x = [float(v) for v in controls["x"]["targets"]]
    assert x[0] == 0.01 and x[-2] == 100.0 and x[-1] == 1.0, "log grid in the exponent, back"
    assert [toy.events.count(("mode", v)) for v in "acb"] == [1, 1, 1]
    assert [e for e in toy.events if e[0] == "flag"] == [("flag", False), ("flag", True)]
    assert toy.events.count(("go", None)) == 1
    assert controls["extra[k]"]["targets"] == ["0.0", "0.25", "0.75", "1.0", "0.5"]
    # Everything back where it was.
    assert (toy.n.value, toy.x.value, toy.mode.value, toy.flag.value) == (3, 1.0, "b", True)
    assert toy.extra["k"].value == 0.5

    for name, control in controls.items():
        assert len(control["cpu_s"]) == len(control["targets"]) == len(control["wall_s"]), name
    # Each move of n burns 20 ms of CPU in its observer; the checkbox does nothing.
    assert min(controls["n"]["cpu_s"]) >= 0.019
    assert max(controls["flag"]["cpu_s"]) < 0.01


def test_run_py_checks_the_statistic_a_row_names():
    run = _load("run")
    assert run.within_budget({"mib": 250.0, "budget_mib": 200.0}) is False
    assert run.within_budget({"mib": 150.0, "budget_mib": 200.0, "budget_ms": None}) is True
    row = {"p50_ms": 100.0, "mean_ms": 300.0, "budget_ms": 250.0}
    assert run.within_budget(row) is True, "p50 unless the row names another statistic"
    assert run.within_budget({**row, "budget_on": "mean_ms"}) is False
    assert run.within_budget({"p50_ms": None, "budget_ms": 10.0}) is None
