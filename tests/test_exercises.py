"""The exercises (exercises/): otter-grader 7 masters, their student versions, the autograder.

* ``otter assign`` builds every master into a temporary folder; it exits non-zero when a reference
  solution fails its own tests, and the committed student notebook must be what it generates
  (cell ids made stable by exercises/stable_ids.py, types, sources and tags, and the public tests
  stored in the notebook's metadata); the masters' tests hold the current check helpers.
* The student notebooks hold no solution and no hidden test; the autograder zips hold hidden tests.
* Executed unanswered, a student notebook shows a failing check (❌ with one of our hints, an
  AssertionError) for every public test case and no error output; executed with the reference
  solutions filled in, every check passes.
* The solved notebook is executed under a browser's second-download name ("... (1).ipynb"): its
  checks find it whatever its name.
* ``otter run`` (no Docker) grades the solved notebook full marks and the unanswered one zero, and
  grade_folder.py's notes name an answer that calls lecture_lib.
* Strict nbval runs on the masters (pytest's testpaths do not reach exercises/, so this module runs
  it in a subprocess; exercises/conftest.py keeps the student notebooks out of nbval).

Everything runs in subprocesses (otter, nbconvert, pytest), each kernel from the ``python3``
kernelspec of this environment (ipykernel installs one into the venv; otherwise run
``python -m ipykernel install --user``). The module takes about 1.5 to 2 minutes of CPU: it is
marked slow (``-m "not slow"`` leaves it out of the fast inner loop; the README's command runs it).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
EXERCISES = REPO / "exercises"
MASTERS = sorted((EXERCISES / "source").glob("*.ipynb"))
NAMES = [master.stem for master in MASTERS]
TIMEOUT_S = 600
sys.path.insert(0, str(EXERCISES))
from stable_ids import stabilize  # noqa: E402  (exercises/ is not a package)

sys.path.remove(str(EXERCISES))


def _run(command: list, *, cwd: Path, what: str, check: bool = True) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    try:
        done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, text=True,
                              capture_output=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        raise AssertionError(f"{what} did not finish within {TIMEOUT_S} s") from error
    output = done.stdout + done.stderr
    if check:
        assert done.returncode == 0, f"{what} failed ({done.returncode}):\n{output[-4000:]}"
    return output


def _comparable(nb) -> dict:
    """A student notebook's cells (with their ids) and otter's metadata, without outputs."""
    cells = [(cell.get("id"), cell.cell_type, cell.source.strip(),
              tuple(cell.metadata.get("tags", []))) for cell in nb.cells]
    otter = nb.metadata.get("otter", {})
    return {"cells": cells, "tests": otter.get("tests"), "name": otter.get("assignment_name"),
            "ok_format": otter.get("OK_FORMAT")}


def _public_cases(nb) -> dict[str, int]:
    """Question name -> number of public test cases stored in the student notebook."""
    return {name: source.count("@test_case(")
            for name, source in nb.metadata["otter"]["tests"].items()}


def _check_outputs(nb) -> dict[str, list[str]]:
    """Question name -> the text of its grader.check outputs (and any error output)."""
    found = {}
    for cell in nb.cells:
        match = re.fullmatch(r'grader\.check\("(\w+)"\)', cell.source.strip())
        if cell.cell_type == "code" and match:
            found[match.group(1)] = [
                output.get("data", {}).get("text/plain", "") if "data" in output
                else output.get("text", "") or f"{output.get('ename')}: {output.get('evalue')}"
                for output in cell.get("outputs", [])]
    return found


def _errors(nb) -> list[str]:
    return [f"{output.ename}: {output.evalue}" for cell in nb.cells
            for output in cell.get("outputs", []) if output.output_type == "error"]


def _execute(notebook: Path) -> nbformat.NotebookNode:
    """Execute in place with nbconvert (errors kept in the outputs), cwd = its folder."""
    _run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
          "--inplace", "--allow-errors", "--ExecutePreprocessor.kernel_name=python3",
          f"--ExecutePreprocessor.timeout={TIMEOUT_S}", notebook.name],
         cwd=notebook.parent, what=f"executing {notebook.name}")
    return nbformat.read(notebook, as_version=4)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """otter assign every master; the student notebook, a solved copy, the autograder zip."""
    assert MASTERS, "no master notebook in exercises/source"
    listed = subprocess.run([sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"],
                            capture_output=True, text=True, timeout=TIMEOUT_S, check=True)
    specs = json.loads(listed.stdout)["kernelspecs"]
    assert "python3" in specs, ("otter and nbconvert need a python3 kernelspec: "
                                "python -m ipykernel install --user")
    built = {}
    for master in MASTERS:
        dist = tmp_path_factory.mktemp(master.stem) / "dist"
        output = _run([sys.executable, "-m", "otter", "assign", master, dist], cwd=REPO,
                      what=f"otter assign {master.name} (a reference solution fails its tests?)",
                      check=False)
        student = dist / "student" / master.name
        zips = sorted((dist / "autograder").glob("*-autograder_*.zip"))
        assert student.exists() and len(zips) == 1, (
            f"otter assign {master.name} did not finish: a reference solution fails its own "
            f"tests, or the master is malformed:\n{output[-4000:]}")
        # the solved notebook: the student's notebook with every answer cell replaced by the
        # matching solution cell of otter's autograder notebook (same order)
        nb = nbformat.read(student, as_version=4)
        solutions = [cell.source for cell in
                     nbformat.read(dist / "autograder" / master.name, as_version=4).cells
                     if "otter_assign_solution_cell" in cell.metadata.get("tags", [])]
        answers = [cell for cell in nb.cells
                   if "otter_answer_cell" in cell.metadata.get("tags", [])]
        assert len(answers) == len(solutions) > 0, f"{master.name}: answer/solution cells differ"
        for cell, source in zip(answers, solutions):
            cell.source = source
        solved_dir = dist.parent / "solved"
        solved_dir.mkdir()
        nbformat.write(nb, solved_dir / master.name)
        built[master.stem] = {"student": student, "solved": solved_dir / master.name,
                              "zip": zips[0]}
    return built


@pytest.fixture(scope="module")
def executed(built, tmp_path_factory) -> dict[str, dict[str, nbformat.NotebookNode]]:
    """Each student notebook executed unanswered, and with the reference solutions."""
    done = {}
    for name, paths in built.items():
        runs = {}
        for kind in ("student", "solved"):
            folder = tmp_path_factory.mktemp(f"{name}-{kind}")
            # the solved copy has the name a browser gives a second download: the checks find
            # the notebook whatever its name
            copy = folder / (paths[kind].name if kind == "student" else f"{name} (1).ipynb")
            shutil.copy(paths[kind], copy)
            runs[kind] = _execute(copy)
        done[name] = runs
    return done


def test_masters_hold_the_current_check_helpers():
    _run([sys.executable, EXERCISES / "sync_checks.py", "--check"], cwd=REPO,
         what="exercises/sync_checks.py --check (run python exercises/sync_checks.py)")


def test_every_lecture_section_has_an_exercise():
    assert NAMES == ["01_initialization_exercises", "02_optimization_exercises",
                     "03_regularization_exercises"], NAMES
    assert sorted(p.stem for p in (EXERCISES / "student").glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_committed_student_notebook_is_what_otter_assign_generates(built, name):
    committed = nbformat.read(EXERCISES / "student" / f"{name}.ipynb", as_version=4)
    generated = stabilize(nbformat.read(built[name]["student"], as_version=4))
    want, got = _comparable(generated), _comparable(committed)
    assert got["tests"] == want["tests"], (
        f"exercises/student/{name}.ipynb has stale public tests: run bash exercises/assign.sh")
    assert got == want, (
        f"exercises/student/{name}.ipynb differs from otter assign's output of the master: run "
        "bash exercises/assign.sh")


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_has_no_solution_and_no_hidden_test(built, name):
    student = nbformat.read(EXERCISES / "student" / f"{name}.ipynb", as_version=4)
    tests = student.metadata["otter"]["tests"]
    assert tests and all("hidden=False" in s and "hidden=True" not in s for s in tests.values())
    answers = [c for c in student.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert answers and all(c.source.rstrip().endswith("...") for c in answers), (
        "every answer cell ends with the ... the student replaces")
    assert not any("BEGIN SOLUTION" in c.source or "BEGIN TESTS" in c.source
                   for c in student.cells)
    with zipfile.ZipFile(built[name]["zip"]) as archive:
        hidden = sum(archive.read(n).decode().count("hidden=True")
                     for n in archive.namelist() if n.startswith("tests/"))
    assert hidden >= len(tests), f"the autograder of {name} holds {hidden} hidden test cases"


@pytest.mark.parametrize("name", NAMES)
def test_unanswered_notebook_fails_every_check_with_a_hint_and_no_error(executed, name):
    nb = executed[name]["student"]
    assert not _errors(nb), f"{name} unanswered raised: {_errors(nb)}"
    checks = _check_outputs(nb)
    cases = _public_cases(nb)
    assert set(checks) == set(cases), f"check cells {sorted(checks)} vs tests {sorted(cases)}"
    for question, outputs in checks.items():
        text = "\n".join(outputs)
        assert "✅" not in text, f"{question}: an unanswered question passed a check:\n{text}"
        assert text.count("❌ Test case failed") == cases[question], f"{question}:\n{text}"
        hints = re.findall(r"^\s*(\w+): (.*)$", text, flags=re.M)
        kinds = {kind for kind, _ in hints if kind.endswith(("Error", "Exception"))}
        assert kinds == {"AssertionError"}, f"{question}: not one of our hints:\n{text}"


@pytest.mark.parametrize("name", NAMES)
def test_reference_solutions_pass_every_check(executed, name):
    nb = executed[name]["solved"]
    assert not _errors(nb), f"{name} solved raised: {_errors(nb)}"
    checks = _check_outputs(nb)
    assert set(checks) == set(_public_cases(nb))
    for question, outputs in checks.items():
        text = "\n".join(outputs)
        assert "❌" not in text and "passed" in text, f"{question}:\n{text}"
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "No picture yet" not in printed and "No gradient check yet" not in printed
    assert "no path for" not in printed, "every update rule of the student draws its path"
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert figures >= 1, f"{name}: the student's functions drew no picture"


@pytest.mark.parametrize("name", NAMES)
def test_otter_run_grades_solutions_full_marks_and_unanswered_zero(built, name, tmp_path):
    """docs/exercises.md's grading path: exercises/grade_folder.py runs otter run on a folder."""
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(built[name]["solved"], submissions / "alice.ipynb")  # renamed, as students do
    shutil.copy(built[name]["student"], submissions / "bob.ipynb")
    # carol delegates her first answer to lecture_lib: the report says so
    nb = nbformat.read(built[name]["solved"], as_version=4)
    first = next(c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", []))
    function = re.match(r"def (\w+)\(", first.source).group(1)
    first.source = (f"def {function}(*args, **kwargs):\n    import lecture_lib.init\n"
                    f"    lecture_lib.init.he_variance(4)\n"
                    f"    return _reference_{function}(*args, **kwargs)\n\n\n"
                    + first.source.replace(f"def {function}(", f"def _reference_{function}(", 1))
    nbformat.write(nb, submissions / "carol.ipynb")
    scores = tmp_path / "scores.csv"
    _run([sys.executable, EXERCISES / "grade_folder.py", built[name]["zip"], submissions,
          "--out", scores], cwd=tmp_path, what=f"grade_folder.py on {name}")
    with scores.open() as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    assert set(rows) == {"alice.ipynb", "bob.ipynb", "carol.ipynb"}, rows
    solved, unanswered, delegated = rows["alice.ipynb"], rows["bob.ipynb"], rows["carol.ipynb"]
    assert not solved["error"] and not unanswered["error"], rows
    assert f"{function}: calls lecture_lib" in delegated["notes"], delegated
    assert float(delegated[function]) == 0 and not solved["notes"], rows
    total = float(solved["max"])
    assert total > 0 and float(solved["total"]) == total, f"{name}: solutions scored {solved}"
    assert float(unanswered["total"]) == 0, f"{name}: unanswered scored {unanswered}"


def test_masters_pass_strict_nbval():
    output = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "exercises/source"], cwd=REPO, what="strict nbval on exercises/source",
                  check=False)
    assert re.search(r"\b\d+ passed\b", output) and not re.search(r"\b(failed|error)", output), (
        output[-4000:])
