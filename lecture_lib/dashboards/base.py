"""What every dashboard shares: a blitted figure turned into PNG bytes, shown as a picture with
a text equivalent that changes with it.

Accessibility (WCAG 1.1.1, "non-text content"): ipywidgets' ``Image`` renders an ``<img>``
without ``alt`` and has no way to give one (and ``Image(tooltip=...)`` breaks its rendering in
ipywidgets 8.1). :class:`Picture` instead writes ``<img alt="..." src="data:image/png;base64,...">``
into a ``widgets.HTML``; the dashboard's :meth:`Dashboard.describe` states the numbers the
picture shows, and :meth:`Dashboard.show` sets picture and text together on every redraw, so a
screen reader reading the image reads what is drawn now.
"""

from __future__ import annotations

import base64
import html
import struct

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


class Picture:
    """A PNG shown as ``<img>`` with a text alternative (``alt``), inside ``widget``.

    ``value`` holds the PNG bytes (as ``ipywidgets.Image.value`` did, so ``bytes(image.value)``
    still reads the picture); ``show(png, alt)`` changes picture and text in one message.
    Put ``picture.widget`` in the dashboard's box.
    """

    def __init__(self, alt: str = "") -> None:
        self.widget = widgets.HTML(layout=widgets.Layout(width="auto"))
        self.widget.add_class("lecture-picture")
        self._png = b""
        self._alt = alt

    @property
    def value(self) -> bytes:
        """The PNG bytes shown now."""
        return self._png

    @value.setter
    def value(self, png: bytes) -> None:
        self.show(png, self._alt)

    @property
    def alt(self) -> str:
        """The text equivalent of the picture shown now."""
        return self._alt

    def show(self, png: bytes, alt: str) -> None:
        """Show ``png`` with the text equivalent ``alt`` (plain text; escaped here)."""
        self._png, self._alt = bytes(png), alt
        data = base64.b64encode(self._png).decode("ascii")
        size = ""
        if self._png[12:16] == b"IHDR":  # width and height attributes: no jump while decoding
            width, height = struct.unpack(">II", self._png[16:24])
            size = f'width="{width}" height="{height}" '
        self.widget.value = (
            f'<img alt="{html.escape(alt, quote=True)}" {size}'
            f'src="data:image/png;base64,{data}" style="max-width:100%;height:auto;display:block">'
        )


class Dashboard:
    """Base of the dashboards: ``box`` (the whole widget), ``image`` (the picture, a
    :class:`Picture`), ``update()`` and ``describe()``; shown in a notebook as the live widget
    plus a static PNG for readers without a kernel.

    A subclass computes in ``update()``, moves its artists, then calls
    ``self.show(self.blit.render())``: the picture and its text equivalent, from
    ``describe()``, change together.
    """

    title = "Dashboard"
    box: widgets.Widget
    image: Picture

    def update(self) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        """The text equivalent of the picture shown now: what it shows and its key numbers,
        in plain text (a screen reader reads it as the image's ``alt``)."""
        return self.title

    def show(self, png: bytes) -> None:
        """Show a new picture with the text equivalent ``describe()`` gives now."""
        self.image.show(png, self.describe())

    def alt_text(self) -> str:
        """The text equivalent the picture carries now (what ``describe()`` said when it was
        drawn)."""
        return self.image.alt

    def _redraw(self, change=None) -> None:
        """Observer for widgets: redraw on one BLAS thread. Warnings are not hidden: a dashboard
        handles the overflows its controls can reach itself (tests and students see the same
        code path)."""
        with _BLAS.limit(limits=1, user_api="blas"):
            self.update()

    def png(self) -> bytes:
        """PNG bytes of what the dashboard shows now."""
        return bytes(self.image.value)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.box._repr_mimebundle_(**kwargs) or {}
        bundle["image/png"] = base64.b64encode(self.png()).decode()
        bundle["text/plain"] = f"{self.title}: run the notebook to move the sliders"
        alt = self.image.alt if isinstance(self.image, Picture) else ""
        if alt:  # nbconvert (nbviewer, HTML export) writes it as the static picture's alt
            return bundle, {"image/png": {"alt": alt}}
        return bundle
