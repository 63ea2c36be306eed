"""Every notebook in notebooks/, run in JupyterLab in Chromium: no error output, every dashboard
rendered and answering its controls through the real UI, every self-check giving feedback.

    .venv/bin/python -m pytest tests/browser -rA

Prints the key-press-to-picture p50 per dashboard and the folder of the screenshots.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from browser_support import KERNEL_TIMEOUT_S, PICTURE, REPO, RUN_ALL_TIMEOUT_S, plan_notebook

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))

FIND_PANEL = """(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return false;
  const panel = Array.from(app.shell.widgets('main'))
    .find(w => w.context && w.context.path === path && w.content && w.sessionContext);
  if (!panel) return false;
  window.__panel = panel;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return panel.sessionContext.isReady && !!kernel && kernel.status === 'idle'
    && kernel.connectionStatus === 'connected';
}"""
KERNEL_IDLE = """() => {
  const session = window.__panel.sessionContext.session, kernel = session && session.kernel;
  return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
}"""
RESTART = "async () => { await window.__panel.sessionContext.restartKernel(); }"
CLEAR_AND_RUN_ALL = """async () => {
  const app = window.jupyterapp;
  app.shell.activateById(window.__panel.id);
  window.__runAll = {done: false, ok: null, error: null};
  await app.commands.execute('notebook:clear-all-cell-outputs');
  app.commands.execute('notebook:run-all-cells').then(
    ok => { window.__runAll.ok = ok; window.__runAll.done = true; },
    error => { window.__runAll.error = String(error); window.__runAll.done = true; });
}"""
RUN_ALL_DONE = """() => window.__runAll.done
  && window.__panel.sessionContext.session.kernel.status === 'idle'"""
CELL_STATE = """() => {
  const panel = window.__panel, cells = panel.content.model.cells, result = [];
  panel.content.widgets.forEach((w, i) => w.node.setAttribute('data-test-cell', String(i)));
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    const outputs = cell.outputs.toJSON().map(o => ({
      type: o.output_type, name: o.name || null,
      text: o.output_type === 'error' ? `${o.ename}: ${o.evalue}`
        : (Array.isArray(o.text) ? o.text.join('') : (o.text || '')),
    }));
    result.push({index: i, count: cell.executionCount, outputs: outputs});
  }
  return result;
}"""
SCROLL_TO = """async (i) => {
  const panel = window.__panel;
  if (panel.content.scrollToItem) await panel.content.scrollToItem(i, 'start');
  panel.content.widgets[i].node.scrollIntoView({block: 'start'});
}"""
PICTURES_SETTLED = """(picture) => {
  const notebook = document.querySelector('.jp-Notebook');
  const images = notebook ? [...notebook.querySelectorAll(picture)] : [];
  const key = images.map(img => img.getAttribute('src') || '').join(' ');
  const now = performance.now(), seen = window.__pictures;
  if (!seen || seen.key !== key || images.some(img => !img.getAttribute('src'))) {
    window.__pictures = {key: key, since: now};
    return false;
  }
  return now - seen.since > 1000;
}"""
DASHBOARD_CELLS = """(picture) => [...document.querySelectorAll('[data-test-cell]')]
  .filter(cell => [...cell.querySelectorAll('.jp-Cell-outputArea')]
    .some(area => area.querySelector(picture)))
  .map(cell => Number(cell.getAttribute('data-test-cell')))"""
SHUTDOWN = "async () => { if (window.__panel) await window.__panel.sessionContext.shutdown(); }"
# A toggle the kernel flips back after the student picked it is a failure, except these known
# issues (reported with a fix; remove the entry once fixed). Such bounces can be intermittent:
# they depend on whether a slider view echoes its snapped value before the kernel's next message.
KNOWN_BOUNCES: dict[tuple[str, str, str], str] = {
    # (notebook stem, toggles label, option): cause. The init dashboard's He bounce (its c
    # slider snapped 2 to 10^0.3 and echoed it) was fixed in lecture_lib; none is known now.
}
BAD_STDERR = re.compile(r"Traceback|Error|Exception|Warning")


def _wait(page, script, what: str, timeout_s: float, arg=None) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(script, arg=arg, timeout=timeout_s * 1000, polling=250)
    except PlaywrightTimeout:
        raise AssertionError(f"timed out after {timeout_s} s waiting for {what}") from None


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_in_jupyterlab(notebook: Path, lab_server, page_factory, screenshot_dir,
                                latency, notes, axe_reports):
    from accessibility import PICTURES_WITHOUT_TEXT, check_keyboard_focus, run_axe
    from dashboard_driver import DashboardDriver, answer_quiz

    plan = plan_notebook(notebook)
    page = page_factory()
    started = time.monotonic()

    def phase(what: str) -> None:
        print(f"{notebook.stem}: {what} at {time.monotonic() - started:.1f} s", flush=True)

    url = (f"{lab_server.url}/lab/workspaces/test-{notebook.stem}/tree/{notebook.name}"
           f"?token={lab_server.token}")
    missing_alt: dict[str, list[str]] = {}
    keyboard_problems: list[str] = []
    page.goto(url, wait_until="domcontentloaded", timeout=KERNEL_TIMEOUT_S * 1000)
    try:
        _wait(page, FIND_PANEL, f"{notebook.name} to open with an idle kernel", KERNEL_TIMEOUT_S,
              arg=notebook.name)
        # Committed notebooks carry outputs and counts: restart, clear, run all (the note).
        phase("kernel idle")
        page.evaluate(RESTART)
        _wait(page, KERNEL_IDLE, "the restarted kernel to be idle", KERNEL_TIMEOUT_S)
        page.evaluate(CLEAR_AND_RUN_ALL)
        _wait(page, RUN_ALL_DONE, f"run-all of {notebook.name} and an idle kernel",
              RUN_ALL_TIMEOUT_S)
        phase("run-all done")
        run = page.evaluate("() => window.__runAll")
        cells = page.evaluate(CELL_STATE)

        errors = [f"cell {c['index']}: {o['text'][:400]}" for c in cells for o in c["outputs"]
                  if o["type"] == "error"
                  or (o["name"] == "stderr" and BAD_STDERR.search(o["text"]))]
        assert not errors, f"{notebook.name} shows error output:\n" + "\n".join(errors)
        assert run["error"] is None and run["ok"] is not False, f"run-all failed: {run}"
        counts = [c["count"] for c in cells]
        assert counts == list(range(1, len(cells) + 1)), f"execution counts after run-all: {counts}"
        stderr = [o["text"] for c in cells for o in c["outputs"] if o["name"] == "stderr"]
        if stderr:
            notes.append(f"{notebook.name}: stderr output {stderr}")
        traceback_nodes = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        assert traceback_nodes.count() == len(stderr), "stderr in the page but not in the model"

        settle = lambda: _wait(page, KERNEL_IDLE, "the kernel to be idle", 60)  # noqa: E731
        # Dashboards are found in the page (any output with a picture); once the pictures stop
        # arriving, their cells must be those the committed static view shows.
        _wait(page, PICTURES_SETTLED, "the dashboard pictures to render", 60, arg=PICTURE)
        dashboards = page.evaluate(DASHBOARD_CELLS, PICTURE)
        if plan.executed:
            assert dashboards == plan.dashboards, (
                f"dashboards ({PICTURE}) in cells {dashboards} of the page, in cells "
                f"{plan.dashboards} of the committed notebook's outputs")
        else:
            notes.append(f"{notebook.name} is committed without outputs: dashboards found in "
                         "the page only")
        assert len(page.locator(".jp-Notebook").locator(PICTURE).all()) == len(dashboards)
        widget_errors = page.locator(".jp-Notebook").get_by_text("Error displaying widget")
        assert widget_errors.count() == 0, "a widget failed to display"

        # The page must not send widget state the student did not set: an "update" before any
        # action is a slider view echoing a value snapped to its grid (10^k·step), which the
        # kernel then takes for a move (noted; see KNOWN_BOUNCES for the same cause).
        for _acting, state in page.sent_updates:
            notes.append(f"{notebook.name}: the page sent {state} to the kernel during run-all, "
                         "without any action: a widget echoed a value the kernel had set")
        page.acting = True
        # axe-core over every output area after run-all (scrolled through, so that windowed
        # cells are in the page)
        axe_reports.append(_axe_over_outputs(page, run_axe, f"{notebook.stem} after run-all",
                                             len(cells)))

        for number, index in enumerate(dashboards, start=1):
            page.evaluate(SCROLL_TO, index)
            scope = page.locator(f'[data-test-cell="{index}"] .jp-Cell-outputArea')
            name = f"{notebook.stem} #{number} {plan.titles[index]}"
            assert scope.locator(PICTURE).count() == 1, f"{name}: no picture"
            scope.screenshot(path=screenshot_dir / f"{notebook.stem}_dashboard{number}_start.png")
            # an ipywidgets Image cannot carry alt text: pending (accessibility.PENDING_IN_PROJECT)
            pending_image = scope.locator("img.widget-image").count() > 0
            without_text = [] if pending_image else scope.evaluate(PICTURES_WITHOUT_TEXT)
            alt_before = scope.locator(PICTURE).get_attribute("alt")
            focus_problems = check_keyboard_focus(scope, name)
            driver = DashboardDriver(page, scope, name, settle)
            driver.sliders()
            driver.buttons()
            assert driver.report.controls, f"{name}: no control found"
            latency[name] = driver.report.latencies_ms
            for what in driver.report.text_only:
                notes.append(f"{name}: {what} changed the readout, not the picture")
            for label, picked, shown in driver.report.bounced:
                known = KNOWN_BOUNCES.get((notebook.stem, label, picked))
                assert known, (f"{name}: picked '{picked}' on '{label}', the page then shows "
                               f"'{shown}': the kernel changed the student's choice back")
                notes.append(f"{name}: known issue still present: '{label}' -> '{picked}' "
                             f"bounced to '{shown}' ({known})")
            for what in driver.report.mode_switches:
                notes.append(f"{name}: {what} changed nothing visible (a mode switch)")
            scope.screenshot(path=screenshot_dir / f"{notebook.stem}_dashboard{number}_moved.png")
            # the picture's text equivalent: present, and it changed with the picture
            if pending_image:
                notes.append(f"{name}: PENDING in the project: its picture has no text "
                             "equivalent (an ipywidgets Image)")
            elif without_text:
                missing_alt[name] = without_text
            elif scope.locator(PICTURE).get_attribute("alt") == alt_before:
                missing_alt[name] = ["alt text did not change while the picture did"]
            for problem in focus_problems:
                notes.append(problem)
            keyboard_problems.extend(focus_problems)
            phase(f"dashboard {number} driven")

        for number, (index, questions) in enumerate(plan.quizzes.items(), start=1):
            page.evaluate(SCROLL_TO, index)
            scope = page.locator(f'[data-test-cell="{index}"] .jp-Cell-outputArea')
            answer_quiz(page, scope, questions, settle, f"{notebook.stem} quiz {number}")
            scope.screenshot(path=screenshot_dir / f"{notebook.stem}_quiz{number}.png")

        phase("quizzes answered")
        axe_reports.append(_axe_over_outputs(page, run_axe,
                                             f"{notebook.stem} after the controls moved",
                                             len(cells)))
        assert not page.problems, "browser console:\n" + "\n".join(page.problems)
        _assert_accessible(axe_reports[-2:], missing_alt, keyboard_problems, notes)
    finally:
        page.evaluate(SHUTDOWN)


def _axe_over_outputs(page, run_axe, where: str, n_cells: int):
    """axe-core over the output areas of every cell: JupyterLab keeps only the cells near the
    view in the page (windowing), so the notebook is walked in windows of cells and the
    violations of each window are merged (by rule and node)."""
    from accessibility import AxeReport

    merged: dict[str, dict] = {}
    total = page.evaluate("() => window.__panel.content.widgets.length")
    for first in range(0, total, 6):
        page.evaluate(SCROLL_TO, first)
        page.wait_for_timeout(300)
        if page.locator(".jp-Notebook .jp-OutputArea").count() == 0:
            continue
        for violation in run_axe(page, where, ".jp-Notebook .jp-OutputArea").violations:
            entry = merged.setdefault(violation["id"], {**violation, "nodes": []})
            seen = {(tuple(map(str, n["target"])), n["html"]) for n in entry["nodes"]}
            entry["nodes"] += [n for n in violation["nodes"]
                               if (tuple(map(str, n["target"])), n["html"]) not in seen]
    return AxeReport(where, list(merged.values()))


def _assert_accessible(reports, missing_alt, keyboard_problems, notes) -> None:
    """No critical or serious axe violation the project causes; every picture with a text
    equivalent that follows it; every control focusable from the keyboard, visibly."""
    from accessibility import PENDING_IN_PROJECT, UPSTREAM

    unexplained = []
    for report in reports:
        problems, known = report.blocking()
        unexplained += problems
        for key in sorted(known):
            kind = "upstream" if key in UPSTREAM else "PENDING in the project"
            why = {**UPSTREAM, **PENDING_IN_PROJECT}[key]
            notes.append(f"{report.where}: {kind}: {key[0]} on .{key[1]} ({why[:90]}...)")
    assert not unexplained, "axe-core, critical or serious:\n" + "\n".join(unexplained)
    assert not missing_alt, f"pictures without a text equivalent that follows them: {missing_alt}"
    assert not keyboard_problems, "keyboard:\n" + "\n".join(keyboard_problems)
