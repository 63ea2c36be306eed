"""Live dashboards (ipywidgets + matplotlib) on top of the numpy core.

Each dashboard is one class holding its widgets, its figure, one ``update()`` (compute with a
numpy function of the core, then move the figure's artists) and ``describe()`` (the picture in
words: the ``alt`` text of its ``<img>``, see :mod:`lecture_lib.dashboards.base`). Showing the
object in a notebook cell renders the live widget in JupyterLab and a static PNG of its current
state on GitHub and nbviewer. Tests drive a dashboard without a browser by setting a widget's
``.value`` and reading what it now shows. Number formats, control sizes and readout colours
are in :mod:`lecture_lib.dashboards.style`; the figure palette in :mod:`lecture_lib.plots`.

* :class:`InitializationDashboard`: notebook 01, per-layer variance for any initialization.
* :class:`SurfaceExplorer`, :class:`TrainingExplorer`: notebooks 02 and 02b, optimizers on 2-D error
  surfaces and on the digits.
* :class:`RegularizationDashboard`: notebook 03, dropout and early stopping while training.
* :class:`Quiz`: the self-check questions of every notebook.
"""

import importlib

# Each name is imported from its module when first asked for, so that a notebook importing only
# the quiz does not load the optimization and regularization dashboards (and their math).
_MODULES = {
    "InitializationDashboard": "initialization",
    "Question": "quiz",
    "Quiz": "quiz",
    "RegularizationDashboard": "regularization",
    "SurfaceExplorer": "optimization",
    "TrainingExplorer": "optimization",
}
__all__ = sorted(_MODULES)


def __getattr__(name: str):
    if name not in _MODULES:
        raise AttributeError(f"module 'lecture_lib.dashboards' has no attribute {name!r}")
    return getattr(importlib.import_module(f"lecture_lib.dashboards.{_MODULES[name]}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULES))
