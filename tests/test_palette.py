"""The figures use one colour-blind-safe palette (Okabe–Ito), set in lecture_lib.plots."""

from __future__ import annotations

import matplotlib as mpl
from matplotlib.colors import to_hex

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
