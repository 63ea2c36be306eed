"""Measurements behind notebook 02's claims that take more than one run (slides "Deep Learning
Optimization").

* :func:`momentum_outcome`, :func:`escape_grid`, :func:`smallest_escaping_eta`: whether
  momentum in the slides' convention, v_t = β v_{t-1} + (1-β) Δ_t, w_t = w_{t-1} - η v_t,
  leaves the shallow local minimum of the "local minima" surface (slide "Benefits of SGD with
  Momentum": "shallow local optima/saddle points escaped"), over a grid of (η, β);
* :func:`mean_error_over_seeds`: the mean E of noisy runs after a burn-in, one value per seed,
  so a claim about noise is a count over seeds;
* :func:`first_step_lengths` and :func:`constant_gradient_steps`: step sizes of a rule, to
  show a per-component rate near a minimum (slide "Running Average of Gradient Magnitude") and
  Adam's bias correction and global decay (slide "Adam");
* :func:`with_epoch_zero`, :func:`first_epoch_below`: the digits comparison's curves from
  epoch 0 (the untrained network), and when each seed's curve first gets below a level.

"Epoch k" is the state after k full passes over the training set; epoch 0 is the untrained
network.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lecture_lib import validate
from lecture_lib.optim import SGD, Momentum, Optimizer
from lecture_lib.surfaces import SURFACES, Surface, run
from lecture_lib.training import digits_net

#: Outcomes of a run on the "local minima" surface, E = ¼w1⁴ + ⅓w1³ - w1² + ½w2²: its barrier
#: is the local maximum of E along w1 at w1 = 0, between the local minimum (1, 0) and the
#: global one (-2, 0).
ESCAPED, STAYED, DIVERGED = "escaped", "stayed", "diverged"


def momentum_outcome(eta: float, beta: float, *, steps: int = 3000, start=None) -> str:
    """Where momentum (slides' convention; β = 0 is plain GD) ends on the "local minima" surface.

    Parameters
    ----------
    eta : float
        η > 0.
    beta : float
        0 <= β < 1.
    steps : int
        Long enough for the run to settle (the default settles every η >= 0.01).
    start : array-like of shape (2,), optional
        w_0; the surface's start (2, 1.5) if None.

    Returns
    -------
    str
        :data:`ESCAPED` (it ends in the global minimum's basin, w1 < 0), :data:`STAYED` (w1 > 0,
        the shallow minimum's side) or :data:`DIVERGED`.
    """
    eta = validate.positive_float("eta", eta)
    beta = validate.probability("beta", beta)
    optimizer = SGD(eta) if beta == 0 else Momentum(eta, beta)
    path = run("local minima", optimizer, steps=steps, start=start)
    if path.diverged:
        return DIVERGED
    return ESCAPED if path.w[-1, 0] < 0 else STAYED


def escape_grid(etas, betas, *, steps: int = 3000) -> np.ndarray:
    """:func:`momentum_outcome` for every (β, η) of a grid: shape (len(betas), len(etas))."""
    etas = [validate.positive_float("etas", e) for e in np.ravel(etas)]
    betas = [validate.probability("betas", b) for b in np.ravel(betas)]
    return np.array([[momentum_outcome(e, b, steps=steps) for e in etas] for b in betas])


def smallest_escaping_eta(beta: float, *, lo: float, hi: float, steps: int = 3000,
                          tol: float = 1e-3) -> float:
    """The smallest η in [lo, hi] with which momentum escapes the shallow minimum, by bisection.

    Assumes one change of outcome inside the bracket: ``lo`` stays, ``hi`` escapes (a ValueError
    otherwise). Returns the upper end of the final bracket, within ``tol`` × η of the edge.
    """
    lo, hi = validate.positive_float("lo", lo), validate.positive_float("hi", hi)
    tol = validate.positive_float("tol", tol)
    if not lo < hi:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    if momentum_outcome(lo, beta, steps=steps) != STAYED or momentum_outcome(
            hi, beta, steps=steps) != ESCAPED:
        raise ValueError(f"need a bracket whose lo stays and whose hi escapes, "
                         f"got lo={lo}, hi={hi}")
    while hi - lo > tol * lo:
        mid = 0.5 * (lo + hi)
        if momentum_outcome(mid, beta, steps=steps) == ESCAPED:
            hi = mid
        else:
            lo = mid
    return hi


def mean_error_over_seeds(surface: Surface | str, make: Callable[[], Optimizer], *, seeds,
                          noise: float, steps: int, skip: int) -> np.ndarray:
    """Mean E(w_t) over steps skip..steps of a noisy run, one value per seed.

    Run k adds Gaussian noise of standard deviation ``noise`` to every gradient, drawn by
    ``np.random.default_rng(seeds[k])`` (see :func:`lecture_lib.surfaces.run`).

    Parameters
    ----------
    surface : Surface or str
    make : callable
        ``make()`` returns a fresh optimizer, e.g. ``lambda: Momentum(0.04, 0.9)``.
    seeds : sequence of int
    noise : float
        σ > 0.
    steps, skip : int
        Run length and burn-in (0 <= skip < steps).

    Returns
    -------
    numpy.ndarray
        Shape (len(seeds),).
    """
    if not isinstance(surface, Surface):
        surface = SURFACES[validate.choice("surface", surface, SURFACES)]
    if not callable(make):
        raise ValueError(f"make must be a callable returning an optimizer, got {make!r:.80}")
    noise = validate.positive_float("noise", noise)
    steps = validate.positive_int("steps", steps, maximum=validate.MAX_STEPS)
    skip = validate.integer("skip", skip, minimum=0, maximum=steps - 1)
    seeds = [validate.integer("seeds", s, minimum=0) for s in np.ravel(seeds)]
    return np.array([run(surface, make(), steps=steps, noise=noise,
                         rng=np.random.default_rng(s)).E[skip:].mean() for s in seeds])


def first_step_lengths(surface: Surface, make: Callable[[], Optimizer], starts) -> np.ndarray:
    """|w_1 - w_0| of one exact-gradient step from each start (rows of ``starts``, shape (n, 2)).

    Shows how far a rule throws w from a point near a minimum, where the gradient is small.
    """
    surface = validate.instance("surface", surface, Surface, "a lecture_lib.surfaces.Surface")
    starts = validate.numbers("starts", starts)
    if starts.ndim != 2 or starts.shape[1] != 2:
        raise ValueError(f"starts must have shape (n, 2), got {starts.shape}")
    lengths = np.empty(len(starts))
    for k, start in enumerate(starts):
        path = run(surface, make(), steps=1, start=start)
        lengths[k] = np.inf if path.diverged else np.linalg.norm(path.w[1] - path.w[0])
    return lengths


def constant_gradient_steps(optimizer: Optimizer, *, steps: int, grad: float = 0.5) -> np.ndarray:
    """|w_t - w_{t-1}| / η for t = 1..steps when every Δ_t is the same number ``grad``.

    One weight, starting at 0; the optimizer's ``eta`` sets the unit. For SGD this is |grad|
    at every step; a rule that divides by √u_t (RMSProp, Adam) gives steps near 1 whatever
    ``grad`` is.
    """
    optimizer = validate.instance("optimizer", optimizer, Optimizer,
                                  "an optimizer of lecture_lib.optim")
    steps = validate.positive_int("steps", steps, maximum=validate.MAX_STEPS)
    grad = validate.finite_float("grad", grad)
    optimizer.reset()
    w = np.zeros(1)
    sizes = np.empty(steps)
    for t in range(steps):
        before = w[0]
        optimizer.step([w], [np.array([grad])])
        sizes[t] = abs(w[0] - before) / optimizer.eta
    return sizes


def with_epoch_zero(curves, splits, seeds) -> dict:
    """The curves of :func:`lecture_lib.sweeps.train_many` with the untrained networks in front.

    Column k is "epoch k": column 0 the untrained network ``digits_net(seeds[i])`` (test passes
    of :meth:`lecture_lib.network.MLP.evaluate`), column k >= 1 after k passes.

    Returns
    -------
    dict
        ``"train_loss"``, ``"val_loss"``, ``"val_acc"``: arrays of shape (K, epochs + 1).
    """
    seeds = np.ravel(seeds)
    if len(seeds) != len(curves.train_loss):
        raise ValueError(f"got {len(seeds)} seeds for {len(curves.train_loss)} networks")
    start = np.array([digits_net(int(s)).evaluate(splits.X_train, splits.y_train)
                      + digits_net(int(s)).evaluate(splits.X_val, splits.y_val) for s in seeds])
    return {"train_loss": np.column_stack([start[:, 0], curves.train_loss]),
            "val_loss": np.column_stack([start[:, 2], curves.val_loss]),
            "val_acc": np.column_stack([start[:, 3], curves.val_acc])}


def first_epoch_below(losses, level: float) -> np.ndarray:
    """For each row (a network; column k = epoch k), the first epoch whose loss is below
    ``level``. Every row must get there (a ValueError names the rows that do not)."""
    losses = np.asarray(losses, dtype=float)
    level = validate.positive_float("level", level)
    if losses.ndim != 2:
        raise ValueError(f"losses must have shape (networks, epochs), got {losses.shape}")
    reached = losses < level
    missing = np.flatnonzero(~reached.any(axis=1))
    if missing.size:
        raise ValueError(f"rows {missing.tolist()} never get below level={level}")
    return reached.argmax(axis=1)
