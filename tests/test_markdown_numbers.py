"""Prose quotes only what the student will see.

Every number in a notebook's markdown that could be a measurement must be one that an output of
that notebook prints (stream, text/plain, or the text and alt text of text/html), so that a
student who re-runs the notebook reads in the outputs what the text claims; the reproducibility
check (test_reproducibility.py) then holds the printed number on every machine. A quoted number
matches a printed one when the printed value, rounded to the digits quoted, equals it ("about 25"
matches a printed 25.3; "0.19" does not match a printed 0.16).

Not measurements, so not checked:
* numbers that are literals in the notebook's code cells (arguments and assignments, not asserts,
  comparisons, strings or figure styling): the setup (η = 0.05, 5 seeds, 64 units); and the values
  the dashboards' controls show (a slider's range, a batch-size option);
* cross-references (section 5, sec. 7.1, part 2), citation years (Glorot & Bengio, 2010), the
  References paragraph, list and heading numbers, code spans, links, and math indices
  (subscripts, layer superscripts such as x^{(4)}, exponents such as x^2);
* the short allow-list ``CONSTANTS`` below.

As a script, on one or more notebooks, it prints every unmatched number with its sentence:

    python tests/test_markdown_numbers.py notebooks/02_optimization.ipynb
"""

from __future__ import annotations

import ast
import html
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
if not (REPO / "notebooks").is_dir():  # a copy outside the repository: run from its root
    REPO = Path.cwd()
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))

# Numbers that are not measurements although no code cell writes them as a literal: the 0, 1 and
# 2 of formulas in prose (1 − β, 2/d, "layer 1") and one constant of the slides (the 0.5 of their
# ReLU formula E(x²) = 0.5 var(s)). Keep this list short: a number that a notebook measures belongs
# in its output, not here.
CONSTANTS = frozenset({0.0, 1.0, 2.0, 0.5})

SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_MANTISSA = r"\d{1,3}(?:,\d{3})+(?![\d])|\d+(?:\.\d+)?"
NUMBER = re.compile(
    r"(?<![\w.^,])(?:"
    # m · 10^{e}, m × 10⁻ᵉ
    rf"(?P<m1>{_MANTISSA})\s*(?:\\cdot|\\times|·|×)\s*10(?:\^\{{?(?P<e1>[-−]?\d+)\}}?"
    r"|(?P<u1>[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))"
    # 10^{e}, 10⁻ᵉ
    r"|10(?:\^\{?(?P<e2>[-−]?\d+)\}?|(?P<u2>[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))"
    # m, m.dd, 1,079, 3.3e-16
    rf"|(?P<m3>{_MANTISSA})(?:[eE](?P<e3>[-+−]?\d+))?"
    r")(?![\w])")

CROSS_REFERENCE = re.compile(
    r"\b(?:[Ss]ections?|[Ss]ec\.|[Pp]arts?|[Cc]h\.|[Cc]hapters?|[Ll]ecture|[Ee]xercises?|"
    r"[Ff]igures?|[Ss]lides?|[Nn]otebooks?|[Ee]quations?|[Ee]q\.)\s+\d+(?:\.\d+)*"
    r"(?:\s*(?:,|and|to|or|–|-)\s*\d+(?:\.\d+)*)*")
CITATION_YEAR = re.compile(
    r"(?:[A-Z][\w'-]+|et[\s>]+al\.?|&)\s*,?\s+(?:\d{4}\s*[,;]\s*)*(?:19|20)\d\d\b")
# Blanked before numbers are read. Each match is replaced by spaces of the same length, so a
# position in the blanked text is a position in the cell's source (for the sentence reported).
IGNORED = [
    re.compile(r"```.*?```", re.S),                          # code blocks
    re.compile(r"`[^`\n]*`"),                                 # code spans
    re.compile(r"\]\([^)]*\)"),                               # link targets
    re.compile(r"<[^>\n]*>"),                                 # html tags
    re.compile(r"https?://\S+"),
    re.compile(r"^\s*#+\s*\d+(?:\.\d+)*\.?", re.M),            # "## 2." heading numbers
    re.compile(r"^\s*(?:[-*>]\s*)*\d+[.)]\s", re.M),          # numbered list items
    re.compile(r"_\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|_\\?\w+"),  # subscripts (indices)
    re.compile(r"\^\{\([^{}]*\)\}|\^\([^()\s]*\)"),            # layer superscripts x^{(4)}
    re.compile(r"(?<!10)(?:\^\{[^{}]*\}|\^\\?\w+)"),            # exponents x^2, not 10^{-3}
    CROSS_REFERENCE,
    CITATION_YEAR,
]


@dataclass(frozen=True)
class Quoted:
    """A number read in markdown: its value, the decimal places it is quoted to, where."""

    value: float
    places: int
    text: str
    cell: int
    sentence: str


def _parse(match: re.Match) -> tuple[float, int] | None:
    """(value, decimal places) of a NUMBER match; None for what is not a number after all."""
    groups = match.groupdict()
    mantissa = groups["m1"] or groups["m3"] or "1"
    exponent = groups["e1"] or groups["e2"] or groups["e3"]
    if groups["u1"] or groups["u2"]:
        exponent = (groups["u1"] or groups["u2"]).translate(SUPERSCRIPTS)
    if groups["m1"] is None and groups["m3"] is None and exponent is None:
        return None
    mantissa = mantissa.replace(",", "")
    places = len(mantissa.split(".")[1]) if "." in mantissa else 0
    value = float(mantissa)
    if exponent is not None:
        power = int(exponent.replace("−", "-"))
        value *= 10.0 ** power
        places -= power
    return value, places


def numbers_in(text: str) -> list[tuple[float, int, int, int]]:
    """Every number in text as (absolute value, decimal places, start, end)."""
    found = []
    for match in NUMBER.finditer(text):
        parsed = _parse(match)
        if parsed is not None:
            found.append((abs(parsed[0]), parsed[1], match.start(), match.end()))
    return found


def _blank(text: str) -> str:
    for pattern in IGNORED:
        text = pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    # \tfrac12, \frac1N: LaTeX's braceless fractions would read as "12"
    return re.sub(r"\\[td]?frac(\d)(\d)",
                  lambda m: " " * (len(m.group(0)) - 3) + m.group(1) + " " + m.group(2), text)


def _sentence(source: str, start: int, end: int) -> str:
    """The sentence (or list item) of the source around [start, end)."""
    breaks = (". ", "\n\n", "\n- ", "\n* ", "\n> ")
    left = max(source.rfind(mark, 0, start) for mark in breaks)
    stops = [i for i in (source.find(mark, end) for mark in breaks) if i != -1]
    right = min(stops) + 1 if stops else len(source)
    sentence = " ".join(source[left + 1:right].lstrip("-*> ").split())
    return sentence if len(sentence) <= 300 else sentence[:297] + "..."


def quoted_numbers(nb: nbformat.NotebookNode) -> list[Quoted]:
    """The numbers of the markdown cells that are not cross-references, indices or code."""
    quoted = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or cell.source.lstrip().startswith("**References"):
            continue
        blanked = _blank(cell.source)
        for value, places, start, end in numbers_in(blanked):
            quoted.append(Quoted(value, places, cell.source[start:end], index,
                                 _sentence(cell.source, start, end)))
    return quoted


def output_text(output: nbformat.NotebookNode) -> str:
    """What a student reads in one output: streams, plain text, the text and alt of html."""
    if output.output_type == "stream":
        return output.text
    data = output.get("data", {})
    parts = [data.get("text/plain", ""), data.get("text/markdown", ""), data.get("text/latex", "")]
    page = data.get("text/html", "")
    if page:
        page = re.sub(r'src="data:[^"]*"', "", page)
        parts += [html.unescape(alt) for alt in re.findall(r'alt="([^"]*)"', page)]
        parts.append(html.unescape(re.sub(r"<[^>]*>", " ", page)))
    return "\n".join(part if isinstance(part, str) else "".join(part) for part in parts)


def printed_numbers(nb: nbformat.NotebookNode) -> list[float]:
    """Every number that an output of the notebook shows."""
    text = "\n".join(output_text(o) for cell in nb.cells for o in cell.get("outputs", []))
    return [value for value, _, _, _ in numbers_in(text)]


# Keyword arguments that size or style a figure: their values are not the setup of an experiment.
DRAWING = frozenset({"figsize", "fontsize", "dpi", "alpha", "linewidth", "lw", "markersize", "ms",
                     "vmin", "vmax", "zorder", "pad", "labelsize", "wspace", "hspace", "rotation",
                     "capsize", "elinewidth", "shrink", "aspect"})


def code_literals(nb: nbformat.NotebookNode) -> set[float]:
    """The numeric literals of the code cells that set an experiment up: arguments and
    assignments, not numbers inside strings, asserts, comparisons or figure styling."""
    values = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.Assert, ast.Compare, ast.JoinedStr)):
            return
        if isinstance(node, ast.keyword) and node.arg in DRAWING:
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                node.func.attr.startswith(("set_", "subplots", "figure", "legend", "text",
                                           "annotate", "tick_params", "axis"))):
            return
        if (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
                and not isinstance(node.value, bool)):
            values.add(abs(float(node.value)))
        for child in ast.iter_child_nodes(node):
            visit(child)

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        try:
            visit(ast.parse(source))
        except SyntaxError:
            continue
    return values


CONTROLS = ("SliderModel", "DropdownModel", "ToggleButtonsModel", "RadioButtonsModel",
            "SelectModel", "IntTextModel", "FloatTextModel")


def control_values(nb: nbformat.NotebookNode) -> set[float]:
    """The values a dashboard's controls show (their saved widget state): the range of a slider,
    the options of a selection. The readouts (HTML widgets) are not controls."""
    state = nb.metadata.get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    values = set()
    for model in state.values():
        if not model.get("model_name", "").endswith(CONTROLS) or "Radio" in model["model_name"]:
            continue
        fields = model.get("state", {})
        numbers = [fields.get(key) for key in ("min", "max", "value", "step")]
        if model["model_name"] == "FloatLogSliderModel":
            base = fields.get("base", 10.0)
            numbers = [base ** fields[k] for k in ("min", "max") if k in fields] + [
                fields.get("value")]
        values.update(abs(float(n)) for n in numbers
                      if isinstance(n, (int, float)) and not isinstance(n, bool))
        for label in fields.get("_options_labels", []):
            values.update(value for value, _, _, _ in numbers_in(str(label)))
    return values


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)


def is_printed(number: Quoted, printed: list[float]) -> bool:
    """True if some printed value, rounded to the places the number is quoted to, is it."""
    half = 0.5 * 10.0 ** -number.places * (1 + 1e-9)
    return any(_close(value, number.value) or abs(value - number.value) <= half
               for value in printed)


def unprinted_numbers(path: Path) -> list[Quoted]:
    """The numbers of a notebook's markdown that are neither printed nor setup or constants."""
    nb = nbformat.read(path, as_version=4)
    printed = printed_numbers(nb)
    setup = code_literals(nb) | control_values(nb) | CONSTANTS
    return [number for number in quoted_numbers(nb)
            if not any(_close(number.value, value) for value in setup)
            and not is_printed(number, printed)]


def report(path: Path, numbers: list[Quoted]) -> str:
    try:
        name = path.resolve().relative_to(REPO)
    except ValueError:
        name = path
    lines = [f"{name}: {len(numbers)} number(s) in markdown that no output prints"]
    lines += [f"  cell {n.cell}: {n.text}  <-  {n.sentence}" for n in numbers]
    return "\n".join(lines)


# --- the oracle of the reader itself: hand-made cells with known answers ---

def _notebook(markdown: str, code: str = "", printed: str = "") -> nbformat.NotebookNode:
    code_cell = nbformat.v4.new_code_cell(code)
    if printed:
        code_cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown), code_cell])


def _unprinted(markdown: str, code: str = "", printed: str = "", tmp_path: Path = None) -> list:
    path = tmp_path / "nb.ipynb"
    nbformat.write(_notebook(markdown, code, printed), path)
    return [n.text for n in unprinted_numbers(path)]


def test_reader_flags_a_number_no_output_prints(tmp_path):
    markdown = "At $\\eta = 10$ SGD ends at 0.19 against 0.039, and the loss starts near 25."
    assert _unprinted(markdown, "eta = 10\n", "median 0.16, momentum 0.039, first loss 25.3\n",
                      tmp_path) == ["0.19"]


def test_reader_accepts_setup_literals_roundings_and_cross_references(tmp_path):
    markdown = ("## 5. Five seeds\n\nFrom **5 seeds** at $\\eta = 0.05$ (section 7, "
                "Glorot & Bengio, 2010), $x^{(6)}$ and $w_{12}$: about 2.3, and "
                "$E \\approx 7\\cdot10^{-3}$; `fit(epochs=17)`; 1,079 images.")
    code = 'seeds = range(5)\nfit(eta=0.05, label="13 epochs")\nassert loss < 0.0071\n'
    printed = "loss 2.302, E = 0.0071, 1079 training images\n"
    assert _unprinted(markdown, code, printed, tmp_path) == []
    # a number inside a string of the code is not setup, and a coarser print does not match
    assert _unprinted("It takes 13 epochs and ends at 0.0071.", code, "E = 0.007\n",
                      tmp_path) == ["13", "0.0071"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_number_in_the_markdown_is_printed_by_the_notebook(path):
    numbers = unprinted_numbers(path)
    assert not numbers, (
        report(path, numbers) + "\n(print the number in an output, or point at the printed line "
        "instead of retyping it; a constant of the setup is a literal in a code cell)")


def main(paths: list[str]) -> int:
    failed = 0
    for name in paths or [str(p) for p in NOTEBOOKS]:
        numbers = unprinted_numbers(Path(name))
        print(report(Path(name), numbers))
        failed += bool(numbers)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
