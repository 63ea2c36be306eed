"""What every dashboard looks like, defined once: number formatting, widget styles and layouts,
and the colours of readout text (the figure palette itself lives in :mod:`lecture_lib.plots`).

A dashboard builds its controls with these, so the same control has the same width and label
width everywhere, and a number reads the same in every readout and text equivalent.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
from matplotlib.colors import to_hex, to_rgb

from lecture_lib.plots import COLORS

# Description column of a slider row: wide enough for the longest label ("c in var(w) = c/d",
# "β (momentum, RMSProp)") without JupyterLab cutting it off.
LABEL_WIDTH = "170px"
ROW_WIDTH = "480px"
BUTTON_WIDTH = "104px"



def contrast_with_white(color: str) -> float:
    """WCAG 2 contrast ratio of ``color`` against white (1 to 21; text needs 4.5 for AA)."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in to_rgb(color))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def readable(color: str, *, ratio: float = 4.5) -> str:
    """``color`` darkened just enough to be read as text on white (WCAG AA, 4.5:1), so a
    readout can name a line in the line's own hue: most palette colours are too light as they
    are (Okabe–Ito orange on white is 2:1)."""
    rgb = to_rgb(color)
    for step in range(101):
        darker = tuple(c * (1 - step / 100) for c in rgb)
        if contrast_with_white(darker) >= ratio:
            return to_hex(darker)
    return "#000000"


# Readout colours: the palette's hues, dark enough for text (the ✔ and ✘ carry the meaning too).
GOOD_COLOR = readable(COLORS["bluish green"])
BAD_COLOR = readable(COLORS["vermillion"])


def fmt(value: float, digits: int = 3) -> str:
    """A number for a readout: ``0`` for zero, ``nan``/``inf`` as such, else ``digits``
    significant digits (``1e+03`` style beyond 10⁴ or below 10⁻⁴).

    >>> fmt(0.0), fmt(1 / 3), fmt(2.0), fmt(12345.0), fmt(float("inf"))
    ('0', '0.333', '2', '1.23e+04', 'inf')
    """
    value = float(value)
    if value == 0:
        return "0"
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}g}"


def percent(fraction: float) -> str:
    """A fraction in [0, 1] as a whole percentage: ``0.5`` -> ``50%``."""
    return f"{float(fraction):.0%}"


def slider_style(label_width: str = LABEL_WIDTH) -> dict:
    """Style of a slider or text box: the description column's width."""
    return {"description_width": label_width}


def row_layout(width: str = ROW_WIDTH) -> widgets.Layout:
    """Layout of one control row (a new object each call: widgets must not share a Layout)."""
    return widgets.Layout(width=width)


def toggle_style(button_width: str = BUTTON_WIDTH) -> dict:
    """Style of ToggleButtons: every button as wide as its longest label needs."""
    return {"button_width": button_width, "description_width": "initial"}


def colored(text: str, color: str) -> str:
    """``text`` (already HTML-escaped) in ``color`` and bold, for a readout."""
    return f"<b style='color:{color}'>{text}</b>"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(value: float) -> str:
    """An exact power of ten as text: ``1e-06`` -> ``10⁻⁶`` (anything else through ``fmt``)."""
    exponent = math.log10(value) if value > 0 else math.nan
    if math.isfinite(exponent) and exponent == round(exponent):
        return "10" + str(int(round(exponent))).translate(_SUPERSCRIPT)
    return fmt(value)
