"""The README is what a newcomer reads in two minutes: the notebooks, two commands, links to docs/.
CI runs its test command verbatim; every link of the README and of docs/ leads to a file."""

import re
from pathlib import Path
from urllib.parse import unquote

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
MAX_LINES = 120


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    return [b.strip() for b in blocks if "python3 -m venv" in b]


def relative_links(path: Path) -> list[str]:
    """Targets of markdown links and images that are not web addresses or anchors."""
    targets = re.findall(r"\]\(([^)\s]+)\)", path.read_text())
    return [t for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


def test_readme_has_exactly_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in command for command in commands), "each is one line to paste"
    open_notebooks, run_tests = commands
    assert "jupyter lab" in open_notebooks and "requirements.txt" in open_notebooks
    assert "pytest" in run_tests and "requirements-test.txt" in run_tests


def test_ci_runs_the_readme_test_command_verbatim():
    ci_lines = (REPO / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci_lines


def test_every_notebook_is_listed_in_the_readme():
    readme = README.read_text()
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        assert f"](notebooks/{notebook.name})" in readme, notebook.name


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(REPO / unquote(target.split("#")[0])).resolve() for target in relative_links(README)}
    missing = [page.name for page in DOCS if page.resolve() not in linked]
    assert not missing, f"docs pages no README link leads to: {missing}"


def test_every_relative_link_resolves_to_a_file():
    broken = []
    for page in [README, *DOCS]:
        for target in relative_links(page):
            if not (page.parent / unquote(target.split("#")[0])).exists():
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert not broken, broken


def test_readme_stays_short_and_holds_no_measured_figures():
    """Figures that change (memory, latencies, durations) live in the benchmarks' output."""
    text = README.read_text()
    assert len(text.splitlines()) < MAX_LINES, f"README has {len(text.splitlines())} lines"
    figures = re.findall(r"\b\d[\d.,–-]*\s*(?:ms|s|MiB|GiB|MB|GB|minutes?|seconds?)\b", text)
    assert not figures, f"measured figures in the README: {figures}"
