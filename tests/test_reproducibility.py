"""The same printed numbers on every machine: every notebook and every exercise master, executed
in a real kernel under environments that are safe to vary on any CPU, prints exactly what is
committed (every text output: streams, plain text, and html, alt text included).

What varies (docs/reproducibility.md says why):
* the BLAS threads: 1, and 4 (set in the kernel before the first cell, so that a machine with
  fewer cores runs 4 threads too; a notebook that sets its own limit keeps it);
* numpy's own SIMD loops: every dispatched CPU feature that this CPU has is switched off with
  NPY_DISABLE_CPU_FEATURES (never a baseline feature, which numpy refuses).

Three runs per notebook, side by side in three kernels: 1 thread; 4 threads; the SIMD loops off
(with the machine's own thread count).
``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` stay as the machine sets them: forcing another
kernel is for one-off commands (see docs/reproducibility.md), since a kernel the CPU lacks crashes.

Opt-in (marker ``repro``; about 3 minutes on 2 cores): ``.ci/run`` runs ``pytest -m repro``.
The outputs are compared after the sanitizers of tests/nbval_sanitize.cfg, as strict nbval does.
"""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
if not (REPO / "tests" / "nbval_sanitize.cfg").exists():  # a copy outside the repository
    REPO = Path.cwd()
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted(
    (REPO / "exercises" / "source").glob("*.ipynb"))
SANITIZE = REPO / "tests" / "nbval_sanitize.cfg"
CELL_TIMEOUT_S = 900
COMPARED = ("text/plain", "text/html", "text/markdown", "text/latex")
# Never set by this test: which OpenBLAS kernel runs is the machine's choice.
MACHINE_ONLY = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _cpu_tables() -> tuple[dict, list, list]:
    try:
        from numpy._core._multiarray_umath import (
            __cpu_baseline__,
            __cpu_dispatch__,
            __cpu_features__,
        )
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import (
            __cpu_baseline__,
            __cpu_dispatch__,
            __cpu_features__,
        )
    return __cpu_features__, list(__cpu_baseline__), list(__cpu_dispatch__)


def simd_features_to_disable() -> list[str]:
    """numpy's dispatched (not baseline) CPU features that this CPU has: switching them off sends
    numpy's loops (exp, tanh, sums) down another, equally valid, code path."""
    features, baseline, dispatch = _cpu_tables()
    return [name for name in dispatch if features.get(name) and name not in baseline]


def settings() -> dict[str, dict[str, str]]:
    """Name -> the environment variables of one run."""
    off = ",".join(simd_features_to_disable())
    runs = {"1 BLAS thread": {"OPENBLAS_NUM_THREADS": "1"},
            "4 BLAS threads": {"OPENBLAS_NUM_THREADS": "4"}}
    if off:
        runs["numpy SIMD loops off"] = {"NPY_DISABLE_CPU_FEATURES": off}
    return runs


# Run first in every kernel, then dropped: it sets the BLAS threads where the setting names them
# (OpenBLAS caps its environment variable at the number of cores; threadpoolctl does not) and
# reports what the kernel runs with.
PROBE = textwrap.dedent("""\
    import json as _json, os as _os
    import numpy as _np
    from threadpoolctl import threadpool_info as _info, threadpool_limits as _limits
    if _os.environ.get("OPENBLAS_NUM_THREADS"):
        _limits(int(_os.environ["OPENBLAS_NUM_THREADS"]), user_api="blas")
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as _features
    except ImportError:
        from numpy.core._multiarray_umath import __cpu_features__ as _features
    _blas = [i["num_threads"] for i in _info() if i["user_api"] == "blas"]
    print(_json.dumps({"blas_threads": _blas,
                       "numpy_features_on": sorted(k for k, v in _features.items() if v)}))
    """)


def sanitizers(path: Path = SANITIZE) -> list[tuple[re.Pattern, str]]:
    """The regex/replace pairs of an nbval sanitize file."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(path)
    return [(re.compile(config[section]["regex"]), config[section]["replace"])
            for section in config.sections()]


def _sanitized(text: str, rules: list[tuple[re.Pattern, str]]) -> str:
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def text_outputs(cell: nbformat.NotebookNode, rules) -> list[str]:
    """What a cell shows as text, as nbval compares it: consecutive streams of one name joined,
    then each output's text types; images and widget views left out."""
    shown: list[tuple[str, str]] = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            if shown and shown[-1][0] == f"stream {output.name}":
                shown[-1] = (shown[-1][0], shown[-1][1] + output.text)
            else:
                shown.append((f"stream {output.name}", output.text))
        elif output.output_type == "error":
            shown.append(("error", f"{output.ename}: {output.evalue}"))
        else:
            for mime in COMPARED:
                if mime in output.get("data", {}):
                    value = output.data[mime]
                    shown.append((mime, value if isinstance(value, str) else "".join(value)))
    return [f"[{kind}]\n{_sanitized(text, rules)}" for kind, text in shown]


def _ignored(cell: nbformat.NotebookNode) -> bool:
    """nbval's own markers: its cells are not compared by strict nbval either."""
    return bool(re.search(r"#\s*NBVAL_(IGNORE_OUTPUT|SKIP)", cell.source))


def _snippet(line: str, at: int, width: int = 90) -> str:
    start = max(0, at - width // 3)
    return ("…" if start else "") + line[start:start + width] + ("…" if start + width < len(line)
                                                                 else "")


def _first_difference(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def differences(committed: nbformat.NotebookNode, fresh: nbformat.NotebookNode, rules) -> list[str]:
    """One readable entry per code cell whose text outputs differ: the cell index (0-based, as in
    the notebook's list of cells) and each differing line, committed against fresh."""
    found = []
    for index, (old, new) in enumerate(zip(committed.cells, fresh.cells)):
        if old.cell_type != "code" or _ignored(old):
            continue
        before, after = "\n".join(text_outputs(old, rules)), "\n".join(text_outputs(new, rules))
        if before == after:
            continue
        first_line = (old.source.strip().splitlines() or [""])[0][:60]
        lines = [f"cell {index} ({first_line})"]
        old_lines, new_lines = before.splitlines(), after.splitlines()
        kind = ""
        for number in range(max(len(old_lines), len(new_lines))):
            a = old_lines[number] if number < len(old_lines) else "<no line>"
            b = new_lines[number] if number < len(new_lines) else "<no line>"
            if re.fullmatch(r"\[(stream \w+|error|text/\w+)\]", a):
                kind = a[1:-1]
            if a != b:
                at = _first_difference(a, b)
                lines += [f"  {kind}:", f"    committed: {_snippet(a, at)}",
                          f"    fresh:     {_snippet(b, at)}"]
        found.append("\n".join(lines))
    return found


async def _execute(path: Path, env: dict[str, str]) -> tuple[nbformat.NotebookNode, dict]:
    """Execute a copy of the notebook in a kernel of this Python with env, in its folder."""
    import ipykernel.kernelspec
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                          **ipykernel.kernelspec.get_kernel_dict())

    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PROBE))
    manager = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=ThisPython())
    client = NotebookClient(nb, km=manager, timeout=CELL_TIMEOUT_S, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    # cleanup_kc: stop the kernel and close its channels although nbclient did not create them
    await client.async_execute(env=env, cleanup_kc=True)
    probe = nb.cells.pop(0)
    text = "".join(o.get("text", "") for o in probe.outputs if o.output_type == "stream")
    try:
        report = json.loads(text.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        report = {"probe failed": text + "".join(
            f"{o.get('ename')}: {o.get('evalue')}" for o in probe.outputs)}
    return nb, report


def kernel_environment(variables: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(variables)
    assert not set(variables) & set(MACHINE_ONLY)
    return env


async def _run_all(path: Path, runs: dict[str, dict[str, str]]) -> dict:
    results = await asyncio.gather(*(_execute(path, kernel_environment(v)) for v in runs.values()))
    return dict(zip(runs, results))


def _name(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def check(path: Path) -> tuple[list[str], dict]:
    """Execute path under every setting; the readable differences and what each kernel ran with."""
    committed = nbformat.read(path, as_version=4)
    rules = sanitizers()
    runs = settings()
    results = asyncio.run(_run_all(path, runs))
    problems, probes = [], {}
    for name, (fresh, probe) in results.items():
        probes[name] = probe
        found = differences(committed, fresh, rules)
        if found:
            problems.append(f"--- {_name(path)} with {name} "
                            f"({' '.join(f'{k}={v}' for k, v in runs[name].items())}):\n"
                            + "\n".join(found))
    return problems, probes


def _probe_matches(name: str, probe: dict) -> str | None:
    """None if the kernel ran with the setting's threads and SIMD features; else why not."""
    if "probe failed" in probe:
        return f"{name}: the probe cell failed: {probe['probe failed']}"
    want = int(settings()[name].get("OPENBLAS_NUM_THREADS", 0))
    if want and probe["blas_threads"] and set(probe["blas_threads"]) != {want}:
        return f"{name}: the kernel ran {probe['blas_threads']} BLAS threads, not {want}"
    off = set(settings()[name].get("NPY_DISABLE_CPU_FEATURES", "").split(",")) - {""}
    if off & set(probe["numpy_features_on"]):
        return f"{name}: numpy kept {sorted(off & set(probe['numpy_features_on']))} on"
    return None


def test_numpy_accepts_the_simd_features_switched_off():
    """The list is computed from numpy's table: a Python started with it imports numpy without
    an error or a warning (numpy refuses a baseline feature and warns on an unknown one) and
    reports each feature off."""
    off = simd_features_to_disable()
    features, baseline, _ = _cpu_tables()
    assert not set(off) & set(baseline)
    if not off:
        pytest.skip("this CPU has none of numpy's dispatched SIMD features")
    code = ("import json, warnings; warnings.simplefilter('error'); import numpy; "
            "from test_reproducibility import _cpu_tables; "
            "print(json.dumps([k for k, v in _cpu_tables()[0].items() if v]))")
    env = kernel_environment({"NPY_DISABLE_CPU_FEATURES": ",".join(off)})
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tests"), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], env=env, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    still_on = set(off) & set(json.loads(done.stdout))
    assert not still_on, f"numpy kept {sorted(still_on)} on"


def test_differences_name_the_cell_and_the_changed_line():
    """The report a failure prints, on a hand-made pair (an oracle independent of the kernels)."""
    def notebook(printed: str, html: str) -> nbformat.NotebookNode:
        cell = nbformat.v4.new_code_cell("print(median)")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed),
                        nbformat.v4.new_output("display_data", data={
                            "text/html": html, "image/png": "AAAA", "text/plain": "<Figure>"})]
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x"), cell])

    png = '<img alt="median {}" src="data:image/png;base64,{}">'
    same = differences(notebook("a 1\nb 2\n", png.format(0.19, "AAA")),
                       notebook("a 1\nb 2\n", png.format(0.19, "BBB")), sanitizers())
    assert same == [], "a new PNG with the same alt text is no difference"
    found = differences(notebook("a 1\nb 0.19\n", png.format(0.19, "A")),
                        notebook("a 1\nb 0.16\n", png.format(0.16, "B")), sanitizers())
    assert len(found) == 1 and found[0].startswith("cell 1 (print(median))"), found
    assert "committed: b 0.19" in found[0] and "fresh:     b 0.16" in found[0], found[0]
    assert 'text/html:\n    committed: <img alt="median 0.19"' in found[0], found[0]


@pytest.mark.repro
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_outputs_hold_under_other_blas_threads_and_simd_loops(path):
    problems, probes = check(path)
    wrong = [why for name, probe in probes.items() if (why := _probe_matches(name, probe))]
    assert not wrong, "\n".join(wrong)
    assert not problems, (
        "printed outputs that change with the BLAS threads or numpy's SIMD loops (print the "
        "robust fact, or only the digits that hold; see docs/reproducibility.md):\n"
        + "\n".join(problems))


def main(paths: list[str]) -> int:
    """python tests/test_reproducibility.py [NOTEBOOK ...]: the differing cells of each."""
    failed = 0
    print("settings:", json.dumps(settings()))
    for name in paths or [str(p) for p in NOTEBOOKS]:
        path = Path(name).resolve()
        problems, probes = check(path)
        print(f"{_name(path)}: kernels ran with {json.dumps(probes)[:300]}")
        print("\n".join(problems) if problems else "  all text outputs as committed")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
