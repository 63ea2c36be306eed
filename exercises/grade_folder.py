"""Grade a folder of submitted notebooks with ``otter run`` (no Docker); write one CSV row each.

Usage::

    python exercises/grade_folder.py AUTOGRADER_ZIP SUBMISSIONS_FOLDER [--out scores.csv]

Every ``*.ipynb`` in the folder is executed by ``otter run`` with the public and hidden tests of
the autograder zip (``exercises/dist/<name>/autograder/<name>-autograder_*.zip``, built by
``bash exercises/assign.sh``). The CSV has a column per question, the total and the maximum; a
submission that could not be graded gets an empty total and the reason. The ``notes`` column names
the questions whose answer did not write the rule: it called lecture_lib, or a cell replaced
numpy's functions (the checks fail such an answer; the note says why, for the instructor).

Without Docker the student's code runs with YOUR permissions: run this in a throwaway account,
container or virtual machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

TIMEOUT_S = 600


# words of the checks' messages (exercises/check_helpers.py) -> the note in the report
NOTES = {"calls lecture_lib": "calls lecture_lib",
         "a cell replaced np.": "replaced numpy functions",
         "did not return within": "did not return (a loop that never ends?)"}


def notes(out: Path) -> str:
    """The questions of a graded submission whose checks say the rule was not written."""
    found = []
    for test in json.loads((out / "results.json").read_text())["tests"]:
        text = test.get("output") or ""
        found += [f"{test.get('name')}: {note}" for words, note in NOTES.items() if words in text]
    return "; ".join(found)


def grade(autograder: Path, submission: Path, out: Path) -> dict[str, float]:
    """Scores per question of one submission (raises RuntimeError if otter run fails)."""
    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "otter", "run", "--no-logo", "-a", str(autograder), "-o",
         str(out), str(submission)],
        cwd=submission.parent, capture_output=True, text=True, timeout=TIMEOUT_S,
        stdin=subprocess.DEVNULL)
    results = out / "results.json"
    if done.returncode != 0 or not results.exists():
        raise RuntimeError((done.stdout + done.stderr).strip().splitlines()[-1:] or "failed")
    tests = json.loads(results.read_text())["tests"]
    return {t["name"]: float(t.get("score") or 0.0) for t in tests if t.get("max_score")}


def _max_scores(out: Path) -> dict[str, float]:
    tests = json.loads((out / "results.json").read_text())["tests"]
    return {t["name"]: float(t["max_score"]) for t in tests if t.get("max_score")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("autograder", type=Path, help="the autograder zip of otter assign")
    parser.add_argument("folder", type=Path, help="folder of submitted .ipynb files")
    parser.add_argument("--out", type=Path, default=Path("scores.csv"), help="CSV to write")
    args = parser.parse_args(argv)
    submissions = sorted(args.folder.glob("*.ipynb"))
    if not submissions:
        parser.error(f"no .ipynb file in {args.folder}")
    rows, questions, maximum = [], [], {}
    with tempfile.TemporaryDirectory() as work:
        for k, submission in enumerate(submissions):
            out = Path(work) / f"{k}"
            try:
                scores = grade(args.autograder.resolve(), submission.resolve(), out)
                maximum = maximum or _max_scores(out)
                questions = questions or list(scores)
                rows.append({"submission": submission.name, **scores,
                             "total": sum(scores.values()), "error": "", "notes": notes(out)})
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                rows.append({"submission": submission.name, "total": "", "error": str(error)})
            print(f"{submission.name}: {rows[-1]['total'] if rows[-1]['total'] != '' else 'ERROR'}")
    fields = ["submission", *questions, "total", "max", "error", "notes"]
    with args.out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, restval="")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "max": sum(maximum.values())})
    print(f"wrote {args.out} ({len(rows)} submissions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
