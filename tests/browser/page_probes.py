"""JavaScript probes evaluated in the page: one copy for the browser tests and the course-hub
benchmark (benchmarks/hub/run_hub.py), so both time a redraw the same way."""

# Armed before each action on one picture: a keydown listener (capture phase, so it runs before
# the slider's own handler) stamps t0, a MutationObserver stamps the first new src. A Picture
# (an HTML widget) replaces its <img> on every redraw, an ipywidgets Image changes its src: the
# observer watches the picture's widget element and reads whichever <img> is there now.
ARM_PROBE = """(img) => {
  const probe = window.__probe || (window.__probe = {});
  if (probe.observer) probe.observer.disconnect();
  if (probe.onKey) document.removeEventListener('keydown', probe.onKey, true);
  const box = img.closest('.lecture-picture') || img;
  const current = () => (box.tagName === 'IMG' ? box : box.querySelector('img'));
  probe.before = img.getAttribute('src');
  probe.t0 = null;
  probe.changed = null;
  probe.onKey = () => { if (probe.t0 === null) probe.t0 = performance.now(); };
  document.addEventListener('keydown', probe.onKey, true);
  probe.observer = new MutationObserver(() => {
    const now = current();
    if (probe.changed === null && now && now.getAttribute('src') !== probe.before) {
      probe.changed = performance.now();
    }
  });
  probe.observer.observe(box, {attributes: true, attributeFilter: ['src'], childList: true,
                               subtree: true});
}"""
# Where a slider is, from noUiSlider itself (its aria-valuenow can lag behind a key press).
SLIDER_STATE = """(handle) => {
  const slider = handle.closest('.noUi-target').noUiSlider, range = slider.options.range;
  const values = [].concat(slider.get()).map(Number);
  const index = Number(handle.getAttribute('data-handle') || 0);
  return {now: values[index], min: Number([].concat(range.min)[0]),
          max: Number([].concat(range.max)[0])};
}"""
