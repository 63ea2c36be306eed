"""axe-core in the real-browser tests: the notebooks' output areas (what the project puts in the
page) checked against WCAG 2.1 A and AA, failing on critical or serious violations.

axe-core comes bundled with ``axe-playwright-python`` (PyPI). Only the output areas are checked:
JupyterLab's own page has violations of its own that the project cannot change.

A violation that comes from ipywidgets or JupyterLab and that the project cannot work around is
listed once in ``UPSTREAM`` with the upstream reference; any other critical or serious violation
fails the test. Moderate and minor ones are reported in the summary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
BLOCKING = ("critical", "serious")

# (axe rule, a CSS class every offending node's target contains) -> why the project cannot fix
# it, with the upstream reference. Checked: an entry that no longer occurs is reported, so it
# can be removed.
UPSTREAM: dict[tuple[str, str], str] = {
    ("aria-input-field-name", "noUi-handle"): (
        "ipywidgets 8.1 slider handles (role=slider) have no accessible name: the view creates "
        "noUiSlider without its `handleAttributes` option (jupyter-widgets/ipywidgets, "
        "packages/controls/src/widget_int.ts, createSlider), and the description <label> has no "
        "`for` a <div role=slider> could use; ipywidgets exposes no aria setting to the kernel. "
        "noUiSlider supports handle labels since leongersen/noUiSlider#1223. Keyboard operation "
        "(Tab, arrows, Home/End) and the visible label work; a screen reader announces "
        "'slider' and the value only"),
}

# Violations the project causes and has not fixed yet, each with who fixes it: reported in the
# summary, not failed on. Remove an entry when its fix lands (its absence is then reported).
PENDING_IN_PROJECT: dict[tuple[str, str], str] = {}


@dataclass
class AxeReport:
    """Violations per rule in one check, and the counts by impact."""

    where: str
    violations: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Offending nodes per impact."""
        result: dict[str, int] = {}
        for violation in self.violations:
            impact = violation.get("impact") or "unknown"
            result[impact] = result.get(impact, 0) + len(violation["nodes"])
        return result

    def blocking(self) -> tuple[list[str], set[tuple[str, str]]]:
        """Critical or serious violations not listed in UPSTREAM or PENDING_IN_PROJECT (as
        readable lines), and the listed entries that occurred."""
        unexplained, upstream_seen = [], set()
        known = {**UPSTREAM, **PENDING_IN_PROJECT}
        for violation in self.violations:
            if violation.get("impact") not in BLOCKING:
                continue
            for node in violation["nodes"]:
                target = " ".join(map(str, node.get("target", [])))
                key = next((k for k in known
                            if k[0] == violation["id"] and k[1] in target + node["html"]), None)
                if key:
                    upstream_seen.add(key)
                    continue
                unexplained.append(f"{self.where}: {violation['impact']} {violation['id']} "
                                   f"({violation['help']}) at {target}: {node['html'][:160]}")
        return unexplained, upstream_seen


def run_axe(page, where: str, selector: str = ".jp-OutputArea") -> AxeReport:
    """axe-core on every element matching ``selector`` (and inside it)."""
    from axe_playwright_python.sync_playwright import Axe

    if page.locator(selector).count() == 0:
        raise AssertionError(f"{where}: nothing matches {selector} to check")
    results = Axe().run(page, context={"include": [[selector]]}, options=AXE_OPTIONS)
    return AxeReport(where, results.response["violations"])


def record(reports: list[AxeReport], path: Path) -> None:
    """Counts per check, for the summary and the note (axe.json next to the screenshots)."""
    path.write_text(json.dumps(
        {r.where: {"counts": r.counts(), "rules": sorted({v["id"] for v in r.violations})}
         for r in reports}, indent=1) + "\n")


PICTURES_WITHOUT_TEXT = """(scope) => [...scope.querySelectorAll('img')]
  .filter(img => !(img.getAttribute('alt') || '').trim())
  .map(img => img.outerHTML.slice(0, 120))"""

# Every control in ``scope`` that the Tab key reaches: its description, and whether focusing it
# from the keyboard changes how it looks (outline, shadow, border or background: a visible
# focus). ``focusVisible`` asks Chromium to show focus as after a Tab press.
FOCUS_WALK = """(scope) => {
  const selector = 'button, input, select, textarea, [tabindex], [contenteditable="true"]';
  const looks = (el) => {
    const s = getComputedStyle(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor,
            s.backgroundColor].join('|');
  };
  const visible = (el) => el.offsetParent !== null && !el.disabled;
  const result = [];
  for (const el of scope.querySelectorAll(selector)) {
    if (!visible(el) || el.tabIndex < 0) continue;
    if (document.activeElement) document.activeElement.blur();
    const before = looks(el);
    el.focus({focusVisible: true});
    const focused = document.activeElement === el;
    const after = looks(el);
    const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.className
                  || el.tagName).toString().trim().slice(0, 40);
    result.push({name: `${el.tagName.toLowerCase()} '${name}'`, focused: focused,
                 visible: before !== after});
    el.blur();
  }
  return result;
}"""


def check_keyboard_focus(scope, where: str) -> list[str]:
    """Problems: a control Tab reaches that cannot take focus, or shows no change on focus."""
    problems = []
    for control in scope.evaluate(FOCUS_WALK):
        if not control["focused"]:
            problems.append(f"{where}: {control['name']} does not take keyboard focus")
        elif not control["visible"]:
            problems.append(f"{where}: {control['name']} shows no visible focus")
    return problems
