"""Re-running dashboard cells in a real kernel (nbclient starts ``python -m ipykernel_launcher``,
as JupyterLab does): each cell that makes a dashboard, found by what it constructs (not by its
position: the notebooks change), is run 20 times, and the kernel's RSS after the 20th run stays
within 10 MiB of the RSS after the first (issue 20: it grew by 5 to 17 MiB per re-run).

The cells run with IPython's history on, as in JupyterLab, so ``Out`` keeps what a cell
returns. Slow (every notebook is run up to its last dashboard cell): opt-in with
``pytest -m kernel tests/test_kernel_careless.py``; the search for the cells is not.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

def _kernels_module():
    spec = importlib.util.spec_from_file_location("_bench_kernels",
                                                  ROOT / "benchmarks" / "kernels.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


kernels = _kernels_module()


def test_dashboard_cells_are_found_by_what_they_construct():
    cells = ["import numpy as np", "from lecture_lib.dashboards import Quiz\nQuiz([])",
             "dash = InitializationDashboard()\ndash", "%%time\nx = 1",
             "import lecture_lib.dashboards as d\nt = d.TrainingExplorer(epochs=3)",
             "# SurfaceExplorer() in a comment is no call"]
    assert kernels.dashboard_cells(cells) == [2, 4]
    assert {"InitializationDashboard", "SurfaceExplorer", "TrainingExplorer",
            "RegularizationDashboard"} <= kernels.dashboard_classes()
    for path in NOTEBOOKS:  # every notebook of the course has at least one
        assert kernels.dashboard_cells(kernels._code_cells(path)), path.name


@pytest.mark.kernel
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_re_running_dashboard_cells_keeps_the_kernel_lean(path):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    indices = kernels.dashboard_cells([cell.source for cell in code])
    client = NotebookClient(notebook, kernel_name="python3", timeout=kernels.CELL_TIMEOUT_S,
                            resources={"metadata": {"path": str(path.parent)}})
    collect = nbformat.v4.new_code_cell("import gc as _gc; _gc.collect(); del _gc")
    with client.setup_kernel():
        pid = client.km.provisioner.pid

        def rss() -> float:
            client.execute_cell(collect, 0)
            return kernels.proc_status(pid)["VmRSS"]

        for index, cell in enumerate(code[:indices[-1] + 1]):  # Run All, up to the last one
            client.execute_cell(cell, index)
        first = rss()
        growth = {}
        for index in indices:
            before = rss()
            for _ in range(kernels.RERUNS - 1):
                client.execute_cell(code[index], index)
            growth[index] = rss() - before
        last = rss()
    detail = ", ".join(f"cell {i}: {g:+.1f} MiB" for i, g in growth.items())
    assert last - first <= kernels.RERUN_BUDGET_MIB, (
        f"RSS {first:.0f} -> {last:.0f} MiB after {kernels.RERUNS} runs of each dashboard "
        f"cell ({detail})")


SETUPS = {
    "dropout": (
        "from lecture_lib.dashboards import RegularizationDashboard\n"
        "dash = RegularizationDashboard(n_train=1000, width=512, max_epochs=60)\n"
        "dash.patience.value = 60\n",
        "dash.p.value = 0.25",
        "dash.p.value = 0.5\ndash.p.value = 0.25\n",
        "import numpy as np\n"
        "from lecture_lib.network import MLP\nfrom lecture_lib.optim import Adam\n"
        "from lecture_lib.training import fit\n"
        "net = MLP([64, 512, 10], activation='tanh', init='xavier',\n"
        "          rng=np.random.default_rng(0), dropout=0.25)\n"
        "fresh = fit(net, Adam(eta=dash.eta.value), dash.X_train, dash.y_train, dash.X_val,\n"
        "            dash.y_val, epochs=60, batch_size=20, rng=np.random.default_rng(1),\n"
        "            patience=60)\n",
    ),
    "training": (
        "from lecture_lib.dashboards import TrainingExplorer\n"
        "dash = TrainingExplorer(epochs=200, max_steps=100_000, time_limit=600.0)\n",
        "dash.batch_size.value = 16",
        "dash.batch_size.value = 64\ndash.batch_size.value = 16\n",
        "from lecture_lib.optim import make_optimizer\n"
        "from lecture_lib.training import train_each\n"
        "fresh = train_each({'Adam': make_optimizer('Adam', **dash.settings())}, dash.data,\n"
        "                   epochs=200,\n"
        "                   batch_size=16, seed=0)['Adam']\n",
    ),
}


@pytest.mark.kernel
@pytest.mark.parametrize("name", list(SETUPS))
def test_a_real_interrupt_mid_run_then_the_setting_trains_afresh(name):
    """Kernel → Interrupt (SIGINT to the kernel) while a setting trains; moving away and back
    trains that setting again, and its run equals a fresh one (issue 20: the dropout run went
    on from a half-trained cached run)."""
    import json
    import os
    import signal
    import time

    setup, start, revisit, reference = SETUPS[name]
    with kernels._kernel(ROOT / "notebooks" / "x.ipynb") as (client, pid):
        _, errors = kernels._run_code(client, setup, kernels.CELL_TIMEOUT_S)
        assert not errors, errors
        msg_id = client.execute(start)
        time.sleep(0.5)
        os.kill(pid, signal.SIGINT)
        while True:
            reply = client.get_shell_msg(timeout=kernels.CELL_TIMEOUT_S)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert reply["content"]["status"] == "error", "the run ended before the interrupt"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        check = ("import json\nprint(json.dumps({'interrupted': dash.interrupted, "
                 "'readout': dash.readout.value}))")
        out, errors = kernels._run_code(client, check, 60)
        state = json.loads(out)
        assert state["interrupted"] and "Interrupted" in state["readout"], state
        code = (revisit + reference + "print(json.dumps({'trained': dash.trained, "
                "'equal': dash.history == fresh, 'epochs': dash.history.epochs_run}))")
        out, errors = kernels._run_code(client, code, kernels.CELL_TIMEOUT_S)
        assert not errors, errors
        result = json.loads(out)
        assert result["trained"] and result["equal"] and result["epochs"] > 1, result
