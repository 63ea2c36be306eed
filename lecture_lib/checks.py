"""Numerical checks, as in cs231n: centred differences and relative errors in float64."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lecture_lib import validate


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(1e-8, |a| + |b|), elementwise, as in cs231n."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(f: Callable[[], float], w: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred differences (f(w + h e_i) - f(w - h e_i)) / 2h for every entry of ``w``.

    ``f`` takes no argument and reads ``w``, which is changed in place and restored.
    """
    if not callable(f):
        raise ValueError(f"f must be a function of no argument that reads w, got {f!r:.80}")
    if not isinstance(w, np.ndarray) or w.dtype != np.float64 or not w.flags.writeable:
        raise ValueError("w must be a writeable float64 numpy array (changed in place, restored)")
    h = validate.positive_float("h", h)
    grad = np.zeros_like(w, dtype=float)
    for i in np.ndindex(w.shape):
        old = w[i]
        w[i] = old + h
        plus = f()
        w[i] = old - h
        minus = f()
        w[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad
