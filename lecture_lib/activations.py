"""The transforms x = phi(s) of the slides and their derivatives phi'(s).

ReLU is not differentiable at s = 0; like PyTorch and most libraries, ``relu_derivative`` uses
the convention phi'(0) = 0. With all-zero weights every score is exactly 0, so under this
convention no gradient reaches the hidden weights at all (notebook 01, section 1).
"""

from __future__ import annotations

import numpy as np


def tanh(s: np.ndarray) -> np.ndarray:
    """x = tanh(s)."""
    return np.tanh(s)


def tanh_derivative(s: np.ndarray) -> np.ndarray:
    """tanh'(s) = 1 - tanh(s)^2, about 1 for small s (the slides' "approximately linear")."""
    return 1.0 - np.tanh(s) ** 2


def relu(s: np.ndarray) -> np.ndarray:
    """x = max(s, 0)."""
    return np.maximum(s, 0.0)


def relu_derivative(s: np.ndarray) -> np.ndarray:
    """1 where s > 0, else 0 (the convention phi'(0) = 0)."""
    return (s > 0).astype(s.dtype)


ACTIVATIONS = {
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
}
