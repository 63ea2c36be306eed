"""init_weights: shapes, exact values, and sample moments against the slides' formulas.

Tolerances come from the sampling error: for n independent Gaussians of variance v the sample
mean has standard error sqrt(v/n) and the sample variance sqrt(2/(n-1)) * v. We allow 5 of them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lecture_lib.init import SCHEMES, init_weights

D_IN, D_OUT = 400, 300
N = D_IN * D_OUT
Z = 5.0  # standard errors


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


EXTRA = {"zeros": {}, "constant": {"value": 0.3}, "normal": {"variance": 0.05},
         "xavier": {}, "he": {}}


def test_schemes_listed_are_the_slides_five():
    assert set(SCHEMES) == {"zeros", "constant", "normal", "xavier", "he"}


@pytest.mark.parametrize("scheme", sorted(EXTRA))
@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (7, 3), (400, 300)])
def test_shape_and_dtype(scheme, shape):
    W = init_weights(scheme, *shape, rng=rng(), **EXTRA[scheme])
    assert isinstance(W, np.ndarray)
    assert W.shape == shape
    assert W.dtype == np.float64


def test_numpy_integer_sizes_accepted():
    W = init_weights("he", np.int64(4), np.int32(5), rng=rng())
    assert W.shape == (4, 5)


def test_zeros_exact():
    W = init_weights("zeros", 6, 4, rng=rng())
    assert np.array_equal(W, np.zeros((6, 4)))


@pytest.mark.parametrize("value", [0.0, 0.25, -1.5, 3])
def test_constant_exact(value):
    W = init_weights("constant", 5, 8, rng=rng(), value=value)
    assert np.all(W == float(value))
    assert W.dtype == np.float64


def expected_variance(scheme: str) -> float:
    return {"normal": 0.05, "xavier": 2.0 / (D_IN + D_OUT), "he": 2.0 / D_IN}[scheme]


@pytest.mark.parametrize("scheme", ["normal", "xavier", "he"])
@pytest.mark.parametrize("seed", [0, 1])
def test_random_schemes_mean_and_variance_match_formula(scheme, seed):
    var = expected_variance(scheme)
    W = init_weights(scheme, D_IN, D_OUT, rng=rng(seed), **EXTRA[scheme])
    mean_se = math.sqrt(var / N)
    var_se = var * math.sqrt(2.0 / (N - 1))
    assert abs(W.mean()) < Z * mean_se
    assert abs(W.var(ddof=1) - var) < Z * var_se


def test_xavier_and_he_differ_when_widths_differ():
    """The two formulas give clearly different variances for d_in=400, d_out=300
    (2/700 vs 2/400): the sampling tolerance cannot confuse them."""
    x = init_weights("xavier", D_IN, D_OUT, rng=rng()).var()
    h = init_weights("he", D_IN, D_OUT, rng=rng()).var()
    assert h / x == pytest.approx(700 / 400, rel=0.02)


def test_xavier_symmetric_in_widths():
    a = init_weights("xavier", 400, 300, rng=rng(3)).var()
    b = init_weights("xavier", 300, 400, rng=rng(4)).var()
    assert a == pytest.approx(b, rel=Z * math.sqrt(2 / (N - 1)) * 2)


def test_normal_variance_zero_gives_zeros():
    W = init_weights("normal", 4, 5, rng=rng(), variance=0.0)
    assert np.all(W == 0.0)


@pytest.mark.parametrize("scheme", ["normal", "xavier", "he"])
def test_deterministic_given_rng(scheme):
    a = init_weights(scheme, 20, 30, rng=rng(7), **EXTRA[scheme])
    b = init_weights(scheme, 20, 30, rng=rng(7), **EXTRA[scheme])
    c = init_weights(scheme, 20, 30, rng=rng(8), **EXTRA[scheme])
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("scheme", ["normal", "xavier", "he"])
def test_never_touches_the_global_rng(monkeypatch, scheme):
    def boom(*args, **kwargs):
        raise AssertionError("the global numpy RNG was used")

    for name in ("standard_normal", "normal", "randn", "rand", "random", "uniform"):
        monkeypatch.setattr(np.random, name, boom)
    W = init_weights(scheme, 10, 10, rng=rng(5), **EXTRA[scheme])
    assert W.std() > 0


def test_consecutive_draws_from_one_generator_differ():
    g = rng(0)
    assert not np.array_equal(init_weights("he", 5, 5, rng=g), init_weights("he", 5, 5, rng=g))


# ---------------------------------------------------------------- errors


def test_unknown_scheme_raises_and_names_scheme():
    with pytest.raises(ValueError, match="scheme") as info:
        init_weights("kaiming", 3, 4, rng=rng())
    assert "kaiming" in str(info.value)


def test_normal_without_variance_raises():
    with pytest.raises(ValueError, match="variance"):
        init_weights("normal", 3, 4, rng=rng())


@pytest.mark.parametrize("variance", [-1e-9, -1.0, math.nan, math.inf, -math.inf])
def test_normal_bad_variance_raises(variance):
    with pytest.raises(ValueError, match="variance"):
        init_weights("normal", 3, 4, rng=rng(), variance=variance)


def test_constant_without_value_raises():
    with pytest.raises(ValueError, match="value"):
        init_weights("constant", 3, 4, rng=rng())


BAD_SIZES = [0, -1, 2.0, 2.5, "3", None, True]


@pytest.mark.parametrize("scheme", sorted(EXTRA))
@pytest.mark.parametrize("bad", BAD_SIZES, ids=repr)
def test_bad_d_in_raises_naming_d_in(scheme, bad):
    with pytest.raises(ValueError, match="d_in"):
        init_weights(scheme, bad, 4, rng=rng(), **EXTRA[scheme])


@pytest.mark.parametrize("scheme", sorted(EXTRA))
@pytest.mark.parametrize("bad", BAD_SIZES, ids=repr)
def test_bad_d_out_raises_naming_d_out(scheme, bad):
    with pytest.raises(ValueError, match="d_out"):
        init_weights(scheme, 4, bad, rng=rng(), **EXTRA[scheme])
