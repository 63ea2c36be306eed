"""Binder (repo2docker) and course hubs: binder/ names every runtime dependency of the package,
pins a Python that the package accepts, and installs into a FRESH virtual environment in which
every notebook executes.

The install test is slow (a new venv, pip from its cache, every notebook run by nbconvert) and
opt-in: it carries the marker ``binder``, which the default run deselects (pyproject's addopts);
``.ci/run`` runs it with ``pytest -m "binder or hub"``. When selected it runs wherever it can, in
CI always; it is skipped with a reason only where no venv with pip can be made outside CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import venv
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
IN_CI = os.environ.get("CI", "").lower() == "true"
INSTALL_TIMEOUT_S = 1200
NOTEBOOK_TIMEOUT_S = 900


def _name(requirement: str) -> str:
    """The canonical project name of a requirement line (PEP 503)."""
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1)
    return re.sub(r"[-_.]+", "-", name).lower()


def _binder_requirements() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def test_binder_names_every_runtime_dependency_and_installs_the_package():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lines = _binder_requirements()
    named = {_name(line) for line in lines if not line.startswith("-")}
    missing = sorted({_name(dep) for dep in project["dependencies"]} - named)
    assert not missing, f"binder/requirements.txt does not name {missing} (pyproject dependencies)"
    assert "-e ." in lines or "." in lines, "binder/requirements.txt must install the package"
    assert "voila" in named, "the instructor view (urlpath=voila/render/...) needs voila on Binder"
    pins = [line for line in lines if re.search(r"==", line)]
    assert not pins, f"exact pins in binder/requirements.txt break over time: {pins}"


def test_binder_pins_a_python_the_package_accepts():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert match, f"binder/runtime.txt must read python-X.Y, it reads {runtime!r}"
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    low = re.fullmatch(r">=\s*(\d+)\.(\d+)", project["requires-python"])
    assert low, f"unexpected requires-python {project['requires-python']!r}"
    pinned = tuple(map(int, match.groups()))
    assert pinned >= tuple(map(int, low.groups())), (
        f"runtime.txt pins Python {runtime}, the package requires {project['requires-python']}")


def _copy_of_the_repository(destination: Path) -> Path:
    """The files a fresh clone has (tracked, plus new files not ignored), never .venv or .git."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=REPO, check=True, capture_output=True, timeout=60).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        shutil.copytree(REPO, destination, ignore=shutil.ignore_patterns(
            ".git", ".venv", "*.egg-info", "build", "__pycache__", "screenshots"))
        return destination
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def _run(command: list, *, cwd: Path, env: dict, timeout: float, what: str) -> str:
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        raise AssertionError(f"{what} did not finish within {timeout} s") from error
    assert done.returncode == 0, (
        f"{what} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout + done.stderr


@pytest.mark.binder
def test_binder_requirements_install_into_a_fresh_venv_where_every_notebook_runs(tmp_path):
    timings = {}
    started = time.monotonic()
    repo = _copy_of_the_repository(tmp_path / "repo")
    environment = tmp_path / "venv"
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(environment)
    except Exception as error:  # no ensurepip (Debian's python3-venv missing), read-only tmp
        if IN_CI:
            raise
        pytest.skip(f"cannot create a virtual environment with pip here: {error}")
    python = environment / "bin" / "python"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("VIRTUAL_ENV", "PYTHONPATH", "JUPYTER", "IPYTHON"))}
    for name, sub in [("JUPYTER_DATA_DIR", "data"), ("JUPYTER_CONFIG_DIR", "config"),
                      ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                      ("MPLCONFIGDIR", "mpl")]:
        env[name] = str(tmp_path / "home" / sub)  # nothing of the developer's own setup
    env["PATH"] = f"{environment / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    timings["venv"] = time.monotonic() - started

    # What repo2docker does: pip install -r binder/requirements.txt from the repository root.
    _run([python, "-m", "pip", "install", "-q", "-r", "binder/requirements.txt"], cwd=repo,
         env=env, timeout=INSTALL_TIMEOUT_S, what="pip install -r binder/requirements.txt")
    timings["pip install"] = time.monotonic() - started - timings["venv"]

    # The kernel that runs the notebooks must be the fresh venv's, importing the copied package.
    probe = _run([python, "-c", "import sys, lecture_lib, ipykernel, voila; "
                  "print(sys.prefix); print(lecture_lib.__file__)"], cwd=tmp_path, env=env,
                 timeout=120, what="importing the package in the fresh venv").split()
    assert Path(probe[0]) == environment and Path(probe[1]).is_relative_to(repo), probe
    specs = json.loads(_run([environment / "bin" / "jupyter", "kernelspec", "list", "--json"],
                            cwd=tmp_path, env=env, timeout=120, what="jupyter kernelspec list"))
    kernel = specs["kernelspecs"]["python3"]
    assert kernel["resource_dir"].startswith(str(environment)) or kernel["spec"]["argv"][0] in (
        "python", "python3", str(python)), f"python3 kernel outside the fresh venv: {kernel}"

    notebooks = sorted((repo / "notebooks").glob("*.ipynb"))
    assert notebooks, "no notebook to run"
    for notebook in notebooks:
        begin = time.monotonic()
        _run([environment / "bin" / "jupyter", "nbconvert", "--to", "notebook", "--execute",
              f"--ExecutePreprocessor.timeout={NOTEBOOK_TIMEOUT_S}",
              "--ExecutePreprocessor.kernel_name=python3", "--output-dir", tmp_path / "executed",
              notebook], cwd=repo / "notebooks", env=env, timeout=NOTEBOOK_TIMEOUT_S + 120,
             what=f"executing {notebook.name} in the fresh venv")
        executed = json.loads((tmp_path / "executed" / notebook.name).read_text())
        errors = [o for c in executed["cells"] for o in c.get("outputs", [])
                  if o["output_type"] == "error"]
        assert not errors, f"{notebook.name}: {errors[0]['ename']}: {errors[0]['evalue']}"
        timings[notebook.name] = time.monotonic() - begin
    print("fresh-venv Binder check, seconds: "
          + ", ".join(f"{what} {seconds:.0f}" for what, seconds in timings.items())
          + f"; total {time.monotonic() - started:.0f}")
