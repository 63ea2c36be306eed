"""A real course JupyterHub with two students (benchmarks/hub/run_hub.py): each opens the course
through an nbgitpuller link, runs notebook 01 in JupyterLab and moves the dashboard's sliders in
Chromium; afterwards nothing of the run is left running and no port of it answers.

Needs node and npm, git, Debian's Chromium and Playwright; a few minutes (a fresh per-user venv
from binder/ is most of it; ``HUB_BENCH_VENV=DIR`` re-uses one). Under CI=true a missing
prerequisite fails the test; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.hub

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
STUDENTS = 2


def _run_hub_module():
    path = REPO / "benchmarks" / "hub" / "run_hub.py"
    spec = importlib.util.spec_from_file_location("run_hub", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_hub"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_two_students_run_notebook_01_on_a_real_hub_and_everything_stops():
    run_hub = _run_hub_module()
    missing = run_hub.prerequisites()
    if missing:
        reason = "; ".join(missing)
        if IN_CI:
            pytest.fail(f"CI=true but {reason}: the hub test must run in CI", pytrace=False)
        pytest.skip(reason)
    venv = os.environ.get("HUB_BENCH_VENV")
    report = run_hub.run_hub(STUDENTS, presses=6, venv=Path(venv) if venv else None,
                             timeout_s=300.0)
    run_hub.print_table(report)  # shown with -s, and on failure

    assert not report["errors"], report["errors"]
    people = report["per_student"]
    assert [s["name"] for s in people] == ["student01", "student02"]
    for student in people:
        name = student["name"]
        assert not student["errors"], f"{name}: {student['errors']}"
        assert student["code_cells"] >= 5, f"{name}: notebook 01 has code cells"
        assert student["executed_cells"] == student["code_cells"], (
            f"{name}: ran {student['executed_cells']} of {student['code_cells']} code cells")
        assert student["new_pictures"] >= 3 and student["latencies_ms"], (
            f"{name}: {student['new_pictures']} new pictures for 6 key presses")
        # The student's own kernel was found under the run folder, with the notebook's data.
        assert student["kernel_rss_mib"] and student["kernel_rss_mib"] > 60, student
    assert report["memory_mib"]["hub"] > 0 and report["memory_mib"]["proxy"] > 0

    # Shut down: no process of the run alive, no port of it answering, the run folder gone.
    run = Path(report["run_folder"])
    assert report["still_running"] == [], report["still_running"]
    assert run_hub.run_processes(run) == []
    assert report["ports_still_open"] == [], report["ports_still_open"]
    assert not run.exists()
