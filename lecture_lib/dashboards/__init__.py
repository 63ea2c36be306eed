"""Live dashboards (ipywidgets + matplotlib) on top of the numpy core.

Each dashboard is one class holding its widgets, its figure and one ``update()``. Showing the
object in a notebook cell renders the live widget in JupyterLab and a static PNG of its current
state on GitHub and nbviewer. Tests drive a dashboard without a browser by setting a widget's
``.value`` and reading what it now shows.
"""

from lecture_lib.dashboards.initialization import InitializationDashboard
from lecture_lib.dashboards.quiz import Question, Quiz

__all__ = ["InitializationDashboard", "Question", "Quiz"]
