"""Dropout's primitives, slides "Deep Learning Regularization": the keep-mask and the check of p.

As on the slides, "drop p, keep 1-p": ``p`` is the probability to **drop** a unit (cs231n's
assignments and some libraries call the *keep* probability p).

Two conventions (``inverted=True`` or ``False`` everywhere in the package):

* plain dropout: training x = phi(s) * mask; testing x = (1-p) * phi(s) (the slides' test-time
  "pseudo" dropout: the score a unit feeds forward matches its expectation in training).
* inverted dropout: training x = phi(s) * mask / (1-p); testing x = phi(s), unchanged.

This module sits below :mod:`lecture_lib.network` (whose :class:`~lecture_lib.network.MLP`
applies dropout in its passes); the experiments on trained networks (thinned-net averages,
knock-outs, the two conventions side by side) live above it, in
:mod:`lecture_lib.regularization`.
"""

from __future__ import annotations

import math

import numpy as np

from lecture_lib import validate

#: Why p = 1 is refused, added to the error message.
P_ONE_REASON = (
    "p = 1 would drop every unit, so nothing reaches the next layer"
    " (and inverted dropout would divide by 1 - p = 0)"
)

#: Masks are drawn in blocks of at most this many entries, so drawing a large mask never holds
#: more than 8 MiB of uniform floats at once (the bits drawn are the same as in one call).
_MASK_BLOCK = 1 << 20


def check_drop_probability(p: object, name: str = "p") -> float:
    """``p`` as a float if it is a drop probability 0 <= p < 1, else ValueError naming ``name``.

    p = 1 is refused with its reason (every unit dropped; inverted dropout would divide by 0).
    """
    try:
        return validate.probability(name, p)
    except ValueError:
        one = validate.is_number(p) and p == 1
        what = "dropout p is" if name == "p" else f"{name} (dropout p) is"
        raise ValueError(
            f"{what} the probability to drop a unit and must satisfy 0 <= p < 1, got {p!r}"
            + (f": {P_ONE_REASON}" if one else "")
        ) from None


def dropout_mask(shape, p: float, *, rng: np.random.Generator) -> np.ndarray:
    """Boolean keep-mask: each entry True (kept) with probability 1-p, independently.

    The entry is ``u >= p`` for ``u = rng.random()``, drawn in row-major order (in blocks of
    rows for large masks: the same draws as one ``rng.random(shape)``).
    """
    p = check_drop_probability(p)
    rng = validate.rng("rng", rng)
    shape = tuple(int(n) for n in np.atleast_1d(shape))
    validate.array_size("the dropout mask", shape)
    size = math.prod(shape)
    if size <= _MASK_BLOCK or len(shape) < 2:
        return rng.random(shape) >= p
    mask = np.empty(shape, dtype=bool)
    row = size // shape[0]
    step = max(1, _MASK_BLOCK // row)
    for begin in range(0, shape[0], step):
        block = mask[begin:begin + step]
        block[...] = rng.random(block.shape) >= p
    return mask


def dropout(
    x: np.ndarray, p: float, *, rng: np.random.Generator, train: bool = True, inverted: bool = True
) -> np.ndarray:
    """Dropout of the outputs ``x`` of a layer, with drop probability ``p``.

    Parameters
    ----------
    x : numpy.ndarray
        Layer outputs x^(l).
    p : float
        Probability to drop each unit, 0 <= p < 1.
    rng : numpy.random.Generator
        Draws the mask.
    train : bool
        Training pass (random mask) or test pass (deterministic).
    inverted : bool
        Inverted dropout (scale kept units by 1/(1-p) in training, nothing at test time) or
        plain dropout (no scaling in training, multiply by (1-p) at test time).

    Returns
    -------
    numpy.ndarray
        In expectation over masks, the training output equals the test output.
    """
    p = check_drop_probability(p)
    rng = validate.rng("rng", rng)
    train = validate.boolean("train", train)
    inverted = validate.boolean("inverted", inverted)
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"x must be numbers, got an array of dtype {x.dtype}")
    x = x.astype(float, copy=False)
    if not train:
        return x.copy() if inverted else (1.0 - p) * x
    if p == 0:
        return x.copy()
    kept = x * dropout_mask(x.shape, p, rng=rng)
    return kept / (1.0 - p) if inverted else kept
