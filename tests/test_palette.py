"""The figures use one colour-blind-safe palette (Okabe–Ito), set in lecture_lib.plots."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib as mpl
import pytest
from matplotlib.colors import to_hex, to_rgba

import lecture_lib.plots as plots

# Okabe & Ito (2008), "Color Universal Design", typed here from the source, not from the code.
OKABE_ITO = {"#000000", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00",
             "#cc79a7"}


def test_palette_is_okabe_ito():
    assert {to_hex(c) for c in plots.PALETTE} == OKABE_ITO
    assert len(plots.LINESTYLES) == len(plots.PALETTE) == len(set(plots.MARKERS))


def test_importing_plots_sets_the_default_cycle():
    cycle = mpl.rcParams["axes.prop_cycle"].by_key()
    assert [to_hex(c) for c in cycle["color"]] == [to_hex(c) for c in plots.PALETTE]
    # every colour comes with its own dash pattern: overlapping lines differ without colour
    assert len({str(s) for s in cycle["linestyle"]}) == len(plots.PALETTE)


# ---------------------------------------------------------------- notebooks

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
PALETTE_IMPORT = re.compile(r"^\s*(import lecture_lib\.(plots|dashboards)|"
                            r"from lecture_lib\.(plots|dashboards)[\w.]* import)", re.MULTILINE)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_imports_the_palette_before_its_first_figure(notebook: Path):
    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) for c in cells]
    first_figure = next(i for i, s in enumerate(sources) if re.search(r"plt\.|new_figure", s))
    assert any(PALETTE_IMPORT.search(s) for s in sources[: first_figure + 1]), (
        f"{notebook.name}: import lecture_lib.plots before cell {first_figure} draws")


# ---------------------------------------------------------------- dashboards


def _is_neutral(color) -> bool:
    r, g, b, _ = to_rgba(color)
    return r == g == b  # black, white, greys: reference lines and edges, not series


def _series(ax):
    """The lines of an axes that carry data (two points or more, or not yet filled); a single
    point marker (an end ● or ✕, drawn empty until a path exists) is not a series."""
    return [line for line in ax.get_lines()
            if len(line.get_xdata()) > 1
            or (len(line.get_xdata()) == 0 and line.get_linestyle() not in ("None", "none", ""))]


def _dashboards():
    from lecture_lib.dashboards import (
        InitializationDashboard,
        RegularizationDashboard,
        SurfaceExplorer,
        TrainingExplorer,
    )

    return [
        pytest.param(lambda: InitializationDashboard(n_samples=16), id="init"),
        pytest.param(lambda: SurfaceExplorer(steps=20), id="surfaces"),
        pytest.param(lambda: TrainingExplorer(epochs=1, time_limit=1.0), id="training"),
        pytest.param(lambda: RegularizationDashboard(max_epochs=2, every=1), id="dropout"),
    ]


@pytest.mark.parametrize("make", _dashboards())
def test_dashboard_lines_use_the_palette_and_differ_by_more_than_colour(make):
    """Every line of a dashboard's figure is a palette colour (or a neutral grey), and two
    lines of different colour in one panel also differ in dash pattern or marker."""
    fig = make().fig
    allowed = {to_hex(c) for c in plots.PALETTE}
    for ax in fig.axes:
        lines = _series(ax)
        for line in lines:
            color = line.get_color()
            assert to_hex(color) in allowed or _is_neutral(color), (
                f"{ax.get_title()!r}: line {line.get_label()!r} in {color}")
        styled = {}
        for line in lines:
            if _is_neutral(line.get_color()):
                continue
            key = (str(line.get_linestyle()), str(line.get_marker()))
            other = styled.setdefault(key, line)
            assert other is line or to_hex(other.get_color()) == to_hex(line.get_color()), (
                f"{ax.get_title()!r}: {other.get_label()!r} and {line.get_label()!r} differ by "
                "colour alone")


def test_images_use_a_colour_blind_safe_map():
    from lecture_lib.dashboards import InitializationDashboard

    fig = InitializationDashboard(n_samples=16).fig
    for ax in fig.axes:
        for image in ax.get_images():
            assert image.get_cmap().name in {"viridis", "cividis", "Greys", "gray"}


def test_readout_colours_are_readable_on_white():
    """Text colours meet WCAG AA (4.5:1). The contrast function is checked on published values
    first: #767676 is the lightest grey that passes on white (4.54:1), #777777 fails (4.48)."""
    from lecture_lib.dashboards.style import (
        BAD_COLOR,
        GOOD_COLOR,
        contrast_with_white,
        readable,
    )

    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)
    assert contrast_with_white("#777777") == pytest.approx(4.48, abs=0.01)
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    for color in (*plots.PALETTE, GOOD_COLOR, BAD_COLOR):
        assert contrast_with_white(readable(color)) >= 4.5, color
    assert readable("#0072B2").lower() == "#0072b2"  # dark enough already: unchanged


def test_show_gives_a_figure_an_img_with_alt_text():
    """plots.show's bundle: an <img alt> JupyterLab renders (text/html), the PNG for other
    readers, the alt text as text/plain; without alt, an outline from titles and labels."""
    import base64
    import html as html_module

    from lecture_lib.plots import figure_bundle, new_figure

    fig = new_figure(3, 2)
    ax = fig.subplots()
    ax.semilogy([1, 2, 3], [1, 10, 100], label="measured")
    ax.set_title("var(x) per layer")
    ax.set_xlabel("layer")
    ax.legend()
    bundle, metadata = figure_bundle(fig, alt='var(x) grows 10× per layer, "measured"')
    assert bundle["text/plain"] == 'var(x) grows 10× per layer, "measured"'
    assert metadata == {"image/png": {"alt": bundle["text/plain"]}}
    match = re.fullmatch(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)">',
                         bundle["text/html"])
    assert match and html_module.unescape(match.group(1)) == bundle["text/plain"]
    assert base64.b64decode(match.group(2)).startswith(b"\x89PNG")
    assert match.group(2) == bundle["image/png"]
    outline, _ = figure_bundle(fig)
    assert outline["text/plain"] == ("Figure with 1 panel: panel 1 'var(x) per layer'; "
                                     "x: layer; lines: measured")
