"""2-D error surfaces E(w), one per difficulty of slide "Difficulty of Deep Learning Optimization".

==============  ===========================================  ==================================
name            E(w1, w2)                                    the slide says
==============  ===========================================  ==================================
ravine          ½ (w1² + 20 w2²)                             "ravines: need to avoid oscillation"
plateau         1 - exp(-(w1² + w2²))                        "plateau: need larger learning rate"
saddle          w1² - w2² + ¼ w2⁴                            "saddle points: easily escapable
                                                             (especially with SGD)"
local minima    f(w1) + ½ w2²,  f(x) = ¼x⁴ + ⅓x³ - x²        "local minima: not as bad as
                                                             imagined"
==============  ===========================================  ==================================

Every ``Surface`` evaluates ``E`` and its analytic gradient ``grad`` on points of shape (..., 2)
(one point, or a whole grid for contours), and carries a start point and a plotting box.
:func:`run` runs any optimizer of :mod:`lecture_lib.optim` on a surface, optionally with
Gaussian noise added to the gradient to stand for the minibatch SG estimate Δ_t.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lecture_lib import validate
from lecture_lib.optim import Optimizer

#: A run stops ("diverged") when w leaves this many times the plotting box, around its centre.
ESCAPE_FACTOR = 100.0


@dataclass(frozen=True)
class Surface:
    """An error surface E(w) on w = (w1, w2) with its analytic gradient.

    Attributes
    ----------
    name : str
        Key in :data:`SURFACES`.
    E : callable
        E(w) for ``w`` of shape (..., 2); returns shape (...).
    grad : callable
        ∇E(w) for ``w`` of shape (..., 2); returns shape (..., 2).
    start : tuple of float
        Default start point w_0.
    xlim, ylim : tuple of float
        Plotting box for w1 and w2.
    minimum : tuple of float
        The global minimum w* (∇E(w*) = 0).
    difficulty : str
        What the slide says about this kind of surface.
    """

    name: str
    E: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    minimum: tuple[float, float]
    difficulty: str = ""

    def grid(self, n: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``W1, W2, E`` on an n×n grid over the plotting box, ready for ``ax.contour``."""
        n = validate.integer("n", n, minimum=2)
        validate.array_size("the n x n grid", (n, n, 4))
        W1, W2 = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        return W1, W2, self.E(np.stack([W1, W2], axis=-1))


# --------------------------------------------------------------------------- the surfaces
# Each pair (E, grad) reads w1 = w[..., 0] and w2 = w[..., 1].


def _pair(g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
    """(g1, g2) of equal shapes stacked on a last axis of length 2 (np.stack, but faster)."""
    out = np.empty(np.shape(g1) + (2,))
    out[..., 0], out[..., 1] = g1, g2
    return out


RAVINE_A, RAVINE_B = 1.0, 20.0  # curvatures of the flat and the steep direction


def _ravine_E(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    return 0.5 * (RAVINE_A * w[..., 0] ** 2 + RAVINE_B * w[..., 1] ** 2)


def _ravine_grad(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    return w * (RAVINE_A, RAVINE_B)  # (a w1, b w2)


def _plateau_E(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    with np.errstate(under="ignore"):  # far out, exp(-|w|²) is 0: the right answer
        return 1.0 - np.exp(-(w[..., 0] ** 2 + w[..., 1] ** 2))


def _plateau_grad(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    with np.errstate(under="ignore"):
        return 2.0 * w * np.exp(-(w[..., 0] ** 2 + w[..., 1] ** 2))[..., None]


def _saddle_E(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    w1, w2 = w[..., 0], w[..., 1]
    return w1**2 - w2**2 + 0.25 * w2**4


def _saddle_grad(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    w1, w2 = w[..., 0], w[..., 1]
    return _pair(2.0 * w1, -2.0 * w2 + w2**3)


def _local_E(w: np.ndarray) -> np.ndarray:
    # f'(x) = x³ + x² - 2x = x (x + 2)(x - 1): global minimum at x = -2 (f = -8/3),
    # local maximum at 0 (f = 0), shallow local minimum at x = 1 (f = -5/12).
    w = np.asarray(w, dtype=float)
    x = w[..., 0]
    return 0.25 * x**4 + x**3 / 3.0 - x**2 + 0.5 * w[..., 1] ** 2


def _local_grad(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    x = w[..., 0]
    return _pair(x**3 + x**2 - 2.0 * x, w[..., 1])


SURFACES: dict[str, Surface] = {
    "ravine": Surface(
        "ravine", _ravine_E, _ravine_grad, start=(-4.5, 1.5), xlim=(-5.0, 5.0),
        ylim=(-2.5, 2.5), minimum=(0.0, 0.0),
        difficulty="ravines: need to avoid oscillation (GD oscillates once η > 1/20, "
        "diverges once η > 2/20)",
    ),
    "plateau": Surface(
        "plateau", _plateau_E, _plateau_grad, start=(2.2, 1.4), xlim=(-3.0, 3.0),
        ylim=(-3.0, 3.0), minimum=(0.0, 0.0),
        difficulty="plateau: need larger learning rate η (|∇E| < 0.01 at the start)",
    ),
    "saddle": Surface(
        "saddle", _saddle_E, _saddle_grad, start=(-2.5, 0.0), xlim=(-3.0, 3.0),
        ylim=(-2.5, 2.5), minimum=(0.0, float(np.sqrt(2.0))),
        difficulty="saddle points: easily escapable, especially with SGD (from w2 = 0 "
        "plain GD never leaves the line w2 = 0 and stalls at the saddle (0, 0))",
    ),
    "local minima": Surface(
        "local minima", _local_E, _local_grad, start=(2.0, 1.5), xlim=(-3.0, 2.5),
        ylim=(-2.0, 2.0), minimum=(-2.0, 0.0),
        difficulty="local minima: not as bad as imagined (a shallow one at (1, 0), "
        "the global one at (-2, 0))",
    ),
}


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Path:
    """The iterates of one run.

    Attributes
    ----------
    w : numpy.ndarray
        w_0, w_1, ..., shape (steps + 1, 2), or fewer rows if the run diverged: only finite
        points inside the escape box are kept.
    E : numpy.ndarray
        E(w_t) along the path, shape (len(w),).
    diverged : bool
        w left the escape box (``ESCAPE_FACTOR`` times the plotting box) or became non-finite.
    diverged_at : int or None
        The step t whose w_t left; then ``len(w) == diverged_at``.
    escape : numpy.ndarray or None
        That w_t (outside the escape box, possibly inf or nan), to draw the direction it left in.
    """

    w: np.ndarray
    E: np.ndarray
    diverged: bool = False
    diverged_at: int | None = None
    escape: np.ndarray | None = None


def run(
    surface: Surface | str,
    optimizer: Optimizer,
    *,
    steps: int,
    start=None,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
) -> Path:
    """Run ``optimizer`` for ``steps`` steps on ``surface`` from ``start``.

    At step t the optimizer receives Δ_t = ∇E(w_{t-1}) + noise · z_t with z_t ~ N(0, I): the
    noise stands for the minibatch estimate of the gradient (SG). The optimizer is reset first.

    Parameters
    ----------
    surface : Surface or str
        A surface or its name in :data:`SURFACES`.
    optimizer : lecture_lib.optim.Optimizer
        Any rule of :mod:`lecture_lib.optim`.
    steps : int
        Number of steps (>= 0).
    start : array-like of shape (2,), optional
        w_0; the surface's default start if None.
    noise : float
        Standard deviation of the Gaussian gradient noise (>= 0).
    rng : numpy.random.Generator, optional
        Draws the noise; required when ``noise > 0``.

    Returns
    -------
    Path
        The iterates, E along them, and whether (and when) the run diverged.
    """
    if not isinstance(surface, Surface):
        surface = SURFACES[validate.choice("surface", surface, SURFACES)]
    optimizer = validate.instance("optimizer", optimizer, Optimizer,
                                  "an optimizer of lecture_lib.optim (e.g. SGD(eta=0.1))")
    validate.optimizer_state("optimizer", optimizer)
    steps = validate.non_negative_int("steps", steps, maximum=validate.MAX_STEPS)
    noise = validate.non_negative_float("noise", noise)
    if noise > 0:
        rng = validate.rng("rng (needed when noise > 0)", rng)
    elif rng is not None:
        rng = validate.rng("rng", rng)
    if start is not None:
        start_array = np.asarray(start)
        if start_array.shape != (2,) or start_array.dtype.kind not in "iuf" or not np.all(
            np.isfinite(start_array)
        ):
            raise ValueError(f"start must be two finite numbers (w1, w2), got {start!r:.80}")
    z = noise * rng.standard_normal((steps, 2)) if noise > 0 else np.zeros((steps, 2))

    (x0, x1), (y0, y1) = surface.xlim, surface.ylim
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    rx, ry = ESCAPE_FACTOR * (x1 - x0) / 2, ESCAPE_FACTOR * (y1 - y0) / 2

    w = np.array(surface.start if start is None else start, dtype=float)
    path = np.empty((steps + 1, 2))
    path[0] = w
    optimizer.reset()
    diverged_at, escape = None, None
    for t in range(1, steps + 1):
        optimizer.step([w], [surface.grad(w) + z[t - 1]])
        a, b = w.tolist()
        if not (abs(a - cx) <= rx and abs(b - cy) <= ry):  # also catches nan
            diverged_at, escape = t, w.copy()
            break
        path[t] = w
    path = path[: (steps + 1 if diverged_at is None else diverged_at)]
    return Path(path, surface.E(path), diverged_at is not None, diverged_at, escape)


def quadratic(a: float, b: float, *, name: str | None = None) -> Surface:
    """The ravine family E(w) = ½ (a w1² + b w2²), curvatures a and b (> 0), minimum at 0.

    ``quadratic(1, 20)`` is :data:`SURFACES` ``["ravine"]``; ``quadratic(1, k)`` for several k
    rescales the steep coordinate's gradient by k (slide "Per-Component Learning Rate":
    the learning rate each coordinate needs depends on that scale). Plain GD converges for
    η < 2 / max(a, b).
    """
    a, b = validate.positive_float("a", a), validate.positive_float("b", b)
    if name is not None and not isinstance(name, str):
        raise ValueError(f"name must be None or a string, got {name!r}")

    def E(w: np.ndarray) -> np.ndarray:
        w = np.asarray(w, dtype=float)
        return 0.5 * (a * w[..., 0] ** 2 + b * w[..., 1] ** 2)

    def grad(w: np.ndarray) -> np.ndarray:
        return np.asarray(w, dtype=float) * (a, b)

    return Surface(
        name or f"½({a:g} w1² + {b:g} w2²)", E, grad, start=(-4.5, 1.5), xlim=(-5.0, 5.0),
        ylim=(-2.5, 2.5), minimum=(0.0, 0.0),
        difficulty=f"quadratic with curvatures {a:g} and {b:g}",
    )


def sign_changes(values: np.ndarray) -> int:
    """How often a sequence changes sign (zeros skipped): the oscillation count across a ravine."""
    signs = np.sign(np.asarray(values, dtype=float))
    signs = signs[signs != 0]
    return int(np.count_nonzero(signs[1:] != signs[:-1]))


def inside_part(path: Path, xlim, ylim) -> tuple[np.ndarray, np.ndarray | None]:
    """The part of a path to draw in the box ``xlim`` × ``ylim``, and where it left for good.

    For a path that ends inside the box: (all its points, None). For one that ends outside it
    (it diverged, or wandered off): the points up to the last one inside the box (earlier
    excursions that came back are kept; axes clip them), followed by the point where the next
    segment crosses the box edge, and that edge point (where to draw a marker). A path that is
    never inside gives (its start, its start).
    """
    w = path.w
    if path.escape is not None:
        w = np.vstack([w, path.escape[None, :]])
    (x0, x1), (y0, y1) = xlim, ylim
    inside = (w[:, 0] >= x0) & (w[:, 0] <= x1) & (w[:, 1] >= y0) & (w[:, 1] <= y1)
    if inside[-1]:
        return w, None
    if not inside.any():
        return w[:1], w[0].copy()
    j = int(np.flatnonzero(inside)[-1])
    a, b = w[j], w[j + 1]
    d = b - a
    if not np.all(np.isfinite(d)):
        return w[: j + 1], a.copy()
    # largest s in [0, 1] with a + s d inside the box
    s = 1.0
    for k, (lo, hi) in enumerate((xlim, ylim)):
        if d[k] > 0:
            s = min(s, (hi - a[k]) / d[k])
        elif d[k] < 0:
            s = min(s, (lo - a[k]) / d[k])
    edge = a + max(s, 0.0) * d
    return np.vstack([w[: j + 1], edge[None, :]]), edge

