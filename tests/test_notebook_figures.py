"""Figure slips: every notebook shows each figure it draws, and nothing else.

Each notebook is executed once in a real kernel (nbclient) with a small hook in front of it
(``HOOK``, run as an extra first cell that is not part of the notebook). The hook wraps
``lecture_lib.plots.show`` (which displays a figure as ``<img alt>`` and closes it), the inline
backend's ``display`` (``plt.show()`` and a cell's leftover figures) and ``pyplot.figure``, and
listens to the kernel's cell events, so it sees every pyplot figure at the moment it is shown,
before it is closed. The test fails when

* a cell output is a stray object repr (``<matplotlib.legend.Legend at 0x…>``, ``Text(…)``, a
  list of ``Line2D``): a plotting call left as the cell's last line;
* a figure is shown with an axes that holds no data (an empty panel);
* a figure is shown without a text equivalent: by ``plt.show()`` or the inline backend (an
  ``image/png`` that JupyterLab renders as an ``<img>`` without ``alt``), or by
  ``plots.show(fig)`` with no ``alt`` (only an outline of titles and labels, no numbers);
* a cell draws on a figure that was already shown (and closed) in an earlier cell: that drawing
  is never shown;
* a pyplot figure with data is closed without ever being shown.

Dashboards draw on ``matplotlib.figure.Figure`` objects outside pyplot and show them as PNG
widgets: the hook does not see them, by design.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

HOOK = r'''
import json as _slip_json

import matplotlib.pyplot as _slip_plt
import matplotlib_inline.backend_inline as _slip_inline
import lecture_lib.plots as _slip_plots
from IPython import get_ipython as _slip_ipython
from matplotlib.figure import Figure as _SlipFigure

_slip_state = {"cell": -1, "slips": [], "shown": {}, "created": []}


def _slip_signature(fig):
    return tuple((len(ax.lines), len(ax.patches), len(ax.collections), len(ax.images),
                  len(ax.texts), ax.get_legend() is not None) for ax in fig.axes)


def _slip_shown(fig):
    """Record ``fig`` as shown in this cell, and check its axes as they are shown."""
    cell = _slip_state["cell"]
    for number, ax in enumerate(fig.axes):
        if ax.get_visible() and ax.axison and not ax.has_data():
            _slip_state["slips"].append(
                [cell, f"shows a figure whose axes {number} ({ax.get_title()!r}) has no data"])
    _slip_state["shown"][id(fig)] = (fig, _slip_signature(fig), cell)


def _slip_display(obj, *args, **kwargs):
    if isinstance(obj, _SlipFigure):
        _slip_shown(obj)
        _slip_state["slips"].append(
            [_slip_state["cell"], "shows a figure without alt text (plt.show() or the inline "
             "backend): use lecture_lib.plots.show(fig, alt=...)"])
    return _slip_original_display(obj, *args, **kwargs)


def _slip_plots_show(fig=None, alt=None):
    _slip_shown(_slip_plt.gcf() if fig is None else fig)
    if alt is None or not str(alt).strip():
        _slip_state["slips"].append(
            [_slip_state["cell"], "shows a figure with plots.show but no alt: state what it shows "
             "and its key numbers"])
    return _slip_original_plots_show(fig, alt)


def _slip_figure(*args, **kwargs):
    fig = _slip_original_figure(*args, **kwargs)
    _slip_state["created"].append((fig, _slip_state["cell"]))
    return fig


def _slip_before(info):
    _slip_state["cell"] += 1


def _slip_after(result):
    cell = _slip_state["cell"]
    for key, (fig, signature, shown_in) in list(_slip_state["shown"].items()):
        if _slip_signature(fig) != signature:
            _slip_state["slips"].append(
                [cell, "draws on a figure already shown in cell {}: this drawing is never shown",
                 shown_in])
            _slip_state["shown"][key] = (fig, _slip_signature(fig), shown_in)
    for fig, made_in in list(_slip_state["created"]):
        if id(fig) in _slip_state["shown"] or _slip_plt.fignum_exists(fig.number):
            continue
        _slip_state["created"].remove((fig, made_in))
        if any(ax.has_data() for ax in fig.axes):
            _slip_state["slips"].append(
                [made_in, "draws a pyplot figure that is closed without being shown"])


_slip_original_display = _slip_inline.display
_slip_inline.display = _slip_display
_slip_original_plots_show = _slip_plots.show
_slip_plots.show = _slip_plots_show  # plots.show looks nothing up through this name: no recursion
_slip_original_figure = _slip_plt.figure
_slip_plt.figure = _slip_figure
_slip_ipython().events.register("pre_run_cell", _slip_before)
_slip_ipython().events.register("post_run_cell", _slip_after)
'''

REPORT = "print(_slip_json.dumps(_slip_state['slips']))"

# A plotting call's return value printed as a cell result: an object address, an artist's repr,
# or a figure's repr without its picture.
STRAY = re.compile(r"<matplotlib\.|at 0x[0-9a-fA-F]+>|^\[?\s*Text\(|<Figure size")


def execute_with_hook(notebook: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list]:
    """Run ``notebook`` (a copy) with the hook; return the executed cells and the slips, each
    slip as (notebook cell index, message)."""
    nb = nbformat.from_dict(json.loads(json.dumps(notebook)))
    code_index = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    nb.cells = ([nbformat.v4.new_code_cell(HOOK)] + nb.cells
                + [nbformat.v4.new_code_cell(REPORT)])
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    with warnings.catch_warnings():  # the Jupyter client stack's own deprecation notices
        warnings.simplefilter("ignore", DeprecationWarning)
        client.execute()
    report = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    def where(cell):  # code-cell ordinal -> index among all cells of the notebook
        return code_index[cell] if 0 <= cell < len(code_index) else cell

    slips = [(where(cell), message.format(*map(where, other)))
             for cell, message, *other in json.loads(report)]
    return nbformat.from_dict({**nb, "cells": nb.cells[1:-1]}), slips


def stray_reprs(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(cell index, text) of every output that is a bare repr of a plotting object."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            text = data.get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            if text and "image/png" not in data and STRAY.search(text):
                found.append((index, text[:80]))
    return found


@pytest.fixture(scope="module")
def executed():
    cache = {}

    def run(path: Path):
        if path not in cache:
            cache[path] = execute_with_hook(nbformat.read(path, as_version=4))
        return cache[path]

    return run


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_figure_is_shown_once_with_data_and_no_stray_reprs(notebook: Path, executed):
    nb, slips = executed(notebook)
    problems = [f"cell {cell}: {message}" for cell, message in slips]
    problems += [f"cell {cell}: stray output {text!r}" for cell, text in stray_reprs(nb)]
    assert not problems, f"{notebook.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_outputs_have_no_stray_reprs(notebook: Path):
    committed = nbformat.read(notebook, as_version=4)
    assert not stray_reprs(committed), f"{notebook.name}: {stray_reprs(committed)}"


def test_the_hook_catches_each_kind_of_slip():
    """The slips of the issue, rebuilt: a legend repr, an empty panel, a drawing on a figure an
    earlier cell already showed, a figure closed unseen, figures shown without alt text; the same
    checks through plots.show, which closes the figure it shows; and clean cells that must pass."""
    cells = [
        "import matplotlib.pyplot as plt\nimport numpy as np\nimport lecture_lib.plots as plots",
        "fig, (ax, ax_gap) = plt.subplots(1, 2)\nax.plot([1, 2], label='a')\nax.legend()",
        "ax_gap.plot([1, 2, 3])\nplt.show()",
        "fig2, ax2 = plt.subplots()\nax2.plot([0, 1])\nplt.close(fig2)",
        "fig3, ax3 = plt.subplots()\nax3.plot([0, 1])\nplots.show(fig3, alt='a line from 0 to 1')",
        "fig4, ax4 = plt.subplots()\nax4.plot([0, 1])\nplt.show()",
        "fig5, (ax5, ax6) = plt.subplots(1, 2)\nax5.plot([0, 1])\nplots.show(fig5, alt='one line')",
        "fig6, ax7 = plt.subplots()\nax7.plot([0, 1])\nplots.show(fig6)",
        "late = ax7.plot([1, 0])",
        "fig7, ax8 = plt.subplots()\nax8.plot([0, 1])\nplots.show(alt='pyplot current figure')",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    executed_nb, slips = execute_with_hook(nb)
    messages: dict[int, list[str]] = {}
    for cell, message in slips:
        messages.setdefault(cell, []).append(message)

    def said(cell, text):
        return any(text in message for message in messages.get(cell, []))

    assert said(1, "no data") and said(1, "without alt text"), slips  # the inline backend's flush
    assert said(2, "already shown in cell 1"), slips
    assert said(3, "closed without being shown"), slips
    assert said(5, "without alt text") and len(messages[5]) == 1, slips
    assert said(6, "no data") and len(messages[6]) == 1, slips  # axes checked when plots.show runs
    assert said(7, "no alt") and len(messages[7]) == 1, slips
    assert said(8, "already shown in cell 7"), slips  # plots.show closed it: still counts as shown
    assert not {0, 4, 9} & set(messages), slips
    assert [cell for cell, _ in stray_reprs(executed_nb)] == [1]
    # plots.show displayed one bundle per figure, with its alt text as text/plain
    shown = [output for output in executed_nb.cells[4].outputs
             if "text/html" in output.get("data", {})]
    assert len(shown) == 1 and shown[0]["data"]["text/plain"] == "a line from 0 to 1"
