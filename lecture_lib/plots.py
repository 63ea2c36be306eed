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


def draw_contours(ax, surface: Surface, *, n: int = 120) -> None:
    """Filled and line contours of E over the surface's box, its start ■ and minimum ★.

    Levels are spaced by quantiles of E on the grid (squared spacing: dense near the
    minimum), so flat and steep surfaces both show structure.
    """
    W1, W2, E = surface.grid(n)
    levels = np.unique(np.quantile(E, np.linspace(0.0, 1.0, 18) ** 2))
    ax.contourf(W1, W2, E, levels=levels, cmap="Greys", alpha=0.35)
    ax.contour(W1, W2, E, levels=levels, colors="0.45", linewidths=0.5)
    ax.plot(*surface.start, "s", color="k", ms=6)
    ax.plot(*surface.minimum, "*", color="gold", mec="k", ms=14)
    ax.set_xlim(*surface.xlim)
    ax.set_ylim(*surface.ylim)
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")


def draw_path(ax, path, surface: Surface, *, color: str, label: str) -> list:
    """A path of :func:`lecture_lib.surfaces.run` inside the surface's box: the line, and a ●
    at its end, or a ✕ on the edge where it left the box (diverged or wandered off)."""
    points, exit_point = inside_part(path, surface.xlim, surface.ylim)
    artists = ax.plot(points[:, 0], points[:, 1], "-", color=color, lw=1.4, label=label)
    end, marker = (points[-1], "o") if exit_point is None else (exit_point, "X")
    artists += ax.plot(*end, marker, color=color, mec="k", ms=7 if marker == "o" else 12,
                       clip_on=False)
    return artists
