"""Matplotlib helpers shared by notebooks and dashboards (the only core-adjacent module that
imports matplotlib; the math lives in the numpy modules).

Functions draw on Axes they are given and return the artists they made, so a dashboard can
change the artists' data instead of rebuilding its figure.
"""

from __future__ import annotations

import contextlib
import struct
import zlib

import matplotlib as mpl
import numpy as np
from matplotlib import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lecture_lib.surfaces import Surface, inside_part, local_minima

# ---------------------------------------------------------------- palette
# Okabe & Ito's colour-blind-safe palette ("Color Universal Design", 2008): the eight colours stay
# distinguishable with protanopia, deuteranopia and tritanopia and in greyscale by lightness.
# Set in one place: importing this module makes it matplotlib's default cycle (notebooks get it
# by importing ``lecture_lib.plots``; the dashboards import it), and each colour is paired with
# its own dash pattern, so overlapping lines never differ by colour alone.
COLORS: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish green": "#009E73",
    "reddish purple": "#CC79A7",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "black": "#000000",
    "yellow": "#F0E442",
}
PALETTE: tuple[str, ...] = tuple(COLORS.values())
# one dash pattern per palette colour (solid, dashed, dash-dot, dotted, ...)
LINESTYLES: tuple = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)),
                     (0, (3, 1, 1, 1, 1, 1)))
# the dash patterns in words, for text equivalents ("the dashed line")
LINESTYLE_NAMES: tuple[str, ...] = ("solid", "dashed", "dash-dot", "dotted", "long dash-dot",
                                    "densely dotted", "long dashed", "dash-dot-dot")
# one marker per palette colour, for lines drawn with points
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")
# neutral colours for reference lines, grids and edges: not series, so outside the palette
NEUTRALS: tuple[str, ...] = ("0.3", "0.45", "0.6", "0.65", "0.8", "k", "w")


def palette_rc() -> dict:
    """The rcParams that make the palette (with its dash patterns) matplotlib's default cycle."""
    return {
        "axes.prop_cycle": cycler(color=list(PALETTE)) + cycler(linestyle=list(LINESTYLES)),
        "image.cmap": "viridis",  # perceptually uniform and colour-blind safe
    }


def use_palette() -> None:
    """Make the palette the default of every figure made after this call (done on import)."""
    mpl.rcParams.update(palette_rc())


@contextlib.contextmanager
def palette_context():
    """The palette for the figures made inside the ``with`` block only."""
    with mpl.rc_context(palette_rc()):
        yield


def series_style(index: int) -> dict:
    """Colour, dash pattern and marker of the ``index``-th series of a figure: pass them to
    ``plot`` so that series that overlap still differ without colour."""
    k = index % len(PALETTE)
    return {"color": PALETTE[k], "linestyle": LINESTYLES[k], "marker": MARKERS[k]}


def dash_name(index: int) -> str:
    """The dash pattern of :func:`series_style` ``(index)`` in words ("dashed")."""
    return LINESTYLE_NAMES[index % len(PALETTE)]


use_palette()


def new_figure(width: float, height: float, *, dpi: int = 80, **subplot_kw) -> Figure:
    """A figure not managed by pyplot (nothing is shown twice inline), with an Agg canvas. Its
    axes cycle through the palette (the default once this module is imported); dashboards also
    name their colours from ``COLORS``, so a notebook's ``plt.style.use`` cannot change them."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained", **subplot_kw)
    FigureCanvasAgg(fig)
    return fig


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + tag + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))


def rgba_to_png(rgba: np.ndarray) -> bytes:
    """PNG bytes of an RGBA buffer's colours (8-bit RGB), written directly: rows unfiltered,
    zlib level 1. The picture is redrawn on every slider move; this takes about a third of the
    CPU of Pillow's encoder (which tries every row filter) for a file about 15% larger."""
    rgb = np.asarray(rgba)[..., :3]
    height, width = rgb.shape[:2]
    raw = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # filter byte 0 ("None") per row
    raw[:, 1:] = rgb.reshape(height, 3 * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)) + _png_chunk(b"IEND", b""))


def figure_png(fig: Figure) -> bytes:
    """Draw the whole figure and return it as PNG bytes."""
    fig.canvas.draw()
    return rgba_to_png(np.asarray(fig.canvas.buffer_rgba()))


def figure_summary(fig: Figure) -> str:
    """A plain-text outline of a figure, from what it already names: per panel its title, axis
    labels (and log scales) and legend entries. A starting point for a text equivalent; the
    numbers that matter should be added by whoever shows the figure."""
    panels = []
    for number, ax in enumerate(fig.axes, start=1):
        if not ax.get_visible() or not ax.axison:
            continue
        parts = [f"panel {number}" + (f" '{ax.get_title()}'" if ax.get_title() else "")]
        for axis, label, scale in (("x", ax.get_xlabel(), ax.get_xscale()),
                                   ("y", ax.get_ylabel(), ax.get_yscale())):
            if label:
                parts.append(f"{axis}: {label}" + (f" ({scale} scale)" if scale != "linear"
                                                   else ""))
        legend = ax.get_legend()
        if legend is not None:
            entries = [t.get_text() for t in legend.get_texts() if t.get_text()]
            if entries:
                parts.append("lines: " + ", ".join(entries))
        panels.append("; ".join(parts))
    title = fig._suptitle.get_text() if fig._suptitle is not None else ""
    head = f"Figure '{title}'" if title else "Figure"
    return f"{head} with {len(panels)} panel{'s' * (len(panels) != 1)}: " + ". ".join(panels)


def figure_bundle(fig: Figure, alt: str | None = None) -> tuple[dict, dict]:
    """The display bundle of a figure with a text equivalent, and its metadata.

    ``text/html`` is ``<img alt="..." src="data:image/png;base64,...">``: JupyterLab prefers it
    to ``image/png`` and shows the alt text to screen readers (its image renderer ignores any
    ``alt`` metadata; nbconvert reads it, so it is set too). ``text/plain`` is the alt text.
    """
    import base64
    import html
    import io

    alt = figure_summary(fig) if alt is None else alt
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    bundle = {
        "text/html": f'<img alt="{html.escape(alt, quote=True)}" '
                     f'src="data:image/png;base64,{data}">',
        "image/png": data,
        "text/plain": alt,
    }
    return bundle, {"image/png": {"alt": alt}}


def show(fig: Figure | None = None, alt: str | None = None) -> None:
    """Show ``fig`` (default: pyplot's current figure) in a notebook with a text equivalent
    ``alt`` (default: :func:`figure_summary`), and close it so it is not shown twice.

    Use instead of ``plt.show()`` in a notebook: ``show(fig, alt="...")``.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    fig = plt.gcf() if fig is None else fig
    bundle, metadata = figure_bundle(fig, alt)
    display(bundle, raw=True, metadata=metadata)
    plt.close(fig)


def draw_contours(ax, surface: Surface, *, n: int = 120, levels: int = 16) -> list:
    """Filled and line contours of E over the surface's box, its start □ and every minimum.

    The levels are evenly spaced in E (``levels`` of them): where the surface is flat (a
    plateau) no contour lines appear, as it should look. Global minima are marked ★, other
    local minima ☆ (white star), found by :func:`lecture_lib.surfaces.local_minima`. Returns the
    artists.
    """
    W1, W2, E = surface.grid(n)
    values = np.linspace(E.min(), E.max(), levels + 1)
    artists = [ax.contourf(W1, W2, E, levels=values, cmap="Greys", alpha=0.35),
               ax.contour(W1, W2, E, levels=values[1:-1], colors="0.45", linewidths=0.5,
                          linestyles="solid")]
    artists += ax.plot(*surface.start, "s", color="k", mfc="none", mew=1.5, ms=8, zorder=1.5)
    minima = local_minima(surface)
    lowest = minima[0][2] if minima else None
    for w1, w2, value in minima:
        is_global = value <= lowest + 1e-6 * max(1.0, abs(lowest))
        artists += ax.plot(w1, w2, "*", color="gold" if is_global else "white", mec="k", ms=14,
                           zorder=1.6)
    ax.set_xlim(*surface.xlim)
    ax.set_ylim(*surface.ylim)
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    return artists


def draw_path(ax, path, surface: Surface, *, color: str, label: str) -> list:
    """A path of :func:`lecture_lib.surfaces.run` inside the surface's box: the line, and a ●
    at its end, or a ✕ on the edge where it left the box (diverged or wandered off). Drawn
    above the start and minimum markers, so that a path that hardly moved stays visible."""
    points, exit_point = inside_part(path, surface.xlim, surface.ylim)
    artists = ax.plot(points[:, 0], points[:, 1], "-", color=color, lw=1.4, label=label,
                      zorder=2.5)
    end, marker = (points[-1], "o") if exit_point is None else (exit_point, "X")
    artists += ax.plot(*end, marker, color=color, mec="k", ms=6 if marker == "o" else 12,
                       clip_on=False, zorder=2.6)
    return artists
