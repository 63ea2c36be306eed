"""Copy the check helpers of ``exercises/check_helpers.py`` into every test function of the masters.

Otter keeps exactly one function per test case (nothing at module level), so each test function
carries its own copy of the helpers, between ``# BEGIN CHECK HELPERS`` and ``# END CHECK HELPERS``.
Edit the helpers in check_helpers.py only, then run::

    python exercises/sync_checks.py          # rewrite the masters' copies
    python exercises/sync_checks.py --check  # exit 1 if a copy differs (tests/test_exercises.py)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
BEGIN, END = "# BEGIN CHECK HELPERS", "# END CHECK HELPERS"


def helpers() -> str:
    text = (HERE / "check_helpers.py").read_text()
    return text[text.index(BEGIN):text.index(END) + len(END)]


def with_helpers(source: str, block: str) -> str:
    """The test cell's source with the helper block right after its ``def test_...:`` line."""
    lines = source.split("\n")
    if any(line.strip() == BEGIN for line in lines):
        start = next(k for k, line in enumerate(lines) if line.strip() == BEGIN)
        stop = next(k for k, line in enumerate(lines) if line.strip() == END)
        del lines[start:stop + 1]
    where = next(k for k, line in enumerate(lines) if re.match(r"def test_\w+\(.*\):\s*$", line))
    indented = ["    " + line if line else "" for line in block.split("\n")]
    return "\n".join(lines[:where + 1] + indented + lines[where + 1:])


def test_cells(nb) -> list:
    """The code cells between # BEGIN TESTS and # END TESTS."""
    cells, inside = [], False
    for cell in nb.cells:
        first = cell.source.strip().split("\n")[0] if cell.source.strip() else ""
        if cell.cell_type == "raw" and first.startswith("# BEGIN TESTS"):
            inside = True
        elif cell.cell_type == "raw" and first.startswith("# END TESTS"):
            inside = False
        elif inside and cell.cell_type == "code":
            cells.append(cell)
    return cells


def main(argv: list[str]) -> int:
    check = "--check" in argv
    block, stale = helpers(), []
    for master in sorted((HERE / "source").glob("*.ipynb")):
        nb = nbformat.read(master, as_version=4)
        changed = False
        for cell in test_cells(nb):
            new = with_helpers(cell.source, block)
            if new != cell.source:
                changed, cell.source = True, new
        if changed:
            stale.append(master.name)
            if not check:
                nbformat.write(nb, master)
    if check and stale:
        print(f"stale check helpers in {', '.join(stale)}: run python exercises/sync_checks.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
