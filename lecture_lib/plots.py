"""Matplotlib helpers shared by notebooks and dashboards (the only core-adjacent module that
imports matplotlib; the math lives in the numpy modules).

Functions draw on Axes they are given and return the artists they made, so a dashboard can
change the artists' data instead of rebuilding its figure.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image


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


def plot_layer_variance(
    ax: Axes, layers, measured, predicted=None, *, label: str, color: str = "C0"
) -> list:
    """Measured per-layer variance (markers) beside the linear-regime prediction (dashed)."""
    artists = ax.semilogy(layers, measured, "o-", color=color, label=f"{label}, measured")
    if predicted is not None:
        artists += ax.semilogy(
            layers, predicted, "--", color=color, alpha=0.6, label=f"{label}, linear theory"
        )
    ax.set_xlabel("layer ℓ")
    ax.grid(True, which="major", alpha=0.3)
    return artists


def plot_layer_histograms(axes, values_per_layer, *, bins: int = 50, value_range=None, title=None):
    """A row of small histograms, one per layer (Saito's classic picture of activations)."""
    artists = []
    for ell, (ax, values) in enumerate(zip(axes, values_per_layer), start=1):
        _, _, patches = ax.hist(np.ravel(values), bins=bins, range=value_range, color="C0")
        ax.set_title(f"ℓ = {ell}", fontsize=9)
        ax.set_yticks([])
        artists.append(patches)
    if title:
        axes[0].figure.suptitle(title)
    return artists
