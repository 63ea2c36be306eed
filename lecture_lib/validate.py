"""One vocabulary for checking what a student passes in.

The public entry points (the network, the initializers, the optimizers, ``fit``, ``run``, the
data loaders, the dashboards, and more as they are reviewed) check their arguments with these
functions *before* doing any work, so that a wrong value gives a ``ValueError`` that names the
parameter and what is allowed, not a numpy ``TypeError``, an ``IndexError`` or a silently wrong
number.

Each checker returns the value converted to the plain Python type the code then uses.

>>> positive_int("batch_size", 32)
32
>>> probability("p", 0.5)
0.5
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

# The largest array a student's request may allocate, and the largest run it may start.
# A JupyterHub kernel has a few hundred MiB; nothing the notebooks teach needs more than a
# few MiB per array.
MAX_ARRAY_BYTES = 1 << 30  # 1 GiB
MAX_STEPS = 1_000_000


def is_number(value: object) -> bool:
    """A real number that is not a bool (True is not a learning rate)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def is_integer(value: object) -> bool:
    """An int (Python or numpy) that is not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))



def positive_int(name: str, value: object, *, maximum: int | None = None) -> int:
    """``value`` as an int >= 1 (and <= ``maximum`` when given), else ValueError."""
    if not is_integer(value) or value < 1 or (maximum is not None and value > maximum):
        upper = f" and <= {maximum:,}" if maximum is not None else ""
        raise ValueError(f"{name} must be an integer >= 1{upper}, got {value!r}")
    return int(value)


def non_negative_int(name: str, value: object, *, maximum: int | None = None) -> int:
    """``value`` as an int >= 0 (and <= ``maximum`` when given), else ValueError."""
    if not is_integer(value) or value < 0 or (maximum is not None and value > maximum):
        upper = f" and <= {maximum:,}" if maximum is not None else ""
        raise ValueError(f"{name} must be an integer >= 0{upper}, got {value!r}")
    return int(value)


def optional_positive_int(name: str, value: object) -> int | None:
    """``None`` or an int >= 1."""
    if value is None:
        return None
    if not is_integer(value) or value < 1:
        raise ValueError(f"{name} must be None or an integer >= 1, got {value!r}")
    return int(value)


def finite_float(name: str, value: object) -> float:
    """Any finite real number (not a bool, not a string)."""
    if not is_number(value) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def positive_float(name: str, value: object) -> float:
    """A finite real number > 0 (a learning rate η, an ε, a curvature)."""
    if not is_number(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def non_negative_float(name: str, value: object) -> float:
    """A finite real number >= 0 (a variance, a noise level)."""
    if not is_number(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def probability(name: str, value: object) -> float:
    """A number in [0, 1): a drop probability p, a decay β."""
    if not is_number(value) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number with 0 <= {name} < 1, got {value!r}")
    return float(value)


def integer(name: str, value: object, *, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int with ``minimum`` <= value (<= ``maximum`` when given)."""
    if not is_integer(value) or value < minimum or (maximum is not None and value > maximum):
        upper = f" and <= {maximum:,}" if maximum is not None else ""
        raise ValueError(f"{name} must be an integer >= {minimum}{upper}, got {value!r}")
    return int(value)


def boolean(name: str, value: object) -> bool:
    """True or False only: a string "no" is not read as True."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """One of the names in ``allowed``; the message lists them."""
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def instance(name: str, value: object, cls: type | tuple, what: str) -> object:
    """``value`` if it is an instance of ``cls`` (described as ``what`` in the message)."""
    if not isinstance(value, cls):
        raise ValueError(f"{name} must be {what}, got {type(value).__name__} {value!r:.80}")
    return value


def optional_callable(name: str, value: object) -> object:
    """None or something callable (a callback)."""
    if value is not None and not callable(value):
        raise ValueError(f"{name} must be None or a function, got {value!r:.80}")
    return value


def rng(name: str, value: object) -> np.random.Generator:
    """A seeded ``np.random.Generator`` (the project never uses numpy's global RNG)."""
    if not isinstance(value, np.random.Generator):
        raise ValueError(
            f"{name} must be a seeded numpy Generator, e.g. np.random.default_rng(0); got {value!r}"
        )
    return value


def array_size(name: str, shape: Sequence[int], *, itemsize: int = 8) -> None:
    """Refuse, before allocating, an array of ``shape`` larger than :data:`MAX_ARRAY_BYTES`."""
    nbytes = math.prod(int(n) for n in shape) * itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise ValueError(
            f"{name} would need {nbytes / 2**30:.1f} GiB (shape {tuple(int(n) for n in shape)}); "
            f"the limit is {MAX_ARRAY_BYTES / 2**30:.0f} GiB: use smaller sizes"
        )


def features(name: str, X: object, *, width: int | None = None) -> np.ndarray:
    """Inputs as a finite float array of shape (N, width), N >= 1; bad data is called bad data."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numbers, got an array of dtype {X.dtype}")
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty 2-D array (rows = examples), got shape {X.shape}"
        )
    if width is not None and X.shape[1] != width:
        raise ValueError(f"{name} has {X.shape[1]} columns but the network expects {width} inputs")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or inf: bad data, not a training problem")
    return X.astype(float, copy=False)


def numbers(name: str, values: object) -> np.ndarray:
    """A non-empty float array of finite numbers, at least 1-D (rows = a sequence)."""
    values = np.asarray(values)
    if values.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numbers, got an array of dtype {values.dtype}")
    if values.ndim == 0 or values.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty sequence of numbers, got shape {values.shape}"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or inf")
    return values.astype(float, copy=False)



def positive_numbers(name: str, values: object) -> np.ndarray:
    """A non-empty 1-D float array of finite numbers > 0 (a sequence or one number)."""
    values = numbers(name, np.atleast_1d(values))
    if values.ndim != 1 or np.any(values <= 0):
        raise ValueError(f"{name} must be numbers > 0 (a number or a 1-D sequence), got "
                         f"{values!r:.60}")
    return values


def layer_sizes(name: str, sizes: object) -> list[int]:
    """Layer widths d^(0..L) as a list of ints >= 1, at least two."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
        raise ValueError(f"{name} must be a list of layer widths, got {sizes!r:.60}")
    sizes = [positive_int(f"{name}[{i}]", d) for i, d in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"{name} must hold at least an input and an output width, got {sizes}")
    return sizes


def seeds(name: str, values: object) -> list[int]:
    """Seeds as a list of ints >= 0 (an iterator is read once, here), at least one."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"{name} must be a list of seeds (integers >= 0), got {values!r:.60}")
    values = [non_negative_int(f"{name}[{i}]", s) for i, s in enumerate(values)]
    if not values:
        raise ValueError(f"{name} must hold at least one seed")
    return values


def labels(name: str, y: object, *, n_classes: int, n_rows: int | None = None) -> np.ndarray:
    """Class labels as an int array of integers in 0..n_classes-1 (one per row of X)."""
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array of class labels, got shape {y.shape}"
        )
    if n_rows is not None and y.size != n_rows:
        raise ValueError(f"{name} has {y.size} labels but X has {n_rows} rows")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError(f"{name} must be integer class labels 0..{n_classes - 1}")
    elif y.dtype.kind not in "iu":
        raise ValueError(f"{name} must be integer class labels 0..{n_classes - 1}, got {y.dtype}")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(
            f"{name} must be class labels in 0..{n_classes - 1}, "
            f"got values from {y.min()} to {y.max()}"
        )
    return y.astype(int, copy=False)

