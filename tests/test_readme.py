"""The README promises two commands; CI must run the second one verbatim."""

import pathlib
import re

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = pathlib.Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    setup = [b.strip() for b in blocks if "python3 -m venv" in b]
    return setup


def test_readme_has_exactly_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in command for command in commands), "each is one line to paste"
    open_notebooks, run_tests = commands
    assert "jupyter lab" in open_notebooks and "requirements.txt" in open_notebooks
    assert "pytest" in run_tests and "requirements-test.txt" in run_tests


def test_ci_runs_the_readme_test_command_verbatim():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci_lines


def test_every_notebook_is_listed_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"notebooks/{notebook.name}" in readme


def test_slow_tests_are_opt_in_by_marker_and_ci_runs_them():
    """The default run (the README's command) deselects the markers binder and hub; .ci/run
    then runs exactly those, after the README's command."""
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    registered = {line.split(":")[0] for line in options["markers"]}
    assert {"binder", "hub"} <= registered
    assert "-m 'not binder and not hub'" in options["addopts"]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    opt_in = '.venv/bin/python -m pytest -m "binder or hub"'
    assert opt_in in ci_lines
    assert ci_lines.index(opt_in) > ci_lines.index(readme_commands()[1])
    binder_test = (ROOT / "tests" / "test_binder.py").read_text()
    marked = "@pytest.mark.binder\ndef test_binder_requirements_install_into_a_fresh_venv"
    assert marked in binder_test
