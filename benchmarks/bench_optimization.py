"""The optimization dashboards and one training epoch against PyTorch.

Rows:

* surface explorer: a control move -> new PNG bytes (four rules, 300 steps each);
* training explorer: a control move -> the first epoch's points in the picture, and the
  default run (Adam, η = 0.01, B = 64, 20 epochs) trained from scratch (cache cleared);
* CPU per move (``time.process_time`` in this process: p50, mean, max) over a sweep of every
  control of each dashboard, with the issue's budgets on the mean (surface explorer 0.1 s,
  training explorer 0.25 s), and the RSS growth of building the dashboard and sweeping it;
* one training epoch (forward, backprop, Adam step per minibatch of 64) of lecture_lib's digits
  net against the same net, initial weights, batches and optimizer in PyTorch on CPU. The row's
  budget is PyTorch's p50, so "within budget" means lecture_lib is no slower; ``ratio`` is
  lecture_lib / PyTorch. PyTorch is optional (benchmarks/requirements.txt): without it the row
  says skipped.

The sweep (:func:`cpu_sweep`) moves each control as a student does with the keyboard: from its
value up to its end, down to its start, and back (a slider through at most 21 evenly spaced
positions, an integer slider of up to 100 values through all of them, every option of a toggle
or selection slider, a checkbox off and on, a button clicked three times). Revisited positions
are part of a student's sweep; ``mean_new_ms`` is the mean over the moves that trained.
"""

from __future__ import annotations

import os
import time

import ipywidgets as widgets
import numpy as np
from timing import row, skipped, time_calls

from lecture_lib.dashboards.optimization import SurfaceExplorer, TrainingExplorer
from lecture_lib.data import load_digits
from lecture_lib.optim import Adam
from lecture_lib.training import digits_net

BATCH = 64
SLIDER_POSITIONS = 21


# ------------------------------------------------------------------ CPU sweep of every control


def rss_mib() -> float:
    """Resident memory of this process (Linux /proc), MiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def positions(widget) -> list:
    """The values a sweep visits, in increasing order."""
    if isinstance(widget, widgets.Checkbox):
        return [False, True]
    if isinstance(widget, (widgets.ToggleButtons, widgets.SelectionSlider)):
        return [option[1] if isinstance(option, tuple) else option for option in widget.options]
    if isinstance(widget, widgets.IntSlider) and widget.max - widget.min <= 100:
        return list(range(widget.min, widget.max + 1))
    grid = np.linspace(widget.min, widget.max, SLIDER_POSITIONS)
    grid = np.clip(np.round(grid / widget.step) * widget.step, widget.min, widget.max)
    if isinstance(widget, widgets.FloatLogSlider):
        return sorted({float(widget.base ** e) for e in grid})
    if isinstance(widget, widgets.IntSlider):
        return sorted({int(v) for v in grid})
    return sorted({float(v) for v in grid})


def sweep_order(widget) -> list:
    """From the current value up to the end, down to the start, back up to the value."""
    start = widget.value
    if isinstance(widget, widgets.Checkbox):
        return [not start, start]
    values = positions(widget)
    if isinstance(widget, widgets.ToggleButtons):
        return [v for v in values if v != start] + [start]
    log = isinstance(widget, widgets.FloatLogSlider)
    index = int(np.argmin([abs(np.log(v / start)) if log else abs(v - start) for v in values]))
    order = values[index + 1:] + values[::-1][1:] + values[1:index + 1]
    if not order or order[-1] != start:
        order.append(start)
    return order


def cpu_sweep(controls: dict, buttons: dict, trained=None) -> tuple[dict, list[float]]:
    """CPU seconds of each move over a sweep of every control and button.

    Returns ``{control name: [seconds per move]}`` and the seconds of the moves for which
    ``trained()`` said the move trained (empty without ``trained``).
    """
    per_control, new = {}, []
    moves = [(name, widget, value) for name, widget in controls.items()
             for value in sweep_order(widget)]
    for name, widget, value in moves:
        start = time.process_time()
        widget.value = value
        seconds = time.process_time() - start
        per_control.setdefault(name, []).append(seconds)
        if trained is not None and trained():
            new.append(seconds)
    for name, button in buttons.items():
        for _ in range(3):
            start = time.process_time()
            button.click()
            per_control.setdefault(name, []).append(time.process_time() - start)
    return per_control, new


def cpu_row(name: str, build, budget_ms: float, controls, buttons, trained=None) -> dict:
    """Build a dashboard, sweep every control, and report CPU per move and RSS growth."""
    rss_before = rss_mib()
    dash = build()
    rss_built = rss_mib()
    per_control, new = cpu_sweep(controls(dash), buttons(dash),
                                 None if trained is None else (lambda: trained(dash)))
    samples = np.array([s for values in per_control.values() for s in values]) * 1000.0
    means = {key: round(float(np.mean(v)) * 1000.0, 1) for key, v in per_control.items()}
    extra = {
        "mean_ms": round(float(samples.mean()), 1),
        "max_ms": round(float(samples.max()), 1),
        "budget_on": "mean_ms",
        "per_control_mean_ms": means,
        "worst_control_mean_ms": max(means.values()),
        "rss_build_mib": round(rss_built - rss_before, 1),
        "rss_sweep_mib": round(rss_mib() - rss_built, 1),
        "clock": "process CPU time (time.process_time), BLAS on 1 thread as in the observers",
    }
    if trained is not None:
        extra["moves_trained"] = len(new)
        extra["mean_new_ms"] = round(float(np.mean(new)) * 1000.0, 1) if new else None
    return row(name, samples, budget_ms, **extra)


def surface_cpu_rows() -> list[dict]:
    return [cpu_row(
        "surface explorer: CPU per move, sweep of every control", SurfaceExplorer, 100.0,
        lambda d: {"surface": d.surface, **{f"rule {k}": v for k, v in d.rules.items()},
                   "eta": d.eta, "beta": d.beta, "beta1": d.beta1, "beta2": d.beta2,
                   "noise": d.noise},
        lambda d: {})]


def training_cpu_rows() -> list[dict]:
    return [cpu_row(
        "training explorer: CPU per move, sweep of every control", TrainingExplorer, 250.0,
        lambda d: {"rule": d.rule, "eta": d.eta, "beta": d.beta, "beta2": d.beta2,
                   "batch_size": d.batch_size, "train_on_change": d.train_on_change},
        lambda d: {"train_button": d.train_button},
        trained=lambda d: d.trained)]


# ------------------------------------------------------------------ wall-clock latency


def surface_rows() -> list[dict]:
    dash = SurfaceExplorer()
    rng = np.random.default_rng(0)
    moves = [(dash.eta, float(10**v)) for v in rng.uniform(-3, 1, size=16)]
    moves += [(dash.beta, 0.5), (dash.beta, 0.95), (dash.beta1, 0.8), (dash.beta2, 0.99),
              (dash.noise, 0.5), (dash.noise, 2.0), (dash.noise, 0.0)]
    moves += [(dash.surface, "saddle"), (dash.eta, 0.02), (dash.surface, "plateau"),
              (dash.eta, 0.3), (dash.surface, "local minima"), (dash.surface, "ravine")]

    def move(widget, value):
        before = dash.image.value
        widget.value = value
        assert dash.image.value is not before, "the move must produce a new picture"

    samples = time_calls(lambda w=w, v=v: move(w, v) for w, v in moves)
    return [row("surface explorer: control move -> new PNG (4 rules x 300 steps)", samples,
                100.0)]


def training_rows() -> list[dict]:
    dash = TrainingExplorer()
    first = []
    moves = [(dash.eta, 0.003), (dash.eta, 0.01), (dash.rule, "SGD"), (dash.rule, "Adam"),
             (dash.beta, 0.8), (dash.beta, 0.9)]
    for widget, value in moves:
        dash.runs.clear()  # a new run every time
        widget.value = value
        first.append(dash.first_points_ms)
    assert dash.rule.value == "Adam" and dash.eta.value == 0.01 and dash.beta.value == 0.9

    def train_from_scratch():
        dash.runs.clear()
        dash.train_button.click()
        assert dash.trained

    # the notebook's default setting, retrained by the Train button
    full = time_calls(train_from_scratch for _ in range(5))
    epochs = dash.epochs
    return [
        row("training explorer: control move -> first epoch's points", first, 300.0),
        row(f"training explorer: control move -> full default run ({epochs} epochs)", full,
            2000.0),
    ]


def _numpy_threads() -> int:
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return os.cpu_count() or 1


def epoch_rows(repeats: int = 7) -> list[dict]:
    name = f"one digits epoch (Adam, B = {BATCH}): lecture_lib vs PyTorch CPU"
    try:
        import torch
    except ImportError:
        return [skipped(name, None, "PyTorch not installed (pip install -r "
                                    "benchmarks/requirements.txt)")]
    threads = _numpy_threads()
    torch.set_num_threads(threads)
    data = load_digits(seed=0)
    X, y = data.X_train, data.y_train
    orders = [np.random.default_rng(k).permutation(len(X)) for k in range(repeats + 1)]

    net = digits_net(0)
    initial = net.copy_params()
    layers = [torch.nn.Linear(a, b).double() for a, b in zip(net.sizes[:-1], net.sizes[1:])]
    with torch.no_grad():
        for layer, W, b in zip(layers, initial[0::2], initial[1::2]):
            layer.weight.copy_(torch.from_numpy(W.T.copy()))
            layer.bias.copy_(torch.from_numpy(b))
    model = torch.nn.Sequential(layers[0], torch.nn.Tanh(), layers[1])
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()
    t_opt = torch.optim.Adam(model.parameters(), lr=0.01)
    opt = Adam(0.01)

    # the two compute the same loss from the same weights
    batch = orders[0][:BATCH]
    ours = net.loss(X[batch], y[batch])
    with torch.no_grad():
        theirs = loss_fn(model(Xt[batch]), yt[batch]).item()
    assert abs(ours - theirs) < 1e-10, (ours, theirs)

    def numpy_epoch(order):
        for begin in range(0, len(X), BATCH):
            b = order[begin:begin + BATCH]
            _, grads = net.loss_and_grads(X[b], y[b])
            opt.step(net.params, grads)

    def torch_epoch(order):
        index = torch.from_numpy(order)
        for begin in range(0, len(X), BATCH):
            b = index[begin:begin + BATCH]
            t_opt.zero_grad()
            loss_fn(model(Xt[b]), yt[b]).backward()
            t_opt.step()

    numpy_epoch(orders[0])  # warm-up, both
    torch_epoch(orders[0])
    ours_ms = time_calls(lambda o=o: numpy_epoch(o) for o in orders[1:])
    torch_ms = time_calls(lambda o=o: torch_epoch(o) for o in orders[1:])
    torch_p50 = float(np.median(torch_ms))
    ratio = float(np.median(ours_ms)) / torch_p50
    note = (f"lecture_lib / PyTorch = {ratio:.2f} (budget <= 1.0); PyTorch p50 "
            f"{torch_p50:.1f} ms; float64 both; torch.set_num_threads({threads}) = numpy's "
            f"BLAS threads (from the environment, else the core count)")
    if threads != 1:  # report PyTorch on one thread too: small matrices rarely gain from more
        torch.set_num_threads(1)
        one = float(np.median(time_calls(lambda o=o: torch_epoch(o) for o in orders[1:])))
        note += f"; PyTorch with 1 thread: p50 {one:.1f} ms, ratio {np.median(ours_ms) / one:.2f}"
    return [row(name, ours_ms, round(torch_p50, 1), ratio=round(ratio, 3),
                torch_p50_ms=round(torch_p50, 1), threads=threads, note=note)]


def benchmarks() -> list[dict]:
    return (surface_rows() + training_rows() + surface_cpu_rows() + training_cpu_rows()
            + epoch_rows())
