"""lecture_lib.checks: rel_error as cs231n defines it, and centred differences against
gradients known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib.checks import numerical_gradient, rel_error


def test_rel_error_definition():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    # max |a - b| / max(1e-8, |a| + |b|): the second entry, 1 / 5
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 3.0])) == pytest.approx(0.2)
    # near zero the floor 1e-8 keeps it finite
    assert rel_error(np.array([0.0]), np.array([1e-12])) == pytest.approx(1e-4)


def test_numerical_gradient_of_a_quadratic_and_w_restored():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    A = A @ A.T
    w = rng.standard_normal(4)
    before = w.copy()
    grad = numerical_gradient(lambda: 0.5 * w @ A @ w, w)
    assert rel_error(grad, A @ w) < 1e-8
    np.testing.assert_array_equal(w, before)


def test_numerical_gradient_of_a_matrix_parameter():
    W = np.arange(6.0).reshape(2, 3) / 10
    grad = numerical_gradient(lambda: float(np.sum(np.sin(W))), W)
    assert rel_error(grad, np.cos(W)) < 1e-8


@pytest.mark.parametrize("bad", [np.arange(3), [1.0, 2.0], np.ones(3, dtype=np.float32)])
def test_numerical_gradient_refuses_what_it_cannot_change_in_place(bad):
    with pytest.raises(ValueError, match="w must"):
        numerical_gradient(lambda: 0.0, bad)


def test_numerical_gradient_refuses_a_bad_f_and_h():
    with pytest.raises(ValueError, match="f must"):
        numerical_gradient(3.0, np.ones(2))
    with pytest.raises(ValueError, match="h"):
        numerical_gradient(lambda: 0.0, np.ones(2), h=0.0)
