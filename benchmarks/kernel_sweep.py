"""Runs INSIDE a notebook's kernel (benchmarks/kernels.py sends it there): finds every dashboard
in the kernel's namespace and moves each of its controls through its range, timing each move in
process CPU seconds.

Generic on purpose, so it survives renamed attributes and new controls: a dashboard is any
instance of ``lecture_lib.dashboards.base.Dashboard`` among the namespace's values; its controls
are the widgets reachable from ``dash.box`` (``children``, recursively) plus any widget held in
an attribute (directly or in a dict, list or tuple). Each control is moved like this:

* a slider (``min``/``max``): a grid of ``grid`` values from min to max (an ``IntSlider`` only
  on whole steps, a ``FloatLogSlider`` evenly in its exponent), then back to where it was;
* a selection (toggle buttons, dropdown, radio buttons, selection slider): each option in turn
  (a grid of them if there are more than ``grid``), then back;
* a checkbox or toggle button: flipped and flipped back;
* a button: clicked once.

A move is one assignment of ``.value`` (or one ``.click()``) with everything it triggers (the
observers run synchronously in the kernel); its cost is ``time.process_time()`` around it, the
CPU time of every thread of the kernel process. Controls are moved one at a time, the others
staying where the notebook left them.
"""

from __future__ import annotations

import json
import math
import time

import ipywidgets as widgets


def _is_control(widget) -> bool:
    if getattr(widget, "disabled", False):
        return False
    if isinstance(widget, widgets.Button):
        return True
    if isinstance(widget, widgets.widget_selection._Selection):
        return True
    if isinstance(widget, (widgets.Checkbox, widgets.ToggleButton)):
        return True
    if isinstance(widget, (widgets.widget_int._BoundedInt, widgets.widget_float._BoundedFloat,
                           widgets.FloatLogSlider)):
        return True
    return False


def _walk(widget, seen: dict, label: str) -> None:
    if not isinstance(widget, widgets.Widget) or id(widget) in seen:
        return
    seen[id(widget)] = (label, widget)
    for child in getattr(widget, "children", ()) or ():
        _walk(child, seen, getattr(child, "description", "") or type(child).__name__)


def controls(dash) -> list[tuple[str, object]]:
    """(label, widget) of every control of ``dash``, labelled by attribute name if it has one."""
    named: dict[int, str] = {}
    for attr, value in vars(dash).items():
        values = (value.items() if isinstance(value, dict)
                  else enumerate(value) if isinstance(value, (list, tuple)) else [(None, value)])
        for key, item in values:
            if isinstance(item, widgets.Widget):
                named.setdefault(id(item), attr if key is None else f"{attr}[{key}]")
    seen: dict = {}
    box = getattr(dash, "box", None)
    if box is not None:
        _walk(box, seen, "box")
    for attr, value in vars(dash).items():
        if isinstance(value, widgets.Widget):
            _walk(value, seen, attr)
        elif isinstance(value, (dict, list, tuple)):
            items = value.values() if isinstance(value, dict) else value
            for item in items:
                _walk(item, seen, attr)
    found = []
    for key, (label, widget) in seen.items():
        if _is_control(widget):
            found.append((named.get(key, label), widget))
    return found


def _grid_indices(count: int, grid: int) -> list[int]:
    if count <= grid:
        return list(range(count))
    return sorted({round(i * (count - 1) / (grid - 1)) for i in range(grid)})


def targets(widget, grid: int) -> list:
    """The values (or the string "click") a sweep sets on ``widget``, ending where it started."""
    if isinstance(widget, widgets.Button):
        return ["click"]
    if isinstance(widget, (widgets.Checkbox, widgets.ToggleButton)):
        return [not widget.value, widget.value]
    if isinstance(widget, widgets.widget_selection._Selection):
        start = widget.index
        indices = [i for i in _grid_indices(len(widget.options), grid) if i != start]
        return [("index", i) for i in indices] + [("index", start)]
    start = widget.value
    if isinstance(widget, widgets.FloatLogSlider):
        exponents = [widget.min + (widget.max - widget.min) * i / (grid - 1) for i in range(grid)]
        values = [widget.base ** e for e in exponents]
    else:
        low, high, step = widget.min, widget.max, getattr(widget, "step", None) or 0
        values = [low + (high - low) * i / (grid - 1) for i in range(grid)]
        if step:
            values = [min(high, low + round((v - low) / step) * step) for v in values]
        if isinstance(widget.value, int):
            values = [int(round(v)) for v in values]
    unique = []
    for value in values:
        if value not in unique and not math.isclose(value, start, rel_tol=1e-9, abs_tol=0):
            unique.append(value)
    return unique + [start]


def _move(widget, target) -> None:
    if target == "click":
        widget.click()
    elif isinstance(target, tuple) and target and target[0] == "index":
        widget.index = target[1]
    else:
        widget.value = target


def sweep(namespace: dict, *, grid: int = 9) -> dict:
    """{dashboard: {"class", "variable", "controls": {label: {"cpu_s": [...], "wall_s": [...],
    "targets": [...]}}}} for every Dashboard in ``namespace``."""
    from lecture_lib.dashboards.base import Dashboard

    found: dict[int, tuple[str, object]] = {}
    for name, value in list(namespace.items()):
        if isinstance(value, Dashboard) and not name.startswith("_"):
            found.setdefault(id(value), (name, value))
    report = {}
    for name, dash in found.values():
        per_control = {}
        for label, widget in controls(dash):
            cpu, wall, done = [], [], []
            for target in targets(widget, grid):
                start_cpu, start_wall = time.process_time(), time.perf_counter()
                _move(widget, target)
                cpu.append(time.process_time() - start_cpu)
                wall.append(time.perf_counter() - start_wall)
                done.append(str(target[1] if isinstance(target, tuple) else target))
            key = label
            while key in per_control:
                key += "'"
            per_control[key] = {"kind": type(widget).__name__, "cpu_s": cpu, "wall_s": wall,
                                "targets": done}
        report[f"{type(dash).__name__} ({name})"] = {
            "class": type(dash).__name__, "variable": name, "controls": per_control}
    return report


def sweep_json(namespace: dict, *, grid: int = 9) -> str:
    return json.dumps(sweep(namespace, grid=grid))
