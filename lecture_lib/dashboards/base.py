"""What every dashboard shares: a blitted figure turned into PNG bytes for an Image widget."""

from __future__ import annotations

import base64
import warnings

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from threadpoolctl import ThreadpoolController

from lecture_lib.plots import rgba_to_png

# A redraw multiplies small matrices. OpenBLAS's threads then cost more than they save, and when
# the browser or the Jupyter server holds the other core they wait on each other: on 2 cores the
# init dashboard's p50 went from ~70 ms (1 thread) to ~400 ms (2 threads) under such load.
_BLAS = ThreadpoolController()


class BlittedFigure:
    """A figure whose static parts (axes, ticks, labels) are drawn once.

    Artists that change on a slider move are created with ``animated=True``; ``render()``
    restores the saved background, draws only those artists and encodes the picture. Call
    ``draw_background()`` after anything static changed (an axis range, a label); a dashboard
    that switches between several static layouts may keep their ``background`` and put one back.
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.moving: list = []
        self.background = None

    def draw_background(self):
        """Draw the static parts and save them; returns the saved background."""
        self.fig.canvas.draw()
        self.background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        return self.background

    def render(self) -> bytes:
        if self.background is None:
            self.draw_background()
        canvas = self.fig.canvas
        canvas.restore_region(self.background)
        for artist in self.moving:
            artist.axes.draw_artist(artist)
        return rgba_to_png(np.asarray(canvas.buffer_rgba()))


class Dashboard:
    """Base of the dashboards: ``box`` (the whole widget), ``image`` (the picture) and
    ``update()``; shown in a notebook as the live widget plus a static PNG for readers without a
    kernel."""

    title = "Dashboard"
    box: widgets.Widget
    image: widgets.Image

    def update(self) -> None:
        raise NotImplementedError

    def _update_quietly(self, change=None) -> None:
        """Observer for widgets: redraw on one BLAS thread, with numpy's warnings kept out of the
        student's view (every extreme a control reaches is explained by the readout instead)."""
        with warnings.catch_warnings(), np.errstate(all="ignore"), _BLAS.limit(
            limits=1, user_api="blas"
        ):
            warnings.simplefilter("ignore", RuntimeWarning)
            self.update()

    def png(self) -> bytes:
        """PNG bytes of what the dashboard shows now."""
        return bytes(self.image.value)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.box._repr_mimebundle_(**kwargs) or {}
        bundle["image/png"] = base64.b64encode(self.png()).decode()
        bundle["text/plain"] = f"{self.title}: run the notebook to move the sliders"
        return bundle
