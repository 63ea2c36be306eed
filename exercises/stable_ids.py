"""Make a student notebook built by ``otter assign`` reproducible: every build of an unchanged
master gives the same bytes (``otter assign`` draws new random cell ids and keeps execution
timestamps, so each rebuild changed every committed student notebook).

Cell ids become a hash of the cell's type and source (numbered when two cells are alike), outputs,
execution counts and execution timestamps are dropped. Usage::

    python exercises/stable_ids.py NOTEBOOK.ipynb [...]   # rewrites each in place
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import nbformat


def stabilize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with content-derived cell ids and no execution traces (changed in place)."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def main(paths: list[str]) -> int:
    for path in paths:
        nb = nbformat.read(Path(path), as_version=4)
        nbformat.write(stabilize(nb), Path(path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
