"""What every dashboard shares: a blitted figure turned into PNG bytes, shown as a picture with
a text equivalent that changes with it.

Accessibility (WCAG 1.1.1, "non-text content"): ipywidgets' ``Image`` renders an ``<img>``
without ``alt`` and has no way to give one (and ``Image(tooltip=...)`` breaks its rendering in
ipywidgets 8.1). :class:`Picture` instead writes ``<img alt="..." src="data:image/png;base64,...">``
into a ``widgets.HTML``; the dashboard's :meth:`Dashboard.describe` states the numbers the
picture shows, and :meth:`Dashboard.show` sets picture and text together on every redraw, so a
screen reader reading the image reads what is drawn now.

Re-running a cell must not cost memory: a new dashboard of a kind (its class) replaces the
previous one of that kind in the kernel. The old one is closed (:meth:`Dashboard.close`): its
widgets are closed (the widget registry drops them), and its figure, caches and data are
released; what IPython's output history still holds of it is an empty shell.

A control set from code to a value it cannot take (``dashboard.c.value = float("nan")``,
``surface.value = "bowl"``) is refused at the control, with one line that names it and the
allowed values, and keeps its last good value: nothing is computed with the bad value.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import functools
import gc
import html
import math
import struct
import sys
import weakref

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from threadpoolctl import ThreadpoolController

from lecture_lib.dashboards.style import fmt
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


def widget_tree(root) -> list[widgets.Widget]:
    """Every widget reachable from ``root`` (a widget, or a dict, list or tuple of them): the
    children of boxes and the widgets held in traits (a control's ``layout`` and ``style``)."""
    found: dict[int, widgets.Widget] = {}
    stack = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, widgets.Widget) and id(item) not in found:
            found[id(item)] = item
            stack.extend(getattr(item, name, None) for name in item.keys
                         if name not in ("value", "options"))
    return list(found.values())


def _allowed(widget) -> tuple[object, str] | None:
    """(what a value must satisfy, the allowed values in words) of a control that can be
    given a value it cannot show, or None."""
    if isinstance(widget, widgets.FloatLogSlider):
        low, high = widget.base ** widget.min, widget.base ** widget.max
        return (lambda v: math.isfinite(v),
                f"a number from {fmt(low)} to {fmt(high)} (beyond, the slider's end)")
    if isinstance(widget, (widgets.widget_float._BoundedFloat)):
        return (lambda v: math.isfinite(v),
                f"a number from {fmt(widget.min)} to {fmt(widget.max)} (beyond, the slider's end)")
    if isinstance(widget, widgets.widget_selection._Selection):
        values = list(widget._options_values)
        return (lambda v: any(v is o or v == o for o in values),
                "one of " + ", ".join(map(repr, values)))
    return None


def guard_control(name: str, widget, refused: list[str]) -> None:
    """Refuse at ``widget`` a value it cannot take: one line on stderr (also appended to
    ``refused``) naming ``name`` and the allowed values; the control keeps its value."""
    rule = _allowed(widget)
    if rule is None:
        return
    accepts, allowed = rule
    original = widget._trait_validators.get("value")

    def validate(owner, proposal):
        value = proposal.value
        try:
            good = bool(accepts(value))
        except (TypeError, ValueError):
            good = False
        if not good:
            line = f"{name} = {value!r} refused: {name} must be {allowed}; it stays {owner.value!r}"
            refused.append(line)
            print(line, file=sys.stderr)
            return owner.value
        return original(owner, proposal) if original is not None else value

    widget._register_validator(validate, ("value",))


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None (macOS, Windows, musl)."""
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c")), "malloc_trim", None)
    except OSError:
        return None


def return_freed_memory() -> None:
    """Collect the reference cycles of a closed dashboard (a figure is full of them) and give
    the C heap's free pages back to the system. Without the trim, glibc keeps the freed pages
    of a heap fragmented by the figures' many allocations: 20 re-runs of the initialization
    dashboard's cell grew a process by 39 MiB of free memory, with it by 0.5 MiB (measured
    here, with the Python objects and traced allocations flat in both)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


#: The live dashboard of each kind (class) in this process: a new one closes the old one.
_LIVE: dict[type, weakref.ref] = {}


class _OnePerKind(type):
    """Makes a dashboard, guards its controls, then closes the previous one of its class."""

    def __call__(cls, *args, **kwargs):
        dashboard = super().__call__(*args, **kwargs)
        dashboard._guard_controls()
        previous = _LIVE.get(cls)
        previous = None if previous is None else previous()
        if previous is not None and previous is not dashboard:
            previous.close()
        _LIVE[cls] = weakref.ref(dashboard)
        return dashboard


class Dashboard(metaclass=_OnePerKind):
    """Base of the dashboards: ``box`` (the whole widget), ``image`` (the picture, a
    :class:`Picture`), ``update()`` and ``describe()``; shown in a notebook as the live widget
    plus a static PNG for readers without a kernel.

    A subclass computes in ``update()``, moves its artists, then calls
    ``self.show(self.blit.render())``: the picture and its text equivalent, from
    ``describe()``, change together.

    Making a dashboard closes the previous one of the same class (see the module docstring);
    ``refused`` lists the lines of values its controls refused.
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

    def _controls(self) -> dict[str, widgets.Widget]:
        """The controls by the name code uses for them (``c``, ``rules['SGD']``)."""
        public = {attr: value for attr, value in vars(self).items() if not attr.startswith("_")}
        named: dict[str, widgets.Widget] = {}
        for attr, value in public.items():
            if isinstance(value, widgets.Widget) and not isinstance(value, widgets.Box):
                named[attr] = value
        for attr, value in public.items():
            if isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, widgets.Widget) and item not in named.values():
                        named[f"{attr}[{key!r}]"] = item
        return named

    def _guard_controls(self) -> None:
        self.refused: list[str] = []
        for name, widget in self._controls().items():
            guard_control(name, widget, self.refused)

    def close(self) -> None:
        """Close the widgets and release the figure, the caches and the data: what is left is
        an empty shell (IPython's output history may still hold it). Called when a newer
        dashboard of the same class is made."""
        if self.__dict__.get("_closed"):
            return
        for widget in widget_tree(list(vars(self).values())):
            widget.close()
        self.__dict__.clear()
        self._closed = True
        return_freed_memory()

    def __getattr__(self, name: str):
        if self.__dict__.get("_closed"):
            raise AttributeError(f"this {self.title.lower()} was closed when a newer one was made "
                                 f"in this kernel: use the newer one (it has {name!r})")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def png(self) -> bytes:
        """PNG bytes of what the dashboard shows now."""
        return bytes(self.image.value)

    def _repr_mimebundle_(self, **kwargs):
        if self.__dict__.get("_closed"):
            return {"text/plain": f"{self.title} (closed: a newer one was made in this kernel)"}
        bundle = self.box._repr_mimebundle_(**kwargs) or {}
        bundle["image/png"] = base64.b64encode(self.png()).decode()
        bundle["text/plain"] = f"{self.title}: run the notebook to move the sliders"
        alt = self.image.alt if isinstance(self.image, Picture) else ""
        if alt:  # nbconvert (nbviewer, HTML export) writes it as the static picture's alt
            return bundle, {"image/png": {"alt": alt}}
        return bundle
