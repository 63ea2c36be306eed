"""How fast each dashboard answers a slider move, against its budget.

Usage::

    python benchmarks/run.py          # a table
    python benchmarks/run.py --json   # JSON rows {"name", "p50_ms", "p90_ms", "budget_ms", ...}

Each ``bench_*.py`` module beside this file has a ``benchmarks()`` function returning rows. A
move is timed from setting a widget's value to the new PNG bytes in the dashboard's Image
widget: the work the browser waits for, without the browser's own round trip (about 40-50 ms
more in JupyterLab here).
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--only", help="run only the bench_<ONLY>.py module")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    rows = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and path.stem != f"bench_{args.only}":
            continue
        rows += importlib.import_module(path.stem).benchmarks()
    for result in rows:
        budget, p50 = result.get("budget_ms"), result.get("p50_ms")
        result["within_budget"] = None if budget is None or p50 is None else p50 <= budget
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'benchmark':<58} {'p50 ms':>8} {'p90 ms':>8} {'budget':>8}  ok")
    for result in rows:
        if result.get("skipped"):
            print(f"{result['name']:<58} {'skipped: ' + result['skipped']}")
            continue
        ok = {True: "yes", False: "NO", None: "-"}[result["within_budget"]]
        budget = "-" if result["budget_ms"] is None else f"{result['budget_ms']:.0f}"
        print(f"{result['name']:<58} {result['p50_ms']:>8.1f} {result['p90_ms']:>8.1f} "
              f"{budget:>8}  {ok}")
        if "note" in result:
            print(f"    {result['note']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
