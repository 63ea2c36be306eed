"""lecture_lib.activations: the transforms phi and their derivatives, against math.tanh,
max(s, 0) written out, and centred differences (away from ReLU's kink at 0)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lecture_lib.activations import (
    ACTIVATIONS,
    relu,
    relu_derivative,
    tanh,
    tanh_derivative,
)

S = np.array([-20.0, -3.0, -0.7, -1e-3, 1e-3, 0.4, 2.5, 30.0])


def test_values_against_scalar_math():
    np.testing.assert_allclose(tanh(S), [math.tanh(s) for s in S], rtol=1e-15)
    assert relu(S).tolist() == [s if s > 0 else 0.0 for s in S]


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_derivatives_are_centred_differences(name):
    phi, phi_prime = ACTIVATIONS[name]
    h = 1e-6
    numeric = (phi(S + h) - phi(S - h)) / (2 * h)
    np.testing.assert_allclose(phi_prime(S), numeric, rtol=1e-6, atol=1e-9)


def test_small_scores_pass_tanh_almost_unchanged_and_large_ones_saturate():
    assert tanh_derivative(np.array([1e-4]))[0] == pytest.approx(1.0, abs=1e-8)
    assert tanh_derivative(np.array([10.0]))[0] < 1e-8


def test_relu_derivative_at_the_kink_is_zero_and_keeps_the_dtype():
    s = np.array([-1.0, 0.0, 2.0], dtype=np.float32)
    out = relu_derivative(s)
    assert out.tolist() == [0.0, 0.0, 1.0] and out.dtype == np.float32
