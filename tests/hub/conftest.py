"""Registers the ``hub`` marker for these tests (harmless if pyproject.toml registers it too)."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "hub: stands up a real JupyterHub with students in Chromium (minutes)")
