"""The exercises' checks against answers students write: wrong ones fail with their hint, right
ones in other styles pass, and the ways around writing the rule fail.

Every check of the masters (exercises/source) is run in this process, the way otter runs it: the
test function of the master's test cell is called with the student's function. ``WRONG`` holds the
code a student writes when they make each mistake, with the words of the hint the public checks
must give for it; ``RIGHT`` holds correct answers in other styles than the reference solution,
which must pass every public and hidden check; ``GAMING`` holds the attempts to get the marks
without writing the rule (calling lecture_lib, replacing numpy's functions, pasting the value a
check showed). Hidden tests are run on the right answers only: they add inputs, not mistakes.
"""

from __future__ import annotations

import ast
import re
import textwrap
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest

pytestmark = pytest.mark.slow  # two answers hang on purpose: the checks stop them after 5 s

REPO = Path(__file__).resolve().parents[1]
MASTERS = sorted((REPO / "exercises" / "source").glob("*.ipynb"))


def _first_line(cell) -> str:
    source = cell.source.strip()
    return source.split("\n")[0] if source else ""


def _load() -> dict[str, dict]:
    """Question -> its reference solution source and its public and hidden test functions."""
    found, question, mode = {}, None, None
    for master in MASTERS:
        for cell in nbformat.read(master, as_version=4).cells:
            first = _first_line(cell)
            if cell.cell_type == "raw":
                if first.startswith("# BEGIN QUESTION"):
                    question = re.search(r"name:\s*(\w+)", cell.source).group(1)
                    found[question] = {"solution": None, "public": [], "hidden": []}
                elif first.startswith("# BEGIN SOLUTION"):
                    mode = "solution"
                elif first.startswith("# BEGIN TESTS"):
                    mode = "tests"
                elif first.startswith("# END"):
                    mode = None
                continue
            if cell.cell_type != "code" or mode is None:
                continue
            if mode == "solution":
                found[question]["solution"] = cell.source
                continue
            hidden = cell.source.startswith('""" # BEGIN TEST CONFIG') and "hidden: true" in (
                cell.source.split("# END TEST CONFIG")[0])
            tree = ast.parse(cell.source)
            defs = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
            namespace: dict = {}
            exec(compile(ast.Module(body=defs, type_ignores=[]), f"<test {question}>", "exec"),
                 namespace)
            found[question]["hidden" if hidden else "public"].append(namespace[defs[0].name])
    return found


QUESTIONS = _load()


def _numpy_state() -> list[tuple[object, dict]]:
    return [(module, dict(vars(module))) for module in (np, np.testing, np.random)]


def _answer(question: str, source: str):
    """The student's function, defined as a notebook cell would (np in the namespace)."""
    reference = {}
    exec(QUESTIONS[question]["solution"], {"np": np}, reference)
    namespace = {"np": np, "REFERENCE": reference[question]}
    exec(compile(textwrap.dedent(source), f"<answer to {question}>", "exec"), namespace)
    return namespace.get(question)


def _messages(question: str, source: str, kind: str = "public") -> list[str | None]:
    """The message of each check of ``kind`` on this answer (None: passed). Numpy is put back
    afterwards, as a restarted kernel would have it."""
    saved = _numpy_state()
    try:
        function = _answer(question, source)
        results = []
        for test in QUESTIONS[question][kind]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a student's overflow is theirs, not ours
                try:
                    test(function)
                    results.append(None)
                except AssertionError as error:
                    results.append(str(error))
        return results
    finally:
        for module, attributes in saved:  # names numpy added lazily (np.char) stay
            for key, value in attributes.items():
                if vars(module).get(key) is not value:
                    setattr(module, key, value)


# (question, what the student did, their code, words of the hint the public checks must give)
WRONG = [
    # ---- init_weights
    ("init_weights", "He's variance for Xavier", """
        def init_weights(scheme, d_in, d_out, rng):
            if scheme == "zeros":
                return np.zeros((d_in, d_out))
            if scheme in ("xavier", "he"):
                return rng.standard_normal((d_in, d_out)) * np.sqrt(2 / d_in)
            raise ValueError(scheme)
        """, "2/d_in is He's variance"),
    ("init_weights", "variance instead of standard deviation", """
        def init_weights(scheme, d_in, d_out, rng):
            if scheme == "zeros":
                return np.zeros((d_in, d_out))
            var = {"xavier": 2 / (d_in + d_out), "he": 2 / d_in}[scheme]
            return rng.standard_normal((d_in, d_out)) * var
        """, "instead of the standard deviation"),
    ("init_weights", "transposed", """
        def init_weights(scheme, d_in, d_out, rng):
            if scheme == "zeros":
                return np.zeros((d_out, d_in))
            var = {"xavier": 2 / (d_in + d_out), "he": 2 / d_in}[scheme]
            return rng.standard_normal((d_out, d_in)) * np.sqrt(var)
        """, "transposed"),
    ("init_weights", "uniform with the right variance", """
        def init_weights(scheme, d_in, d_out, rng):
            if scheme == "zeros":
                return np.zeros((d_in, d_out))
            var = {"xavier": 2 / (d_in + d_out), "he": 2 / d_in}[scheme]
            limit = np.sqrt(3 * var)
            return rng.uniform(-limit, limit, (d_in, d_out))
        """, "a Gaussian has 4.6 %"),
    ("init_weights", "an unknown scheme gives zeros", """
        def init_weights(scheme, d_in, d_out, rng):
            if scheme == "xavier":
                return rng.standard_normal((d_in, d_out)) * np.sqrt(2 / (d_in + d_out))
            if scheme == "he":
                return rng.standard_normal((d_in, d_out)) * np.sqrt(2 / d_in)
            return np.zeros((d_in, d_out))
        """, "an unknown scheme must raise ValueError"),
    ("init_weights", "numpy's global generator", """
        def init_weights(scheme, d_in, d_out, rng):
            if scheme == "zeros":
                return np.zeros((d_in, d_out))
            var = {"xavier": 2 / (d_in + d_out), "he": 2 / d_in}[scheme]
            return np.random.randn(d_in, d_out) * np.sqrt(var)
        """, "draw from the rng argument"),
    ("init_weights", "rng.random, uniform on [0, 1)", """
        def init_weights(scheme, d_in, d_out, rng):
            if scheme == "zeros":
                return np.zeros((d_in, d_out))
            var = {"xavier": 2 / (d_in + d_out), "he": 2 / d_in}[scheme]
            return rng.random((d_in, d_out)) * np.sqrt(var)
        """, "rng.random() is uniform"),
    ("init_weights", "He with 1/d_in", """
        def init_weights(scheme, d_in, d_out, rng):
            if scheme == "zeros":
                return np.zeros((d_in, d_out))
            var = {"xavier": 2 / (d_in + d_out), "he": 1 / d_in}[scheme]
            return rng.standard_normal((d_in, d_out)) * np.sqrt(var)
        """, "half the target"),
    # ---- predicted_variances
    ("predicted_variances", "fan-out d^(l)", """
        def predicted_variances(var_x0, widths, var_w, activation):
            moment, out = var_x0, []
            for d, v in zip(widths[1:], var_w):
                out.append(d * v * moment)
                moment = out[-1] * (0.5 if activation == "relu" else 1)
            return np.array(out)
        """, "instead of d^(l-1)"),
    ("predicted_variances", "no 1/2 for ReLU", """
        def predicted_variances(var_x0, widths, var_w, activation):
            moment, out = var_x0, []
            for d, v in zip(widths[:-1], var_w):
                out.append(d * v * moment)
                moment = out[-1]
            return np.array(out)
        """, "did you forget the 1/2"),
    ("predicted_variances", "1/2 on the input too", """
        def predicted_variances(var_x0, widths, var_w, activation):
            half = 0.5 if activation == "relu" else 1.0
            moment, out = half * var_x0, []
            for d, v in zip(widths[:-1], var_w):
                out.append(d * v * moment)
                moment = half * out[-1]
            return np.array(out)
        """, "x^(0) is the input"),
    ("predicted_variances", "var(x^(0)) returned first", """
        def predicted_variances(var_x0, widths, var_w, activation):
            out = [var_x0]
            moment = var_x0
            for d, v in zip(widths[:-1], var_w):
                out.append(d * v * moment)
                moment = out[-1] * (0.5 if activation == "relu" else 1)
            return np.array(out)
        """, "the first value is your var(x^(0))"),
    ("predicted_variances", "a generator", """
        def predicted_variances(var_x0, widths, var_w, activation):
            moment = var_x0
            for d, v in zip(widths[:-1], var_w):
                s = d * v * moment
                yield s
                moment = s * (0.5 if activation == "relu" else 1)
        """, "is a generator: return an array"),
    ("predicted_variances", "a string", """
        def predicted_variances(var_x0, widths, var_w, activation):
            moment, out = var_x0, []
            for d, v in zip(widths[:-1], var_w):
                out.append(d * v * moment)
                moment = out[-1] * (0.5 if activation == "relu" else 1)
            return ", ".join(f"{s:.3g}" for s in out)
        """, "is a string, not numbers"),
    ("predicted_variances", "1/2 for tanh", """
        def predicted_variances(var_x0, widths, var_w, activation):
            moment, out = var_x0, []
            for d, v in zip(widths[:-1], var_w):
                out.append(d * v * moment)
                moment = 0.5 * out[-1]
            return np.array(out)
        """, "for tanh, E(x^2) = var(s)"),
    # ---- minibatches
    ("minibatches", "an empty last batch when B divides N", """
        def minibatches(N, B, rng):
            order = rng.permutation(N)
            return [order[k * B:(k + 1) * B] for k in range(N // B + 1)]
        """, "your last batch is empty"),
    ("minibatches", "the rest dropped", """
        def minibatches(N, B, rng):
            order = rng.permutation(N)
            return [order[k * B:(k + 1) * B] for k in range(N // B)]
        """, "the last samples are missing"),
    ("minibatches", "with replacement", """
        def minibatches(N, B, rng):
            sizes = [B] * (N // B) + ([N % B] if N % B else [])
            return [rng.integers(0, N, size) for size in sizes]
        """, "appear more than once"),
    ("minibatches", "never shuffled", """
        def minibatches(N, B, rng):
            order = np.arange(N)
            return [order[k:k + B] for k in range(0, N, B)]
        """, "come in the order 0, 1, 2"),
    ("minibatches", "numpy's global generator", """
        def minibatches(N, B, rng):
            order = np.random.permutation(N)
            return [order[k:k + B] for k in range(0, N, B)]
        """, "draw from the rng argument"),
    ("minibatches", "np.array_split", """
        def minibatches(N, B, rng):
            return np.array_split(rng.permutation(N), -(-N // B))
        """, "np.array_split"),
    ("minibatches", "the rest first", """
        def minibatches(N, B, rng):
            order = rng.permutation(N)
            rest = N % B
            return ([order[:rest]] if rest else []) + [order[k:k + B] for k in range(rest, N, B)]
        """, "the smaller batch (the rest) comes last"),
    # ---- running_average
    ("running_average", "in-place aliasing", """
        def running_average(deltas, beta):
            v = np.zeros(deltas.shape[1:])
            out = []
            for delta in deltas:
                v *= beta
                v += (1 - beta) * delta
                out.append(v)
            return np.array(out)
        """, "changed it in place"),
    ("running_average", "AdaGrad-style accumulation", """
        def running_average(deltas, beta):
            return np.cumsum(deltas, axis=0)
        """, "adds up all gradients"),
    ("running_average", "starts at Delta_1", """
        def running_average(deltas, beta):
            v, out = deltas[0], []
            for delta in deltas:
                v = beta * v + (1 - beta) * delta
                out.append(v)
            out = [deltas[0]] + out[1:]
            return np.array(out)
        """, "v_1 = Delta_1"),
    ("running_average", "d2l's momentum", """
        def running_average(deltas, beta):
            v, out = 0, []
            for delta in deltas:
                v = beta * v + delta
                out.append(v)
            return np.array(out)
        """, "d2l / PyTorch"),
    ("running_average", "weights swapped", """
        def running_average(deltas, beta):
            v, out = 0, []
            for delta in deltas:
                v = (1 - beta) * v + beta * delta
                out.append(v)
            return np.array(out)
        """, "the weights are swapped"),
    ("running_average", "uniform mean", """
        def running_average(deltas, beta):
            t = np.arange(1, len(deltas) + 1).reshape((-1,) + (1,) * (deltas.ndim - 1))
            return np.cumsum(deltas, axis=0) / t
        """, "plain mean"),
    ("running_average", "Adam's bias correction", """
        def running_average(deltas, beta):
            v, out = 0, []
            for t, delta in enumerate(deltas, start=1):
                v = beta * v + (1 - beta) * delta
                out.append(v / (1 - beta**t))
            return np.array(out)
        """, "Adam's bias correction"),
    ("running_average", "stored before the update", """
        def running_average(deltas, beta):
            v, out = np.zeros(deltas.shape[1:]), []
            for delta in deltas:
                out.append(v)
                v = beta * v + (1 - beta) * delta
            return np.array(out)
        """, "your rows are v_0"),
    ("running_average", "only v_T", """
        def running_average(deltas, beta):
            v = 0
            for delta in deltas:
                v = beta * v + (1 - beta) * delta
            return v
        """, "return every v_1, ..., v_T"),
    ("running_average", "a while loop without t += 1", """
        def running_average(deltas, beta):
            v, out, t = 0, [], 0
            while t < len(deltas):
                v = beta * v + (1 - beta) * deltas[t]
                out.append(v)
            return np.array(out)
        """, "a loop that never ends"),
    ("running_average", "a dict", """
        def running_average(deltas, beta):
            v, out = 0, {}
            for t, delta in enumerate(deltas, start=1):
                v = beta * v + (1 - beta) * delta
                out[t] = v
            return out
        """, "is a dict"),
    # ---- momentum_step
    ("momentum_step", "only w returned", """
        def momentum_step(w, delta, v, eta, beta):
            v = beta * v + (1 - beta) * delta
            return w - eta * v
        """, "return the 2 values (w_t, v_t)"),
    ("momentum_step", "d2l's convention", """
        def momentum_step(w, delta, v, eta, beta):
            v = beta * v + delta
            return w - eta * v, v
        """, "d2l / PyTorch convention"),
    ("momentum_step", "cs231n's classical momentum", """
        def momentum_step(w, delta, v, eta, beta):
            v = beta * v - eta * delta
            return w + v, v
        """, "cs231n's momentum"),
    ("momentum_step", "weights swapped", """
        def momentum_step(w, delta, v, eta, beta):
            v = (1 - beta) * v + beta * delta
            return w - eta * v, v
        """, "beta multiplies the history"),
    ("momentum_step", "uphill", """
        def momentum_step(w, delta, v, eta, beta):
            v = beta * v + (1 - beta) * delta
            return w + eta * v, v
        """, "w moved uphill"),
    ("momentum_step", "steps with v_(t-1)", """
        def momentum_step(w, delta, v, eta, beta):
            w = w - eta * v
            v = beta * v + (1 - beta) * delta
            return w, v
        """, "you used v_(t-1)"),
    ("momentum_step", "(v, w) returned", """
        def momentum_step(w, delta, v, eta, beta):
            v = beta * v + (1 - beta) * delta
            return v, w - eta * v
        """, "in the order (w_t, v_t)"),
    # ---- rmsprop_step
    ("rmsprop_step", "eps outside the square root", """
        def rmsprop_step(w, delta, u, eta, beta, eps):
            u = beta * u + (1 - beta) * delta**2
            return w - eta / (np.sqrt(u) + eps) * delta, u
        """, "PyTorch's form"),
    ("rmsprop_step", "no square root", """
        def rmsprop_step(w, delta, u, eta, beta, eps):
            u = beta * u + (1 - beta) * delta**2
            return w - eta / (u + eps) * delta, u
        """, "not by u_t + eps"),
    ("rmsprop_step", "averages Delta", """
        def rmsprop_step(w, delta, u, eta, beta, eps):
            u = beta * u + (1 - beta) * delta
            return w - eta / np.sqrt(np.abs(u) + eps) * delta, u
        """, "u averages the squares"),
    ("rmsprop_step", "AdaGrad-style accumulation", """
        def rmsprop_step(w, delta, u, eta, beta, eps):
            u = u + delta * delta
            return w - eta / np.sqrt(u + eps) * delta, u
        """, "(AdaGrad)"),
    ("rmsprop_step", "divides by u_(t-1)", """
        def rmsprop_step(w, delta, u, eta, beta, eps):
            w = w - eta / np.sqrt(u + eps) * delta
            return w, beta * u + (1 - beta) * delta**2
        """, "you divided by u_(t-1)"),
    ("rmsprop_step", "only w returned", """
        def rmsprop_step(w, delta, u, eta, beta, eps):
            u = beta * u + (1 - beta) * delta**2
            return w - eta / np.sqrt(u + eps) * delta
        """, "return the 2 values (w_t, u_t)"),
    # ---- adam_step
    ("adam_step", "eps outside the square root", """
        def adam_step(w, delta, v, u, t, eta, beta1=0.9, beta2=0.999, eps=1e-8):
            v = beta1 * v + (1 - beta1) * delta
            u = beta2 * u + (1 - beta2) * delta**2
            v_hat, u_hat = v / (1 - beta1**t), u / (1 - beta2**t)
            return w - eta / (np.sqrt(u_hat) + eps) * v_hat, v, u
        """, "eps sits inside the square root"),
    ("adam_step", "beta^(t+1) in the correction", """
        def adam_step(w, delta, v, u, t, eta, beta1=0.9, beta2=0.999, eps=1e-8):
            v = beta1 * v + (1 - beta1) * delta
            u = beta2 * u + (1 - beta2) * delta**2
            v_hat, u_hat = v / (1 - beta1 ** (t + 1)), u / (1 - beta2 ** (t + 1))
            return w - eta / np.sqrt(u_hat + eps) * v_hat, v, u
        """, "1 - beta^(t+1)"),
    ("adam_step", "no bias correction", """
        def adam_step(w, delta, v, u, t, eta, beta1=0.9, beta2=0.999, eps=1e-8):
            v = beta1 * v + (1 - beta1) * delta
            u = beta2 * u + (1 - beta2) * delta**2
            return w - eta / np.sqrt(u + eps) * v, v, u
        """, "bias correction missing"),
    ("adam_step", "only v corrected", """
        def adam_step(w, delta, v, u, t, eta, beta1=0.9, beta2=0.999, eps=1e-8):
            v = beta1 * v + (1 - beta1) * delta
            u = beta2 * u + (1 - beta2) * delta**2
            return w - eta / np.sqrt(u + eps) * v / (1 - beta1**t), v, u
        """, "you corrected v_t but not u_t"),
    ("adam_step", "corrected averages returned", """
        def adam_step(w, delta, v, u, t, eta, beta1=0.9, beta2=0.999, eps=1e-8):
            v = (beta1 * v + (1 - beta1) * delta) / (1 - beta1**t)
            u = (beta2 * u + (1 - beta2) * delta**2) / (1 - beta2**t)
            return w - eta / np.sqrt(u + eps) * v, v, u
        """, "return the uncorrected v_t and u_t"),
    ("adam_step", "the default betas hard-coded", """
        def adam_step(w, delta, v, u, t, eta, beta1=0.9, beta2=0.999, eps=1e-8):
            v = 0.9 * v + 0.1 * delta
            u = 0.999 * u + 0.001 * delta**2
            v_hat, u_hat = v / (1 - 0.9**t), u / (1 - 0.999**t)
            return w - eta / np.sqrt(u_hat + eps) * v_hat, v, u
        """, "instead of the arguments beta1 and beta2"),
    ("adam_step", "betas swapped", """
        def adam_step(w, delta, v, u, t, eta, beta1=0.9, beta2=0.999, eps=1e-8):
            v = beta2 * v + (1 - beta2) * delta
            u = beta1 * u + (1 - beta1) * delta**2
            v_hat, u_hat = v / (1 - beta2**t), u / (1 - beta1**t)
            return w - eta / np.sqrt(u_hat + eps) * v_hat, v, u
        """, "beta1 and beta2 are swapped"),
    ("adam_step", "steps counted from 0", """
        def adam_step(w, delta, v, u, t, eta, beta1=0.9, beta2=0.999, eps=1e-8):
            v = beta1 * v + (1 - beta1) * delta
            u = beta2 * u + (1 - beta2) * delta**2
            v_hat, u_hat = v / (1 - beta1 ** (t - 1)), u / (1 - beta2 ** (t - 1))
            return w - eta / np.sqrt(u_hat + eps) * v_hat, v, u
        """, "not finite"),
    # ---- dropout_forward
    ("dropout_forward", "p as the keep probability", """
        def dropout_forward(x, p, rng, train=True):
            if not train:
                return x, None
            mask = rng.random(x.shape) < p
            return x * mask / p, mask
        """, "p is the probability to DROP"),
    ("dropout_forward", "no scaling", """
        def dropout_forward(x, p, rng, train=True):
            if not train:
                return x, None
            mask = rng.random(x.shape) >= p
            return x * mask, mask
        """, "forgot the 1/(1 - p) scaling"),
    ("dropout_forward", "multiplied by 1 - p", """
        def dropout_forward(x, p, rng, train=True):
            if not train:
                return x, None
            mask = rng.random(x.shape) >= p
            return x * mask * (1 - p), mask
        """, "you multiplied by 1 - p"),
    ("dropout_forward", "only out returned", """
        def dropout_forward(x, p, rng, train=True):
            if not train:
                return x
            return x * (rng.random(x.shape) >= p) / (1 - p)
        """, "return the 2 values (out, mask)"),
    ("dropout_forward", "plain dropout at test time", """
        def dropout_forward(x, p, rng, train=True):
            if not train:
                return x * (1 - p), None
            mask = rng.random(x.shape) >= p
            return x * mask / (1 - p), mask
        """, "belongs to plain dropout"),
    ("dropout_forward", "cs231n's scaled mask", """
        def dropout_forward(x, p, rng, train=True):
            if not train:
                return x, None
            mask = (rng.random(x.shape) >= p) / (1 - p)
            return x * mask, mask
        """, "you stored the scaled mask"),
    ("dropout_forward", "one draw per column", """
        def dropout_forward(x, p, rng, train=True):
            if not train:
                return x, None
            mask = rng.random(x.shape[1]) >= p
            return x * mask / (1 - p), mask
        """, "one draw per unit of every row"),
    ("dropout_forward", "numpy's global generator", """
        def dropout_forward(x, p, rng, train=True):
            if not train:
                return x, None
            mask = np.random.rand(*x.shape) >= p
            return x * mask / (1 - p), mask
        """, "draw from the rng argument"),
    # ---- numerical_gradient
    ("numerical_gradient", "all entries at once", """
        def numerical_gradient(f, x, h=1e-5):
            return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))
        """, "every estimate is the same number"),
    ("numerical_gradient", "forward differences", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                old = x[i]
                f0 = f(x)
                x[i] = old + h
                grad[i] = (f(x) - f0) / h
                x[i] = old
            return grad
        """, "forward difference"),
    ("numerical_gradient", "divided by h", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + h
                plus = f(x)
                x[i] = old - h
                grad[i] = (plus - f(x)) / h
                x[i] = old
            return grad
        """, "twice too large"),
    ("numerical_gradient", "x not restored", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                x[i] += h
                plus = f(x)
                x[i] -= 2 * h
                grad[i] = (plus - f(x)) / (2 * h)
            return grad
        """, "numerical_gradient changed x"),
    ("numerical_gradient", "a float32 gradient", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape, dtype=np.float32)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + h
                plus = f(x)
                x[i] = old - h
                grad[i] = (plus - f(x)) / (2 * h)
                x[i] = old
            return grad
        """, "precision of float32"),
    ("numerical_gradient", "a row at a time", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            for i in range(len(x)):
                old = x[i].copy()
                x[i] = old + h
                plus = f(x)
                x[i] = old - h
                grad[i] = (plus - f(x)) / (2 * h)
                x[i] = old
            return grad
        """, "moves a whole row"),
    ("numerical_gradient", "a copy of x changed", """
        def numerical_gradient(f, x, h=1e-5):
            flat, grad = x.flatten(), np.zeros(x.size)
            for i in range(x.size):
                old = flat[i]
                flat[i] = old + h
                plus = f(x)
                flat[i] = old - h
                grad[i] = (plus - f(x)) / (2 * h)
                flat[i] = old
            return grad.reshape(x.shape)
        """, "f never saw your change"),
    ("numerical_gradient", "h ignored", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + 1e-5
                plus = f(x)
                x[i] = old - 1e-5
                grad[i] = (plus - f(x)) / 2e-5
                x[i] = old
            return grad
        """, "did you use the h argument"),
    # ---- dropout_backward
    ("dropout_backward", "a new mask drawn", """
        def dropout_backward(dout, mask, p):
            mask = np.random.default_rng(0).random(dout.shape) >= p
            return dout * mask / (1 - p)
        """, "did you draw a new mask"),
    ("dropout_backward", "no 1/(1 - p)", """
        def dropout_backward(dout, mask, p):
            return dout * mask
        """, "forgot the 1/(1 - p)"),
    ("dropout_backward", "no mask", """
        def dropout_backward(dout, mask, p):
            return dout / (1 - p)
        """, "dropped units got a gradient"),
    ("dropout_backward", "times 1 - p", """
        def dropout_backward(dout, mask, p):
            return dout * mask * (1 - p)
        """, "you multiplied by 1 - p"),
    ("dropout_backward", "the mask inverted", """
        def dropout_backward(dout, mask, p):
            return dout * ~mask / (1 - p)
        """, "the mask is True for KEPT units"),
    ("dropout_backward", "divided by p", """
        def dropout_backward(dout, mask, p):
            return dout * mask / p
        """, "you divided by p"),
    # ---- early_stopping
    ("early_stopping", "compares with the previous epoch", """
        def early_stopping(train_epoch, validation_loss, params, max_epochs, patience):
            losses = [validation_loss()]
            best_epoch, best, since = 0, [w.copy() for w in params], 0
            for epoch in range(1, max_epochs + 1):
                train_epoch()
                losses.append(validation_loss())
                if losses[-1] < losses[-2]:
                    best_epoch, best, since = epoch, [w.copy() for w in params], 0
                else:
                    since += 1
                    if since == patience:
                        break
            for w, saved in zip(params, best):
                w[...] = saved
            return best_epoch, losses
        """, "compare each loss with the BEST so far"),
    ("early_stopping", "restores only when patience runs out", """
        def early_stopping(train_epoch, validation_loss, params, max_epochs, patience):
            losses = [validation_loss()]
            best_epoch, best = 0, [w.copy() for w in params]
            for epoch in range(1, max_epochs + 1):
                train_epoch()
                losses.append(validation_loss())
                if losses[epoch] < losses[best_epoch]:
                    best_epoch, best = epoch, [w.copy() for w in params]
                elif epoch - best_epoch == patience:
                    for w, saved in zip(params, best):
                        w[...] = saved
                    break
            return best_epoch, losses
        """, "max_epochs ended the training"),
    ("early_stopping", "references saved, not copies", """
        def early_stopping(train_epoch, validation_loss, params, max_epochs, patience):
            losses = [validation_loss()]
            best_epoch, best = 0, list(params)
            for epoch in range(1, max_epochs + 1):
                train_epoch()
                losses.append(validation_loss())
                if losses[epoch] < losses[best_epoch]:
                    best_epoch, best = epoch, list(params)
                elif epoch - best_epoch == patience:
                    break
            for w, saved in zip(params, best):
                w[...] = saved
            return best_epoch, losses
        """, "save references instead of copies"),
    ("early_stopping", "params rebound, not written back", """
        def early_stopping(train_epoch, validation_loss, params, max_epochs, patience):
            losses = [validation_loss()]
            best_epoch, best = 0, [w.copy() for w in params]
            for epoch in range(1, max_epochs + 1):
                train_epoch()
                losses.append(validation_loss())
                if losses[epoch] < losses[best_epoch]:
                    best_epoch, best = epoch, [w.copy() for w in params]
                elif epoch - best_epoch == patience:
                    break
            params[:] = best
            return best_epoch, losses
        """, "write the weights back in place"),
    ("early_stopping", "no epoch 0 (the untrained network)", """
        def early_stopping(train_epoch, validation_loss, params, max_epochs, patience):
            losses, best_epoch, best = [], None, None
            for epoch in range(max_epochs):
                train_epoch()
                losses.append(validation_loss())
                if best_epoch is None or losses[-1] < losses[best_epoch]:
                    best_epoch, best = epoch, [w.copy() for w in params]
                elif epoch - best_epoch >= patience:
                    break
            for w, saved in zip(params, best):
                w[...] = saved
            return best_epoch, losses
        """, "losses[0] is the untrained network"),
    ("early_stopping", "ties count as better", """
        def early_stopping(train_epoch, validation_loss, params, max_epochs, patience):
            losses = [validation_loss()]
            best_epoch, best = 0, [w.copy() for w in params]
            for epoch in range(1, max_epochs + 1):
                train_epoch()
                losses.append(validation_loss())
                if losses[epoch] <= losses[best_epoch]:
                    best_epoch, best = epoch, [w.copy() for w in params]
                elif epoch - best_epoch == patience:
                    break
            for w, saved in zip(params, best):
                w[...] = saved
            return best_epoch, losses
        """, "use a strict <"),
    ("early_stopping", "never stops", """
        def early_stopping(train_epoch, validation_loss, params, max_epochs, patience):
            losses = [validation_loss()]
            best_epoch, best = 0, [w.copy() for w in params]
            for epoch in range(1, max_epochs + 1):
                train_epoch()
                losses.append(validation_loss())
                if losses[epoch] < losses[best_epoch]:
                    best_epoch, best = epoch, [w.copy() for w in params]
            for w, saved in zip(params, best):
                w[...] = saved
            return best_epoch, losses
        """, "you never stopped"),
    ("early_stopping", "one epoch too many", """
        def early_stopping(train_epoch, validation_loss, params, max_epochs, patience):
            losses = [validation_loss()]
            best_epoch, best = 0, [w.copy() for w in params]
            for epoch in range(1, max_epochs + 1):
                train_epoch()
                losses.append(validation_loss())
                if losses[epoch] < losses[best_epoch]:
                    best_epoch, best = epoch, [w.copy() for w in params]
                elif epoch - best_epoch > patience:
                    break
            for w, saved in zip(params, best):
                w[...] = saved
            return best_epoch, losses
        """, "one too many"),
    ("early_stopping", "a while loop without epoch += 1", """
        def early_stopping(train_epoch, validation_loss, params, max_epochs, patience):
            losses = [validation_loss()]
            best_epoch, best, epoch = 0, [w.copy() for w in params], 0
            while epoch < max_epochs and epoch - best_epoch < patience:
                train_epoch()
                losses.append(validation_loss())
            for w, saved in zip(params, best):
                w[...] = saved
            return best_epoch, losses
        """, "a loop that never ends"),
]

# (question, style, code): correct answers unlike the reference solution
RIGHT = [
    ("init_weights", "rng.normal and a dict", """
        def init_weights(scheme, d_in, d_out, rng):
            variances = {"zeros": 0.0, "xavier": 2 / (d_in + d_out), "he": 2 / d_in}
            if scheme not in variances:
                raise ValueError(f"scheme must be one of {sorted(variances)}")
            return rng.normal(0.0, np.sqrt(variances[scheme]), size=(d_in, d_out))
        """),
    ("init_weights", "float32 and match", """
        def init_weights(scheme, d_in, d_out, rng):
            match scheme:
                case "zeros":
                    return np.zeros((d_in, d_out), dtype=np.float32)
                case "xavier":
                    std = (2 / (d_in + d_out)) ** 0.5
                case "he":
                    std = (2 / d_in) ** 0.5
                case _:
                    raise ValueError(scheme)
            return std * rng.standard_normal((d_in, d_out), dtype=np.float32)
        """),
    ("predicted_variances", "vectorised with cumprod", """
        def predicted_variances(var_x0, widths, var_w, activation):
            half = 0.5 if activation == "relu" else 1.0
            factors = np.asarray(widths[:-1], dtype=float) * np.asarray(var_w, dtype=float)
            steps = factors * np.r_[1.0, np.full(len(factors) - 1, half)]
            return var_x0 * np.cumprod(steps)
        """),
    ("predicted_variances", "a list and an index loop", """
        def predicted_variances(var_x0, widths, var_w, activation):
            out = []
            for l in range(len(var_w)):
                second = var_x0 if l == 0 else (out[-1] / 2 if activation == "relu" else out[-1])
                out.append(widths[l] * var_w[l] * second)
            return out
        """),
    ("minibatches", "a generator", """
        def minibatches(N, B, rng):
            order = rng.permutation(N)
            start = 0
            while start < N:
                yield order[start:start + B]
                start += B
        """),
    ("minibatches", "np.split at the cuts", """
        def minibatches(N, B, rng):
            return np.split(rng.permutation(N), np.arange(B, N, B))
        """),
    ("minibatches", "shuffle in place", """
        def minibatches(N, B, rng):
            idx = list(range(N))
            rng.shuffle(idx)
            return [idx[i:i + B] for i in range(0, N, B)]
        """),
    ("running_average", "a preallocated array, in place", """
        def running_average(deltas, beta):
            out = np.empty(np.shape(deltas))
            v = np.zeros(np.shape(deltas)[1:])
            for t in range(len(deltas)):
                v *= beta
                v += (1 - beta) * deltas[t]
                out[t] = v
            return out
        """),
    ("running_average", "the unrolled sum", """
        def running_average(deltas, beta):
            deltas = np.asarray(deltas, dtype=float)
            out = []
            for t in range(1, len(deltas) + 1):
                weights = (1 - beta) * beta ** np.arange(t - 1, -1, -1)
                out.append(np.tensordot(weights, deltas[:t], axes=1))
            return np.array(out)
        """),
    ("running_average", "float32", """
        def running_average(deltas, beta):
            d = np.asarray(deltas, dtype=np.float32)
            v = np.zeros_like(d[0])
            out = []
            for delta in d:
                v = np.float32(beta) * v + np.float32(1 - beta) * delta
                out.append(v)
            return np.stack(out)
        """),
    ("momentum_step", "in place", """
        def momentum_step(w, delta, v, eta, beta):
            v *= beta
            v += (1 - beta) * delta
            w -= eta * v
            return w, v
        """),
    ("momentum_step", "a list, float32", """
        def momentum_step(w, delta, v, eta, beta):
            v = (beta * v + (1 - beta) * delta).astype(np.float32)
            return [w - eta * v, v]
        """),
    ("rmsprop_step", "np.square and np.divide", """
        def rmsprop_step(w, delta, u, eta, beta, eps):
            u_t = beta * u + (1 - beta) * np.square(delta)
            return w - np.divide(eta * delta, np.sqrt(u_t + eps)), u_t
        """),
    ("rmsprop_step", "in place", """
        def rmsprop_step(w, delta, u, eta, beta, eps):
            u *= beta
            u += (1 - beta) * delta * delta
            w -= eta * delta / (u + eps) ** 0.5
            return w, u
        """),
    ("adam_step", "in place, corrections named", """
        def adam_step(w, delta, v, u, t, eta, beta1=0.9, beta2=0.999, eps=1e-8):
            v *= beta1
            v += (1 - beta1) * delta
            u *= beta2
            u += (1 - beta2) * delta**2
            correction1, correction2 = 1 - beta1**t, 1 - beta2**t
            w -= eta * (v / correction1) / np.sqrt(u / correction2 + eps)
            return w, v, u
        """),
    ("adam_step", "float32", """
        def adam_step(w, delta, v, u, t, eta, beta1=0.9, beta2=0.999, eps=1e-8):
            f = np.float32
            v = f(beta1) * v.astype(f) + f(1 - beta1) * delta.astype(f)
            u = f(beta2) * u.astype(f) + f(1 - beta2) * delta.astype(f) ** 2
            w = w - f(eta) * (v / f(1 - beta1**t)) / np.sqrt(u / f(1 - beta2**t) + f(eps))
            return w, v, u
        """),
    ("dropout_forward", "uniform draw, a float mask", """
        def dropout_forward(x, p, rng, train=True):
            if train:
                mask = (rng.uniform(size=x.shape) > p).astype(float)
                return x * mask / (1 - p), mask
            return x, None
        """),
    ("dropout_forward", "np.where", """
        def dropout_forward(x, p, rng, train=True):
            if not train:
                return x, None
            keep = rng.random(x.shape) >= p
            return np.where(keep, x / (1 - p), 0.0), keep
        """),
    ("numerical_gradient", "x restored by arithmetic", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros_like(x, dtype=float)
            for i in np.ndindex(x.shape):
                x[i] += h
                plus = f(x)
                x[i] -= 2 * h
                minus = f(x)
                x[i] += h
                grad[i] = (plus - minus) / (2 * h)
            return grad
        """),
    ("numerical_gradient", "np.nditer", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            it = np.nditer(x, flags=["multi_index"])
            while not it.finished:
                i = it.multi_index
                old = x[i]
                x[i] = old + h
                plus = f(x)
                x[i] = old - h
                grad[i] = (plus - f(x)) / (2 * h)
                x[i] = old
                it.iternext()
            return grad
        """),
    ("numerical_gradient", "a flat view", """
        def numerical_gradient(f, x, h=1e-5):
            flat, grad = x.reshape(-1), np.zeros(x.size)
            for k in range(x.size):
                old = flat[k]
                flat[k] = old + h
                plus = f(x)
                flat[k] = old - h
                grad[k] = (plus - f(x)) / (2 * h)
                flat[k] = old
            return grad.reshape(x.shape)
        """),
    ("dropout_backward", "np.where", """
        def dropout_backward(dout, mask, p):
            return np.where(mask, dout / (1 - p), 0.0)
        """),
    ("dropout_backward", "a float mask and a scale", """
        def dropout_backward(dout, mask, p):
            scale = 1.0 / (1.0 - p)
            return dout * mask.astype(dout.dtype) * scale
        """),
    ("early_stopping", "a for loop, deepcopy, np.copyto", """
        import copy

        def early_stopping(train_epoch, validation_loss, params, max_epochs, patience):
            losses = [validation_loss()]
            best_epoch, best = 0, copy.deepcopy(params)
            for epoch in range(1, max_epochs + 1):
                train_epoch()
                losses.append(validation_loss())
                if losses[-1] < min(losses[:-1]):
                    best_epoch, best = epoch, copy.deepcopy(params)
                if epoch - best_epoch >= patience:
                    break
            for w, saved in zip(params, best):
                np.copyto(w, saved)
            return best_epoch, losses
        """),
    ("early_stopping", "a counter of bad epochs", """
        def early_stopping(train_epoch, validation_loss, params, max_epochs, patience):
            losses = [float(validation_loss())]
            best_loss, best_epoch = losses[0], 0
            saved = [np.array(w) for w in params]
            bad = 0
            for epoch in range(1, max_epochs + 1):
                if bad == patience:
                    break
                train_epoch()
                loss = float(validation_loss())
                losses.append(loss)
                if loss < best_loss:
                    best_loss, best_epoch, bad = loss, epoch, 0
                    saved = [np.array(w) for w in params]
                else:
                    bad += 1
            for w, s in zip(params, saved):
                w[:] = s
            return best_epoch, losses
        """),
]

# ways around writing the rule: (question, what, code, words of the failing check)
GAMING = [
    ("init_weights", "delegates to lecture_lib", """
        def init_weights(scheme, d_in, d_out, rng):
            from lecture_lib.init import init_weights as theirs
            return theirs(scheme, d_in, d_out, rng=rng)
        """, "calls lecture_lib"),
    ("running_average", "delegates to lecture_lib", """
        from lecture_lib.averaging import running_average as theirs

        def running_average(deltas, beta):
            return theirs(deltas, beta)
        """, "calls lecture_lib"),
    ("numerical_gradient", "delegates to lecture_lib", """
        def numerical_gradient(f, x, h=1e-5):
            from lecture_lib import checks
            return checks.numerical_gradient(lambda: f(x), x, h)
        """, "calls lecture_lib"),
    ("dropout_forward", "a mask from lecture_lib", """
        def dropout_forward(x, p, rng, train=True):
            from lecture_lib.dropout import dropout_mask
            if not train:
                return x, None
            mask = dropout_mask(x.shape, p, rng=rng).astype(bool)
            return x * mask / (1 - p), mask
        """, "calls lecture_lib"),
    ("momentum_step", "np.allclose replaced", """
        np.allclose = lambda *args, **kwargs: True

        def momentum_step(w, delta, v, eta, beta):
            return w, v
        """, "a cell replaced np.allclose"),
    ("minibatches", "np.array_equal replaced inside the answer", """
        def minibatches(N, B, rng):
            np.array_equal = lambda *args, **kwargs: True
            return [np.arange(N)]
        """, "a cell replaced np.array_equal"),
    ("dropout_backward", "np.isclose replaced by a builtin", """
        np.isclose = all

        def dropout_backward(dout, mask, p):
            return dout
        """, "a cell replaced np.isclose"),
    ("predicted_variances", "pastes the value a check showed", """
        def predicted_variances(var_x0, widths, var_w, activation, _seen=[]):
            if not _seen:
                _seen.append(REFERENCE(var_x0, widths, var_w, activation))
            return _seen[0]
        """, "want"),
    ("momentum_step", "pastes the value a check showed", """
        def momentum_step(w, delta, v, eta, beta, _seen=[]):
            if not _seen:
                _seen.append(REFERENCE(w, delta, v, eta, beta))
            return _seen[0]
        """, "want"),
    ("numerical_gradient", "pastes the value a check showed", """
        def numerical_gradient(f, x, h=1e-5, _seen=[]):
            if not _seen:
                _seen.append(REFERENCE(f, x, h))
            return _seen[0]
        """, "want"),
    ("early_stopping", "pastes the value a check showed", """
        def early_stopping(train_epoch, validation_loss, params, max_epochs, patience, _seen=[]):
            if not _seen:
                _seen.append(REFERENCE(train_epoch, validation_loss, params, max_epochs, patience))
            return _seen[0]
        """, "want"),
]


def _ids(table):
    return [f"{row[0]}: {row[1]}" for row in table]


def test_the_tables_cover_every_function():
    questions = set(QUESTIONS)
    assert len(questions) == 11, sorted(questions)
    assert len(WRONG) >= 40, len(WRONG)
    assert {q for q, *_ in WRONG} == questions
    styles = {q: sum(row[0] == q for row in RIGHT) for q in questions}
    assert min(styles.values()) >= 2, styles


@pytest.mark.parametrize(("question", "what", "source", "hint"), WRONG + GAMING,
                         ids=_ids(WRONG + GAMING))
def test_wrong_answer_fails_its_public_check_with_its_hint(question, what, source, hint):
    messages = [m for m in _messages(question, source) if m is not None]
    assert messages, f"{question}, {what}: every public check passed"
    assert any(hint in m for m in messages), (
        f"{question}, {what}: no public check says {hint!r}:\n" + "\n".join(messages))
    for message in messages:  # otter strips quotes at both ends of a message
        assert message == message.strip("'"), message


@pytest.mark.parametrize(("question", "style", "source"), RIGHT, ids=_ids(RIGHT))
def test_right_answer_in_another_style_passes_every_check(question, style, source):
    for kind in ("public", "hidden"):
        failed = [m for m in _messages(question, source, kind) if m is not None]
        assert not failed, f"{question}, {style}: a {kind} check failed:\n" + "\n".join(failed)


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_unfinished_and_undefined_functions_get_a_sentence(question):
    unanswered = f"def {question}(*args, **kwargs):\n    ...\n"
    for message in _messages(question, unanswered):
        assert message is not None and ("returned None" in message or "is None" in message), (
            message)
    for message in _messages(question, "pass\n"):  # the answer cell was never run
        assert message is not None and "run the cell that defines" in message, message
