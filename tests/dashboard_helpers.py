"""Shared by the dashboard tests: see the warnings a dashboard's observer keeps from students."""

import warnings

import numpy as np


def record_warnings(dash):
    """Wrap ``update`` on the instance so that warnings are recorded in ``dash.caught`` even
    though the widget observer silences them (the observer looks ``update`` up on the instance,
    so every control move goes through the wrapper). Overflow, invalid operations and division
    by zero warn; underflow to 0 is ignored, as numpy does by default (a gradient of 1e-200
    squared is 0, correctly)."""
    real_update = dash.update
    dash.caught = []

    def recording_update():
        with warnings.catch_warnings(record=True) as caught, np.errstate(
            over="warn", invalid="warn", divide="warn", under="ignore"
        ):
            warnings.simplefilter("always")
            real_update()
        dash.caught.extend(caught)

    dash.update = recording_update
    return dash
