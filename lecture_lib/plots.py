"""Matplotlib helpers shared by notebooks and dashboards (the only core-adjacent module that
imports matplotlib; the math lives in the numpy modules).

Functions draw on Axes they are given and return the artists they made, so a dashboard can
change the artists' data instead of rebuilding its figure.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from lecture_lib.surfaces import Surface, inside_part
from lecture_lib.tuning import local_minima


def new_figure(width: float, height: float, *, dpi: int = 80, **subplot_kw) -> Figure:
    """A figure not managed by pyplot (nothing is shown twice inline), with an Agg canvas."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained", **subplot_kw)
    FigureCanvasAgg(fig)
    return fig


def rgba_to_png(rgba: np.ndarray) -> bytes:
    """PNG bytes of an RGBA buffer; fast zlib level, the picture is redrawn on every move."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(buffer, "png", compress_level=1)
    return buffer.getvalue()


def figure_png(fig: Figure) -> bytes:
    """Draw the whole figure and return it as PNG bytes."""
    fig.canvas.draw()
    return rgba_to_png(np.asarray(fig.canvas.buffer_rgba()))


def histogram_rows(
    rows, *, low: float, high: float, bins: int
) -> np.ndarray:
    """One normalized histogram per array in ``rows`` (values outside [low, high] are clipped
    into the end bins), each row scaled to a maximum of 1: shape (len(rows), bins)."""
    image = np.zeros((len(rows), bins))
    for r, values in enumerate(rows):
        index = ((np.ravel(values) - low) * (bins / (high - low))).astype(np.int64)
        counts = np.bincount(np.clip(index, 0, bins - 1), minlength=bins).astype(float)
        image[r] = counts / max(counts.max(), 1.0)
    return image


def draw_contours(ax, surface: Surface, *, n: int = 120, levels: int = 16) -> list:
    """Filled and line contours of E over the surface's box, its start □ and every minimum.

    The levels are evenly spaced in E (``levels`` of them): where the surface is flat (a
    plateau) no contour lines appear, as it should look. Global minima are marked ★, other
    local minima ☆ (white star), found by :func:`lecture_lib.tuning.local_minima`. Returns the
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
