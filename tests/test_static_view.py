"""What readers without a kernel (GitHub, nbviewer) see: the committed outputs.

Every dashboard cell of every committed notebook leaves a PNG of its default state, every quiz
cell its static HTML (questions and folded answers), and the notebook is committed executed top
to bottom (execution counts 1..n, every code cell with its outputs), so nbval compares them all.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# A cell that shows a dashboard or a quiz: its last line is a Dashboard subclass built or shown
# (``dashboard``, ``explorer``), or a Quiz([...]) call.
QUIZ = re.compile(r"^Quiz\(", re.MULTILINE)


def _code_cells(path: Path) -> list[dict]:
    cells = json.loads(path.read_text())["cells"]
    return [dict(cell, index=i) for i, cell in enumerate(cells) if cell["cell_type"] == "code"]


def _widget_outputs(cell: dict) -> list[dict]:
    return [o.get("data", {}) for o in cell.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_executed_top_to_bottom(notebook: Path):
    cells = _code_cells(notebook)
    counts = [cell["execution_count"] for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{notebook.name}: execution counts {counts}; commit it run top to bottom "
        "(Kernel > Restart Kernel and Run All Cells, then save)")
    empty = [cell["index"] for cell in cells if not cell.get("outputs")]
    # A code cell without output is allowed only when it prints nothing (imports, definitions).
    assert all(cell.get("outputs") or not re.search(r"print\(|^\w+$|plt\.show\(\)",
                                                    "".join(cell["source"]), re.MULTILINE)
               for cell in cells), f"{notebook.name}: cells {empty} have lost their outputs"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_dashboard_cell_has_a_static_picture(notebook: Path):
    dashboards = 0
    for cell in _code_cells(notebook):
        for data in _widget_outputs(cell):
            if "text/html" in data and "<details>" in "".join(data["text/html"]):
                continue  # a quiz: checked below
            dashboards += 1
            assert "image/png" in data, (
                f"{notebook.name} cell {cell['index']}: a widget output without an image/png; "
                "show the dashboard object itself (Dashboard._repr_mimebundle_) as the cell's "
                "last line")
            assert len(data["image/png"]) > 1000, f"cell {cell['index']}: PNG suspiciously small"
            assert "text/plain" in data and "run the notebook" in "".join(data["text/plain"])
    dashboard_cells = [cell["index"] for cell in _code_cells(notebook)
                       if re.search(r"Dashboard\(|Explorer\(", "".join(cell["source"]))]
    assert dashboards >= len(dashboard_cells), (
        f"{notebook.name}: cells {dashboard_cells} build a dashboard, {dashboards} show one "
        "with a static picture")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_quiz_cell_has_a_static_html(notebook: Path):
    quizzes = [cell for cell in _code_cells(notebook) if QUIZ.search("".join(cell["source"]))]
    for cell in quizzes:
        html = [data for data in _widget_outputs(cell) if "text/html" in data]
        assert html, (f"{notebook.name} cell {cell['index']}: the quiz has no text/html output; "
                      "end the cell with the Quiz(...) object")
        text = "".join(html[0]["text/html"])
        questions = "".join(cell["source"]).count("Question(")
        assert text.count("<details>") == questions, (
            f"{notebook.name} cell {cell['index']}: {questions} questions in the source, "
            f"{text.count('<details>')} folded answers in the static view")


def test_dashboard_png_decodes_to_the_exact_pixels():
    """The hand-written PNG encoder (plots.rgba_to_png) is lossless: Pillow reads back every
    pixel of a random picture and of a real figure."""
    import io

    import numpy as np
    from PIL import Image

    from lecture_lib.plots import figure_png, new_figure, rgba_to_png

    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    back = np.asarray(Image.open(io.BytesIO(rgba_to_png(rgba))))
    assert back.shape == (7, 5, 3) and np.array_equal(back, rgba[..., :3])
    fig = new_figure(2, 1.5)
    fig.subplots().plot([0, 1], [1, 0])
    png = figure_png(fig)
    drawn = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), drawn)
