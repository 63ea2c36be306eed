"""CI where the repository will live, and the pinned test environment it installs.

GitHub Actions cannot run here, so the workflow is checked as text: one job on x86-64 and one on
arm64 Ubuntu, each running ``bash .ci/run`` with CI=true. ``.ci/run`` runs the README's test
command verbatim, then every opt-in marker; the test command installs exact versions from
constraints.txt, and students keep the loose bounds of requirements.txt.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
CI_RUN = REPO / ".ci" / "run"
RUNNERS = {"ubuntu-24.04": "x86-64", "ubuntu-24.04-arm": "arm64"}


def _load_yaml(text: str) -> dict:
    """PyYAML where installed (jupyter-events brings it); otherwise a parse of the subset a
    workflow uses: nested mappings by indentation, lists of mappings, scalars."""
    try:
        import yaml
    except ImportError:
        return _parse_block([line for line in text.splitlines()
                             if line.strip() and not line.lstrip().startswith("#")])
    return yaml.safe_load(text)


def _scalar(value: str):
    value = value.split(" #")[0].strip()
    if value[:1] in "\"'" and value[-1:] == value[:1]:
        return value[1:-1]
    return int(value) if value.isdigit() else value


def _parse_block(lines: list[str]):
    if not lines:
        return None
    indent = len(lines[0]) - len(lines[0].lstrip())
    if lines[0].lstrip().startswith("- "):
        items, current = [], []
        for line in lines:
            if len(line) - len(line.lstrip()) == indent and line.lstrip().startswith("- "):
                if current:
                    items.append(_parse_block(current))
                current = [" " * (indent + 2) + line.lstrip()[2:]]
            else:
                current.append(line)
        items.append(_parse_block(current))
        return items
    mapping, key, rest, body = {}, None, "", []
    for line in lines + [" " * indent + "__end__:"]:
        if len(line) - len(line.lstrip()) == indent:
            if key is not None:
                mapping[key] = _parse_block(body) if body else _scalar(rest) if rest else None
            key, _, rest = line.strip().partition(":")
            key, rest, body = key.strip().strip("\"'"), rest.strip(), []
        else:
            body.append(line)
    return mapping


def workflow() -> dict:
    return _load_yaml(WORKFLOW.read_text())


def readme_test_command() -> str:
    blocks = re.findall(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    commands = [b.strip() for b in blocks if "python3 -m venv" in b and "pytest" in b]
    assert len(commands) == 1, commands
    return commands[0]


def test_the_fallback_parser_reads_the_workflow_as_pyyaml_does():
    yaml = pytest.importorskip("yaml")
    lines = [line for line in WORKFLOW.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    parsed = _parse_block(lines)
    expected = yaml.safe_load(WORKFLOW.read_text())
    expected["on"] = expected.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    assert parsed == expected


def test_workflow_runs_ci_on_x86_64_and_arm64():
    jobs = workflow()["jobs"]
    by_runner = {job["runs-on"]: name for name, job in jobs.items()}
    assert set(RUNNERS) <= set(by_runner), f"jobs run on {sorted(by_runner)}, want {RUNNERS}"
    for runner in RUNNERS:
        job = jobs[by_runner[runner]]
        runs = [step.get("run", "").strip() for step in job["steps"]]
        assert "bash .ci/run" in runs, f"the {RUNNERS[runner]} job does not call .ci/run: {runs}"
        assert any(step.get("uses", "").startswith("actions/checkout@")
                   for step in job["steps"]), "the job must check the repository out"
        env = {**(workflow().get("env") or {}), **(job.get("env") or {})}
        assert str(env.get("CI")).lower() == "true", "the browser tests must run, not skip"
        assert 0 < int(job["timeout-minutes"]) <= 90


def test_workflow_runs_on_every_push_and_pull_request():
    triggers = workflow().get("on", workflow().get(True))
    assert {"push", "pull_request"} <= set(triggers), triggers


def test_ci_runs_the_readme_test_command_verbatim_then_every_opt_in_marker():
    lines = CI_RUN.read_text().splitlines()
    command = readme_test_command()
    assert command in lines, "the README's test command, verbatim, is a line of .ci/run"
    options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    markers = {line.split(":")[0] for line in options["markers"]}
    assert {"binder", "hub", "repro"} <= markers
    deselected = re.search(r"-m '([^']*)'", options["addopts"]).group(1)
    opt_in_markers = set(re.findall(r"not (\w+)", deselected))
    assert {"binder", "hub", "repro"} <= opt_in_markers, "the slow end-to-end tests are opt-in"
    assert opt_in_markers <= markers, "every deselected marker is registered"
    for marker in opt_in_markers:
        opt_in = [i for i, line in enumerate(lines)
                  if line.startswith(".venv/bin/python -m pytest -m ") and marker in line]
        assert opt_in and opt_in[0] > lines.index(command), f".ci/run never runs -m {marker}"


def test_ci_and_workflow_leave_the_blas_kernel_to_the_machine():
    """OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are the machine's to set (docs/reproducibility.md)."""
    for path in (CI_RUN, WORKFLOW):
        assert not re.search(r"OPENBLAS_(CORETYPE|L2_SIZE)", path.read_text()), path


def _names(lines: list[str]) -> set[str]:
    return {re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line).group(0)).lower()
            for line in lines}


def _requirements(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split("#")[0].strip()
        if line.startswith("-r "):
            lines += _requirements(path.parent / line[3:].strip())
        elif line and not line.startswith("-"):
            lines.append(line)
    return lines


def test_the_test_environment_is_pinned_and_the_students_is_not():
    pins = [line for line in (REPO / "constraints.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    loose = [line for line in pins if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*==[\w.+!]+",
                                                       line)]
    assert not loose, f"constraints.txt holds exact versions only: {loose}"
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = _names(_requirements(REPO / "requirements-test.txt") + project["dependencies"])
    unpinned = sorted(wanted - _names(pins))
    assert not unpinned, f"constraints.txt does not pin {unpinned}"
    assert "-c constraints.txt" in readme_test_command()
    assert "lecture-lib" not in _names(pins), "the package itself is installed from the tree"
    students = _requirements(REPO / "requirements.txt")
    assert not [line for line in students if "==" in line], "requirements.txt keeps loose bounds"
