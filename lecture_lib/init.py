"""Weight initialization: slides "Deep Learning Initialization".

Every scheme returns a matrix ``W`` of shape ``(d_in, d_out)``: ``W[i, j]`` is the slides'
w_ij^(l), from unit i of layer l-1 (``d_in`` = d^(l-1) units) to unit j of layer l
(``d_out`` = d^(l) units).

==========  ==============================================  ============================
scheme      weights                                         source
==========  ==============================================  ============================
zeros       all 0                                           "too symmetric" (slides)
constant    all equal to ``value``                          "cloned neurons" (slides)
normal      N(0, ``variance``)                              small random init (slides)
xavier      N(0, 2 / (d^(l-1) + d^(l)))                     Glorot & Bengio (2010)
he          N(0, 2 / d^(l-1))                               He et al. (2015)
==========  ==============================================  ============================

Glorot & Bengio's paper states the uniform form U(-r, r) with r = sqrt(6 / (d_in + d_out)),
whose variance is the same 2 / (d_in + d_out). The slides give only var(w), no distribution;
this module draws the Gaussian with that variance, as He et al. (2015) do.
"""

from __future__ import annotations

import numpy as np

from lecture_lib import validate

SCHEMES = ("zeros", "constant", "normal", "xavier", "he")


def xavier_variance(d_in: int, d_out: int) -> float:
    """Xavier's compromise var(w) = 2 / (d^(l-1) + d^(l)) between forward and backward."""
    d_in, d_out = validate.positive_int("d_in", d_in), validate.positive_int("d_out", d_out)
    return 2.0 / (d_in + d_out)


def he_variance(d_in: int) -> float:
    """He's var(w) = 2 / d^(l-1): the 1/d^(l-1) of the tanh slide, doubled for ReLU."""
    d_in = validate.positive_int("d_in", d_in)
    return 2.0 / d_in


def init_weights(
    scheme: str,
    d_in: int,
    d_out: int,
    *,
    rng: np.random.Generator,
    variance: float | None = None,
    value: float | None = None,
) -> np.ndarray:
    """Initial weights of one layer, shape ``(d_in, d_out)``, float64.

    Parameters
    ----------
    scheme : {"zeros", "constant", "normal", "xavier", "he"}
        See the module table.
    d_in, d_out : int
        d^(l-1) and d^(l), both positive.
    rng : numpy.random.Generator
        Source of randomness (``np.random.default_rng(seed)``); never the global RNG.
    variance : float, optional
        var(w) for ``"normal"`` (required there, must be >= 0).
    value : float, optional
        The weight for ``"constant"`` (required there).

    Returns
    -------
    numpy.ndarray
        Zero-mean weights (except ``"constant"``) of shape ``(d_in, d_out)``.
    """
    scheme = validate.choice("scheme", scheme, SCHEMES)
    d_in, d_out = validate.positive_int("d_in", d_in), validate.positive_int("d_out", d_out)
    validate.array_size("the weights d_in x d_out", (d_in, d_out))
    rng = validate.rng("rng", rng)
    if scheme == "constant":
        if value is None:
            raise ValueError('scheme "constant" needs value= (the weight every entry gets)')
        value = validate.finite_float("value", value)
    elif value is not None:
        raise ValueError(f'value= is the weight of scheme "constant", not of {scheme!r}')
    if scheme == "normal":
        if variance is None:
            raise ValueError('scheme "normal" needs variance= (var(w) >= 0)')
        variance = validate.non_negative_float("variance", variance)
    elif variance is not None:
        raise ValueError(f'variance= is var(w) of scheme "normal", not of {scheme!r}')
    if scheme == "zeros":
        return np.zeros((d_in, d_out))
    if scheme == "constant":
        return np.full((d_in, d_out), value)
    if scheme == "normal":
        return rng.standard_normal((d_in, d_out)) * np.sqrt(variance)
    if scheme == "xavier":
        return rng.standard_normal((d_in, d_out)) * np.sqrt(xavier_variance(d_in, d_out))
    return rng.standard_normal((d_in, d_out)) * np.sqrt(he_variance(d_in))
