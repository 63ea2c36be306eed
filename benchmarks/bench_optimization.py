"""The optimization dashboards and one training epoch against PyTorch.

Rows:

* surface explorer: a control move -> new PNG bytes (four rules, 300 steps each);
* training explorer: a control move -> the first epoch's points in ``image.value``, and -> the
  end of the default run (Adam, η = 0.01, B = 64, 20 epochs);
* one training epoch (forward, backprop, Adam step per minibatch of 64) of lecture_lib's digits
  net against the same net, initial weights, batches and optimizer in PyTorch on CPU. The row's
  budget is PyTorch's p50, so "within budget" means lecture_lib is no slower; ``ratio`` is
  lecture_lib / PyTorch. PyTorch is optional (benchmarks/requirements.txt): without it the row
  says skipped.
"""

from __future__ import annotations

import os
import time

import numpy as np
from timing import row, skipped, time_calls

from lecture_lib.dashboards.optimization import SurfaceExplorer, TrainingExplorer
from lecture_lib.data import load_digits
from lecture_lib.optim import Adam
from lecture_lib.training import digits_net

BATCH = 64


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
    stamps: list[float] = []
    dash.image.observe(lambda change: stamps.append(time.perf_counter()), names="value")
    first = []
    moves = [(dash.eta, 0.003), (dash.eta, 0.01), (dash.rule, "SGD"), (dash.rule, "Adam"),
             (dash.beta, 0.8), (dash.beta, 0.9)]
    for widget, value in moves:
        stamps.clear()
        start = time.perf_counter()
        widget.value = value
        # stamps[0]: the cleared axes; stamps[1]: the first epoch's points
        first.append((stamps[1] - start) * 1000.0)
    assert dash.rule.value == "Adam" and dash.eta.value == 0.01 and dash.beta.value == 0.9
    # the notebook's default setting, retrained by the Train button
    full = time_calls(dash.train.click for _ in range(5))
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
    return surface_rows() + training_rows() + epoch_rows()
