"""The instructor view: ``voila notebooks/01_initialization.ipynb`` renders the dashboard as a
slider app without code cells, and a key on a slider handle changes its picture.

    .venv/bin/python -m pytest tests/browser/test_voila.py -rA
"""

from __future__ import annotations

from browser_support import KERNEL_TIMEOUT_S, PICTURE, PICTURE_TIMEOUT_S

FONT_AWESOME_CDN = "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@"
PICTURE_SETTLED = """(picture) => {
  const images = [...document.querySelectorAll(picture)];
  const key = images.map(img => img.getAttribute('src') || '').join(' ');
  const now = performance.now(), seen = window.__pictures;
  if (!images.length || !seen || seen.key !== key || images.some(i => !i.getAttribute('src'))) {
    window.__pictures = {key: key, since: now};
    return false;
  }
  return now - seen.since > 1500;
}"""


def test_voila_renders_the_init_dashboard_and_a_slider_moves_it(voila_server, page_factory,
                                                                 screenshot_dir, axe_reports):
    from accessibility import check_keyboard_focus, run_axe
    from dashboard_driver import ARM_PROBE, PICTURE_CHANGED, PROBE_RESULT, SLIDER_STATE
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = page_factory()
    page.goto(f"{voila_server.url}/?token={voila_server.token}", wait_until="domcontentloaded",
              timeout=KERNEL_TIMEOUT_S * 1000)
    try:
        page.wait_for_function(PICTURE_SETTLED, arg=PICTURE, timeout=KERNEL_TIMEOUT_S * 1000,
                               polling=250)
    except PlaywrightTimeout:
        raise AssertionError(
            f"Voila showed no dashboard picture within {KERNEL_TIMEOUT_S} s; page text: "
            f"{page.inner_text('body')[:600]!r}; server log:\n{voila_server.log_tail()}"
        ) from None
    body = page.inner_text("body")
    assert "Traceback" not in body and "There was an error when executing" not in body, body
    # Voila keeps empty input areas in the page; what matters is that no source is shown.
    code = "from lecture_lib.dashboards import InitializationDashboard"
    assert code not in body and "import numpy as np" not in body, "Voila shows code cells"
    assert page.locator(PICTURE).count() == 1, "one dashboard in notebook 01"
    img = page.locator(PICTURE)
    img.scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "voila_01_initialization.png")

    outputs = ".jp-OutputArea" if page.locator(".jp-OutputArea").count() else "body"
    axe_reports.append(run_axe(page, "Voila 01 at start", outputs))
    alt_before = img.get_attribute("alt")
    assert alt_before and "Initialization dashboard" in alt_before, alt_before
    focus = check_keyboard_focus(page.locator(outputs).first, "Voila 01")
    handle = page.locator(".widget-slider .noUi-handle").first
    state = handle.evaluate(SLIDER_STATE)
    key = "ArrowRight" if state["now"] < state["max"] else "ArrowLeft"
    img.evaluate(ARM_PROBE)
    handle.focus()
    page.keyboard.press(key)
    assert handle.evaluate(SLIDER_STATE)["now"] != state["now"], f"{key} did not move the slider"
    try:
        page.wait_for_function(PICTURE_CHANGED, polling="raf", timeout=PICTURE_TIMEOUT_S * 1000)
    except PlaywrightTimeout:
        raise AssertionError(f"Voila: {key} on the first slider did not change the picture "
                             f"within {PICTURE_TIMEOUT_S} s") from None
    result = page.evaluate(PROBE_RESULT)
    print(f"Voila: {key} on the first slider -> new picture in "
          f"{result['changed'] - result['t0']:.0f} ms")
    page.wait_for_timeout(500)
    assert page.locator(PICTURE).get_attribute("alt") != alt_before, "alt text did not follow"
    axe_reports.append(run_axe(page, "Voila 01 after a slider move", outputs))
    unexplained = [line for report in axe_reports[-2:] for line in report.blocking()[0]]
    assert not unexplained, "axe-core, critical or serious:\n" + "\n".join(unexplained)
    assert not focus, "keyboard:\n" + "\n".join(focus)
    # Voila's lab template links Font Awesome from a CDN; this machine has no internet (a
    # classroom without one would lose only the icons). Any other failure counts.
    cdn = [r for r in page.failed_requests if r.startswith(FONT_AWESOME_CDN)]
    problems = [p for p in page.problems if not (
        cdn and p == "console error: Failed to load resource: net::ERR_NAME_NOT_RESOLVED")]
    if cdn:
        print("Voila: Font Awesome not loaded from its CDN (no internet here):", *cdn, sep="\n  ")
    assert not problems, "browser console:\n" + "\n".join(problems + page.failed_requests)
