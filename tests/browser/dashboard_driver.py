"""Driving a rendered dashboard or quiz through the real UI: keys on slider handles, clicks on
buttons, and a probe inside the page that times a key press to the new picture."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from browser_support import PICTURE, PICTURE_TIMEOUT_S, QuizQuestion
from page_probes import ARM_PROBE, SLIDER_STATE
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHEAP_ACTION_S = 0.6  # below this per key press (to an idle kernel), sample more presses

PICTURE_CHANGED = "() => window.__probe.changed !== null"
PROBE_RESULT = "() => ({t0: window.__probe.t0, changed: window.__probe.changed})"


@dataclass
class DashboardReport:
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)  # per slider
    controls: int = 0
    actions: int = 0
    text_only: list[str] = field(default_factory=list)  # changed the readout, not the picture
    mode_switches: list[str] = field(default_factory=list)  # changed nothing visible
    bounced: list[tuple[str, str, str]] = field(default_factory=list)  # (toggles, picked, shown)


class DashboardDriver:
    """One dashboard: ``scope`` holds exactly one picture (``PICTURE``) and its controls;
    ``settle()`` returns once the kernel has handled the last message (idle)."""

    def __init__(self, page: Page, scope: Locator, name: str, settle: Callable[[], None]):
        self.page, self.scope, self.name, self.settle = page, scope, name, settle
        self.img = scope.locator(PICTURE)
        self.report = DashboardReport()

    # ---------------------------------------------------------------- one action
    def _act(self, what: str, action: Callable[[], None], *, timed: str | None = None,
             mode_switch: bool = False) -> bool:
        """Do ``action``; True if the picture changed within PICTURE_TIMEOUT_S. An action that
        changed only text is noted; one that changed nothing fails, unless it is a mode switch
        (a checkbox such as "retrain on every change", which shows nothing by itself)."""
        self.img.evaluate(ARM_PROBE)
        text_before = self.scope.inner_text()
        action()
        self.report.actions += 1
        try:
            self.page.wait_for_function(PICTURE_CHANGED, polling="raf",
                                        timeout=PICTURE_TIMEOUT_S * 1000)
        except PlaywrightTimeout:
            self.settle()
            late = self.page.evaluate(PROBE_RESULT)
            if late["changed"] is not None:
                start = late["t0"] if late["t0"] is not None else late["changed"]
                raise AssertionError(
                    f"{self.name}: {what} changed the picture only after "
                    f"{late['changed'] - start:.0f} ms (limit {PICTURE_TIMEOUT_S} s)") from None
            if self.scope.inner_text() != text_before:
                self.report.text_only.append(what)
                return False
            if mode_switch:
                self.report.mode_switches.append(what)
                return False
            raise AssertionError(
                f"{self.name}: {what} changed neither the picture nor any text within "
                f"{PICTURE_TIMEOUT_S} s") from None
        result = self.page.evaluate(PROBE_RESULT)
        if timed and result["t0"] is not None:
            samples = self.report.latencies_ms.setdefault(timed, [])
            samples.append(result["changed"] - result["t0"])
        self.settle()
        return True

    # ---------------------------------------------------------------- controls
    def sliders(self) -> None:
        handles = self.scope.locator(".widget-slider .noUi-handle")
        for h in range(handles.count()):
            handle = handles.nth(h)
            self.report.controls += 1
            label = self._slider_label(handle)
            state = handle.evaluate(SLIDER_STATE)
            # A slider at (or near) its end stops moving: go the other way first.
            up, down = (("ArrowRight", "ArrowLeft") if state["now"] < state["max"]
                        else ("ArrowLeft", "ArrowRight"))
            moved, started = 0, time.monotonic()
            for key in [up, down, "End", "Home"]:
                moved += self._press(handle, label, key)
            if time.monotonic() - started < 4 * CHEAP_ACTION_S:
                # a cheap redraw: a few more single steps for the latency figure
                for key in ["ArrowRight", "ArrowRight", "ArrowLeft", "ArrowLeft"]:
                    moved += self._press(handle, label, key)
            assert moved, f"{self.name}: no key moved {label}"

    def _slider_label(self, handle: Locator) -> str:
        slider = handle.locator("xpath=ancestor::*[contains(@class,'widget-slider')][1]")
        text = slider.locator(".widget-label").first.inner_text().strip()
        return f"slider '{text}'"

    def _press(self, handle: Locator, label: str, key: str) -> bool:
        """Press ``key`` on the focused handle; True if the slider's value moved (then the
        picture must change: ``_act`` asserts it)."""
        handle.focus()
        state = handle.evaluate(SLIDER_STATE)
        if (key in ("ArrowRight", "End") and state["now"] >= state["max"]) or (
                key in ("ArrowLeft", "Home") and state["now"] <= state["min"]):
            return False  # at its end: nothing to send, nothing to expect
        self._act(f"{label} {key} (from {state['now']:g})",
                  lambda: self.page.keyboard.press(key), timed=label)
        moved = handle.evaluate(SLIDER_STATE)["now"]
        assert moved != state["now"], f"{self.name}: {key} did not move {label}"
        return True

    def _key(self, control: Locator, key: str) -> None:
        """Operate a control from the keyboard alone: focus it, press ``key``."""
        control.focus()
        self.page.keyboard.press(key)

    def buttons(self) -> None:
        """Every toggle, button, checkbox and radio, operated from the keyboard (Enter on a
        button, Space on a checkbox or radio), as a student without a mouse would."""
        groups = self.scope.locator(".widget-toggle-buttons")
        for g in range(groups.count()):
            group = groups.nth(g)
            self.report.controls += 1
            label = group.locator(".widget-label").first.inner_text().strip() or f"toggles {g}"
            options = group.locator("button")
            for o in range(options.count()):
                option = options.nth(o)
                if "mod-active" in (option.get_attribute("class") or ""):
                    continue
                text = option.inner_text().strip()
                self._act(f"toggle '{label}' -> '{text}' (Enter)",
                          lambda o=option: self._key(o, "Enter"))
                # What the student picked must stay picked once the kernel has answered.
                active = group.locator("button.mod-active").all_inner_texts()
                if [a.strip() for a in active] != [text]:
                    self.report.bounced.append((label, text, ", ".join(active)))
        for selector, kind in [("button.widget-button", "button"),
                               ("button.widget-toggle-button:not(.widget-toggle-buttons *)",
                                "toggle button")]:
            buttons = self.scope.locator(selector)
            for b in range(buttons.count()):
                button = buttons.nth(b)
                self.report.controls += 1
                text = button.inner_text().strip()
                self._act(f"{kind} '{text}' (Enter)", lambda b=button: self._key(b, "Enter"))
        checkboxes = self.scope.locator(".widget-checkbox input[type=checkbox]")
        for c in range(checkboxes.count()):
            box = checkboxes.nth(c)
            self.report.controls += 1
            label = box.locator("xpath=ancestor::*[contains(@class,'widget-checkbox')][1]")
            text = " ".join(label.inner_text().replace("\u200b", " ").split())
            for _ in range(2):  # and back
                state = "off" if box.is_checked() else "on"
                self._act(f"checkbox '{text}' {state} (Space)", lambda b=box: self._key(b, "Space"),
                          mode_switch=True)
        dropdowns = self.scope.locator(".widget-dropdown select")
        for d in range(dropdowns.count()):
            select = dropdowns.nth(d)
            self.report.controls += 1
            values = select.locator("option").evaluate_all("os => os.map(o => o.value)")
            current = select.input_value()
            for value in values:
                if value != current:
                    self._act(f"dropdown -> {value}", lambda s=select, v=value: s.select_option(v))
        radios = self.scope.locator(".widget-radio-box")
        for r in range(radios.count()):
            self.report.controls += 1
            inputs = radios.nth(r).locator("input[type=radio]")
            for i in range(inputs.count()):
                radio = inputs.nth(i)
                if not radio.is_checked():
                    self._act(f"radio {r} option {i} (Space)",
                              lambda x=radio: self._key(x, "Space"))


def answer_quiz(page: Page, scope: Locator, questions: list[QuizQuestion],
                settle: Callable[[], None], name: str) -> None:
    """Answer each question once wrong, then right, and check the feedback each time."""
    boxes = scope.locator(".widget-radio-box")
    assert boxes.count() == len(questions), (
        f"{name}: {boxes.count()} questions in the page, {len(questions)} in the committed "
        "static view")
    for number, (box, question) in enumerate(
            ((boxes.nth(q), questions[q]) for q in range(len(questions))), start=1):
        labels = box.locator("label")
        shown = [" ".join(labels.nth(i).inner_text().split()) for i in range(labels.count())]
        assert shown == question.options, (
            f"{name} question {number}: options in the page {shown} differ from the committed "
            f"view {question.options}")
        # Quiz layout: VBox([prompt, RadioButtons, feedback HTML]) per question.
        feedback = box.locator("xpath=ancestor::*[contains(@class,'widget-vbox')][1]").locator(
            ".widget-html").last
        wrong = next(i for i in range(len(shown)) if i != question.answer)
        for index, expected in [(wrong, "✘ Not quite"), (question.answer, "✔ Right.")]:
            labels.nth(index).locator("input").focus()  # from the keyboard: focus, Space
            page.keyboard.press("Space")
            try:
                page.wait_for_function(
                    "([el, text]) => el.textContent.trim().startsWith(text)",
                    arg=[feedback.element_handle(), expected], timeout=5000)
            except PlaywrightTimeout:
                raise AssertionError(
                    f"{name} question {number}: picking '{shown[index]}' should show "
                    f"'{expected}', the page shows '{feedback.inner_text()}'") from None
            settle()
