"""What a student's kernel costs: memory per notebook and CPU per dashboard move, measured in
real kernels (jupyter_client starts ``python -m ipykernel_launcher``, as JupyterLab does).

Usage::

    python benchmarks/run.py --only kernels          # the rows in the table of run.py
    python benchmarks/kernels.py [--json] [--grid 9] [--reruns] [NOTEBOOK ...]

For each notebook of ``notebooks/`` a fresh kernel (cwd ``notebooks/``) runs every code cell in
order; then ``kernel_sweep.py`` runs inside it and moves every control of every dashboard it
finds through its range. Another fresh kernel per notebook runs every cell, then re-runs each
dashboard cell (a cell that makes a dashboard, found by what it constructs) 20 times, as a
student does: the RSS after the 20th re-run must stay within 10 MiB of the RSS after the
first (a new dashboard closes the previous one of its class; the cells are run with
``store_history``, so IPython's ``Out`` keeps what they return, as in JupyterLab).

Memory comes from ``/proc/<kernel pid>/status``: ``VmRSS`` after all
cells and after the sweep, ``VmHWM`` (the peak resident size) at the end. CPU per move is the
kernel's own ``time.process_time()`` around each move (all of its threads; wall time on a busy
machine says more about the neighbours than about the dashboard).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import pathlib
import sys
import tempfile
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
NOTEBOOKS = REPO / "notebooks"
MARK = "@@kernel-sweep@@"
CELL_TIMEOUT_S = 900
SWEEP_TIMEOUT_S = 1800

# Budgets of issue 11.
RSS_BUDGET_MIB = 200.0  # after all cells, and after the sweep of every control
PEAK_BUDGET_MIB = 300.0  # VmHWM
TRAINING_MEAN_BUDGET_MS = 250.0  # mean CPU per move over the sweep of a training dashboard
MATH_CONTROL_BUDGET_MS = 100.0  # mean CPU per move of EVERY control of a math dashboard
INIT_P50_BUDGET_MS = 40.0
RERUNS = 20  # re-runs of every dashboard cell
RERUN_BUDGET_MIB = 10.0  # RSS after the 20th re-run minus RSS after the first
TRAINING = {"TrainingExplorer", "RegularizationDashboard"}
MATH = {"InitializationDashboard", "SurfaceExplorer"}


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of ``pid`` in MiB, from /proc/<pid>/status."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024.0  # kB
    return values


def dashboard_classes() -> set[str]:
    """Names of every dashboard class of lecture_lib (the subclasses of ``Dashboard``)."""
    from lecture_lib.dashboards.base import Dashboard

    found, stack = set(), [Dashboard]
    while stack:
        for cls in stack.pop().__subclasses__():
            found.add(cls.__name__)
            stack.append(cls)
    return found


def dashboard_cells(sources: list[str], classes: set[str] | None = None) -> list[int]:
    """Indices of the code cells that construct a dashboard (a call of one of ``classes``,
    by name or as ``module.Name``): found by what a cell does, not by its position."""
    classes = dashboard_classes() if classes is None else classes
    found = []
    for index, source in enumerate(sources):
        try:
            tree = ast.parse(source)
        except SyntaxError:  # IPython magics: not a dashboard cell of this project
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in classes:
                    found.append(index)
                    break
    return found


def _run_code(client, code: str, timeout: float, *,
              store_history: bool = False) -> tuple[str, list[str]]:
    """Execute ``code`` in the kernel; (its stdout, its errors)."""
    out, errors = [], []

    def hook(msg):
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content.get("name") == "stdout":
            out.append(content["text"])
        elif kind == "error":
            errors.append(f"{content['ename']}: {content['evalue']}")

    reply = client.execute_interactive(code, timeout=timeout, output_hook=hook,
                                       store_history=store_history, allow_stdin=False)
    if reply["content"]["status"] != "ok" and not errors:
        errors.append(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")
    return "".join(out), errors


@contextlib.contextmanager
def _kernel(path: pathlib.Path):
    """A fresh python3 kernel with cwd ``path.parent``: yields (client, kernel pid)."""
    from jupyter_client.manager import KernelManager

    with tempfile.TemporaryDirectory(prefix="kernel-bench-") as home:
        env = dict(os.environ, IPYTHONDIR=f"{home}/ipython", MPLCONFIGDIR=f"{home}/mpl")
        env.pop("MPLBACKEND", None)  # the kernel's inline backend, as in JupyterLab
        manager = KernelManager(kernel_name="python3")
        # The kernel's own stderr (its "running over TCP" notice; it listens on 127.0.0.1)
        # goes to a log in the temporary folder; cell errors come back as messages.
        log = open(f"{home}/kernel.log", "w")  # noqa: SIM115 - closed below
        manager.start_kernel(cwd=str(path.parent), env=env, stdout=log, stderr=log)
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=120)
            yield client, manager.provisioner.pid
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=False)
            log.close()


def _code_cells(path: pathlib.Path) -> list[str]:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def _run_cells(client, path: pathlib.Path, cells: list[str], *, store_history: bool) -> None:
    for index, source in enumerate(cells):
        _, errors = _run_code(client, source, CELL_TIMEOUT_S, store_history=store_history)
        if errors:
            raise RuntimeError(f"{path.name} code cell {index}: {errors[0]}")


def measure_notebook(path: pathlib.Path, *, grid: int = 9) -> dict:
    """Run ``path`` in a fresh kernel, sweep its dashboards; memory (MiB) and moves (CPU s)."""
    cells = _code_cells(path)
    with _kernel(path) as (client, pid):
        start = proc_status(pid)
        began = time.monotonic()
        _run_cells(client, path, cells, store_history=False)
        cells_s = time.monotonic() - began
        after_cells = proc_status(pid)
        code = (f"import sys as _s; _s.path.insert(0, {str(HERE)!r}); "
                f"import kernel_sweep as _k; print({MARK!r} + _k.sweep_json("
                f"get_ipython().user_ns, grid={grid})); del _s, _k")
        out, errors = _run_code(client, code, SWEEP_TIMEOUT_S)
        if errors:
            raise RuntimeError(f"{path.name} sweep: {errors[0]}")
        dashboards = json.loads(out.split(MARK, 1)[1])
        after_sweep = proc_status(pid)
    return {"notebook": path.stem, "rss_start_mib": start["VmRSS"],
            "rss_after_cells_mib": after_cells["VmRSS"],
            "peak_after_cells_mib": after_cells["VmHWM"],
            "rss_after_sweep_mib": after_sweep["VmRSS"], "peak_mib": after_sweep["VmHWM"],
            "cells_s": cells_s, "dashboards": dashboards}


def measure_reruns(path: pathlib.Path, *, reruns: int = RERUNS) -> dict:
    """Run every cell of ``path`` in a fresh kernel, then re-run each dashboard cell
    ``reruns`` times (with ``store_history``, as JupyterLab runs cells); kernel RSS (MiB, after
    ``gc.collect()``) after each cell's first and last re-run, and after all of them."""
    cells = _code_cells(path)
    indices = dashboard_cells(cells)
    per_cell = {}
    with _kernel(path) as (client, pid):
        _run_cells(client, path, cells, store_history=True)

        def rss() -> float:
            _run_code(client, "import gc as _gc; _gc.collect(); del _gc", CELL_TIMEOUT_S)
            return proc_status(pid)["VmRSS"]

        for index in indices:  # one re-run of each: the baseline
            _run_cells(client, path, [cells[index]], store_history=True)
        first = rss()
        for index in indices:
            before = rss()
            _run_cells(client, path, [cells[index]] * (reruns - 1), store_history=True)
            per_cell[index] = {"source": cells[index].strip().splitlines()[-1][:60],
                               "rss_first_mib": before, "rss_last_mib": rss()}
        last = rss()
    return {"notebook": path.stem, "reruns": reruns, "cells": per_cell,
            "rss_after_first_mib": first, "rss_after_last_mib": last}


def rerun_rows(result: dict) -> list[dict]:
    """run.py rows of one notebook's re-runs: the growth of RSS from the first re-run of every
    dashboard cell to the last, against :data:`RERUN_BUDGET_MIB`."""
    nb, n = result["notebook"], result["reruns"]
    detail = "; ".join(f"cell {index} ({cell['source']}): "
                       f"{cell['rss_last_mib'] - cell['rss_first_mib']:+.1f} MiB"
                       for index, cell in result["cells"].items())
    growth = result["rss_after_last_mib"] - result["rss_after_first_mib"]
    return [_memory_row(f"kernel RSS {nb} growth over {n} re-runs of each dashboard cell (MiB)",
                        growth, RERUN_BUDGET_MIB,
                        note=f"RSS {result['rss_after_first_mib']:.0f} -> "
                        f"{result['rss_after_last_mib']:.0f} MiB; {detail or 'no dashboard cell'}")]


def _stats_ms(seconds: list[float]) -> dict:
    ms = np.asarray(seconds, dtype=float) * 1000.0
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p90_ms": round(float(np.percentile(ms, 90)), 1),
            "mean_ms": round(float(ms.mean()), 1), "max_ms": round(float(ms.max()), 1),
            "n": int(ms.size)}


def _memory_row(name: str, mib: float, budget: float, **extra) -> dict:
    return {"name": name, "p50_ms": None, "p90_ms": None, "budget_ms": None,
            "mib": round(mib, 1), "budget_mib": budget, **extra}


def rows_for(result: dict) -> list[dict]:
    """run.py rows of one notebook's measurement."""
    nb = result["notebook"]
    rows = [
        _memory_row(f"kernel RSS {nb} after all cells (MiB)", result["rss_after_cells_mib"],
                    RSS_BUDGET_MIB, note=f"bare kernel {result['rss_start_mib']:.0f} MiB; "
                    f"cells ran in {result['cells_s']:.0f} s"),
        _memory_row(f"kernel RSS {nb} after the sweep of every control (MiB)",
                    result["rss_after_sweep_mib"], RSS_BUDGET_MIB),
        _memory_row(f"kernel RSS {nb} peak, VmHWM (MiB)", result["peak_mib"], PEAK_BUDGET_MIB,
                    note=f"peak while the cells ran: {result['peak_after_cells_mib']:.1f} MiB"),
    ]
    for label, dash in result["dashboards"].items():
        controls = dash["controls"]
        everything = [s for c in controls.values() for s in c["cpu_s"]]
        if not everything:
            continue
        per_control = {name: _stats_ms(c["cpu_s"]) for name, c in controls.items() if c["cpu_s"]}
        worst_name, worst = max(per_control.items(), key=lambda item: item[1]["mean_ms"])
        stats = _stats_ms(everything)
        base = f"kernel CPU/move {nb[:2]} {label}"
        detail = ", ".join(f"{name} {s['mean_ms']:.0f}" for name, s in per_control.items())
        wall = _stats_ms([s for c in controls.values() for s in c["wall_s"]])
        common = {"wall_mean_ms": wall["mean_ms"], "wall_max_ms": wall["max_ms"],
                  "controls": per_control, "worst_control": worst_name,
                  "worst_control_mean_ms": worst["mean_ms"],
                  "note": f"mean CPU ms per control: {detail}"}
        if dash["class"] in TRAINING:
            rows.append({"name": f"{base}: mean", **stats, "budget_ms": TRAINING_MEAN_BUDGET_MS,
                         "budget_on": "mean_ms", **common})
        elif dash["class"] in MATH:
            rows.append({"name": f"{base}: slowest control's mean", **stats,
                         "budget_ms": MATH_CONTROL_BUDGET_MS,
                         "budget_on": "worst_control_mean_ms", **common})
            if dash["class"] == "InitializationDashboard":
                rows.append({"name": f"{base}: p50", **stats, "budget_ms": INIT_P50_BUDGET_MS,
                             "budget_on": "p50_ms", "controls": per_control})
        else:
            rows.append({"name": base, **stats, "budget_ms": None, **common})
    return rows


def benchmarks(grid: int = 9, notebooks: list[pathlib.Path] | None = None) -> list[dict]:
    """Rows for benchmarks/run.py: memory per notebook, CPU per move per dashboard."""
    if not sys.platform.startswith("linux"):
        return [{"name": "kernels", "p50_ms": None, "p90_ms": None, "budget_ms": None,
                 "skipped": "reads /proc/<pid>/status: Linux only"}]
    rows = []
    for path in notebooks or sorted(NOTEBOOKS.glob("*.ipynb")):
        for measure, convert in ((measure_notebook, rows_for), (measure_reruns, rerun_rows)):
            try:
                rows += convert(measure(path, grid=grid) if measure is measure_notebook
                                else measure(path))
            except Exception as error:  # one notebook failing leaves the others' rows
                rows.append({"name": f"kernel {path.stem}", "p50_ms": None, "p90_ms": None,
                             "budget_ms": None, "skipped": f"FAILED: {error}"[:300]})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--json", action="store_true", help="print the raw measurements")
    parser.add_argument("--grid", type=int, default=9, help="positions per slider (default 9)")
    parser.add_argument("--reruns", action="store_true",
                        help="only re-run each dashboard cell 20 times and print RSS")
    args = parser.parse_args()
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.reruns:
        for path in paths:
            result = measure_reruns(path.resolve())
            print(json.dumps(result, indent=1) if args.json else rerun_rows(result)[0])
        return 0
    results = [measure_notebook(path.resolve(), grid=args.grid) for path in paths]
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    for result in results:
        print(f"{result['notebook']}: RSS after cells {result['rss_after_cells_mib']:.0f} MiB, "
              f"after sweep {result['rss_after_sweep_mib']:.0f} MiB, peak {result['peak_mib']:.0f}"
              f" MiB (cells {result['cells_s']:.0f} s)")
        for label, dash in result["dashboards"].items():
            print(f"  {label}")
            for name, control in dash["controls"].items():
                s = _stats_ms(control["cpu_s"])
                print(f"    {name:<24} n={s['n']:>3}  CPU ms p50 {s['p50_ms']:>7.1f}  "
                      f"mean {s['mean_ms']:>7.1f}  max {s['max_ms']:>7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
