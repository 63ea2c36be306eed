"""How fast each dashboard answers a slider move, against its budget.

Usage::

    python benchmarks/run.py          # a table
    python benchmarks/run.py --json   # JSON rows {"name", "p50_ms", "p90_ms", "budget_ms", ...}
    python benchmarks/run.py --only kernels   # only the real-kernel rows (a few minutes)

Each ``bench_*.py`` module beside this file has a ``benchmarks()`` function returning rows. A
move is timed from setting a widget's value to the new PNG bytes in the dashboard's Image
widget: the work the browser waits for, without the browser's own round trip (about 40-50 ms
more in JupyterLab here).

``kernels.py`` runs every notebook in a real kernel and adds rows of two more kinds: memory rows
(``mib`` against ``budget_mib``) and CPU-per-move rows whose ``budget_on`` names the statistic
held to ``budget_ms`` (``mean_ms``, ``p50_ms`` or ``worst_control_mean_ms``; p50 when absent).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pathlib
import platform
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def within_budget(result: dict) -> bool | None:
    """Memory rows: ``mib <= budget_mib``; time rows: the ``budget_on`` statistic (p50 unless
    named) ``<= budget_ms``; None without a budget or a measurement."""
    if result.get("budget_mib") is not None:
        mib = result.get("mib")
        return None if mib is None else mib <= result["budget_mib"]
    budget, value = result.get("budget_ms"), result.get(result.get("budget_on", "p50_ms"))
    return None if budget is None or value is None else value <= budget


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--only", help="run only the bench_<ONLY>.py module, or 'kernels'")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    rows = []
    modules = [path.stem for path in sorted(HERE.glob("bench_*.py"))] + ["kernels"]
    for name in modules:
        if args.only and name not in (f"bench_{args.only}", args.only):
            continue
        rows += importlib.import_module(name).benchmarks()
    for result in rows:
        result["within_budget"] = within_budget(result)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}")
    width = max([58] + [len(result["name"]) for result in rows])
    print(f"{'benchmark':<{width}} {'p50 ms':>8} {'p90 ms':>8} {'budget':>8}  ok")
    for result in rows:
        if result.get("skipped"):
            print(f"{result['name']:<{width}} {'skipped: ' + result['skipped']}")
            continue
        ok = {True: "yes", False: "NO", None: "-"}[result["within_budget"]]
        if result.get("budget_mib") is not None:
            print(f"{result['name']:<{width}} {result['mib']:>8.1f} {'MiB':>8} "
                  f"{result['budget_mib']:>8.0f}  {ok}")
        else:
            budget = "-" if result["budget_ms"] is None else f"{result['budget_ms']:.0f}"
            on = result.get("budget_on", "p50_ms")
            extra = "" if on == "p50_ms" else f"  ({on.removesuffix('_ms')} {result[on]:.1f})"
            print(f"{result['name']:<{width}} {result['p50_ms']:>8.1f} {result['p90_ms']:>8.1f} "
                  f"{budget:>8}  {ok}{extra}")
        if "note" in result:
            print(f"    {result['note']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
