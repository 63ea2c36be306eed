"""Update rules: slides "Deep Learning Optimization".

Every rule is a small class with one interface::

    opt = Momentum(eta=0.1, beta=0.9)
    opt.step(params, grads)   # updates every array of ``params`` in place
    opt.reset()               # forgets v_t, u_t and t

``params`` is a list of float arrays (for instance ``MLP.params``) and ``grads`` the list of
the minibatch gradients Δ_t aligned with it. The state (v_t, u_t, the window of gradients) is
kept per position in that list, created at the first step with v_0 = u_0 = 0, and ``t`` counts
the steps taken since the last reset. All products of vectors are per component (⊙).

==============  ==============================================================================
rule            update (slides' notation)
==============  ==============================================================================
SGD             w_t = w_{t-1} - η Δ_t
MovingWindow    v_t = (1/M) Σ_{m=1..M} Δ_{t-m+1};   w_t = w_{t-1} - η v_t
Momentum        v_t = β v_{t-1} + (1-β) Δ_t;        w_t = w_{t-1} - η v_t
HeavyBall       v_t = β v_{t-1} + Δ_t;              w_t = w_{t-1} - η v_t   (d2l / PyTorch)
RMSProp         u_t = β u_{t-1} + (1-β) Δ_t⊙Δ_t;    w_t = w_{t-1} - η/√(u_t + ε) ⊙ Δ_t
Adam            momentum in v_t + RMSProp in u_t (+ bias correction, + optional global decay)
==============  ==============================================================================

Overflow is the expected symptom of a diverging run (η too large): the arithmetic of a step
runs under ``np.errstate(over="ignore", invalid="ignore")`` and may leave inf or nan in the
parameters; the caller (:func:`lecture_lib.surfaces.run`, :func:`lecture_lib.training.fit`)
detects the non-finite values and stops.
"""

from __future__ import annotations

import inspect
import math
from collections import deque

import numpy as np

from lecture_lib import validate

# --------------------------------------------------------------------------- base class


class Optimizer:
    """Common machinery: the step counter ``t``, lazy per-parameter state, ``reset``.

    A subclass implements ``_update(i, w, delta)``: update the array ``w`` (position ``i`` of
    ``params``) in place, given its gradient ``delta`` = Δ_t, with ``self.t`` already counting
    the current step (t = 1 at the first step).
    """

    def __init__(self) -> None:
        self.t = 0
        self._n_params: int | None = None

    def reset(self) -> None:
        """Forget all state: the next step is t = 1 again, with v_0 = u_0 = 0."""
        self.t = 0
        self._n_params = None
        self._reset_state()

    def _reset_state(self) -> None:
        """Subclasses drop their per-parameter state here."""

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """One update w_t = w_{t-1} - (step) of every array in ``params``, in place.

        Parameters
        ----------
        params : list of numpy.ndarray
            The weights w_{t-1}; each array is overwritten with w_t (same objects).
        grads : list of numpy.ndarray
            The gradients Δ_t, aligned with ``params``.
        """
        for name, value in (("params", params), ("grads", grads)):
            if not isinstance(value, (list, tuple)):
                raise ValueError(
                    f"{name} must be a list of numpy arrays (e.g. MLP.params), got "
                    f"{type(value).__name__}"
                )
        if len(params) != len(grads):
            raise ValueError(
                f"params has {len(params)} arrays but grads has {len(grads)}: one gradient "
                "per parameter array"
            )
        grads = [_checked_gradient(i, w, delta) for i, (w, delta) in enumerate(zip(params, grads))]
        if self._n_params is None:
            self._n_params = len(params)
        elif len(params) != self._n_params:
            raise ValueError(
                f"the optimizer holds state for {self._n_params} parameter arrays, got "
                f"{len(params)}; call reset() before using it on other parameters"
            )
        self.t += 1
        with np.errstate(over="ignore", invalid="ignore"):
            for i, (w, delta) in enumerate(zip(params, grads, strict=True)):
                self._update(i, w, delta)

    def _update(self, i: int, w: np.ndarray, delta: np.ndarray) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        hyper = ", ".join(
            f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k != "t"
        )
        return f"{type(self).__name__}({hyper})"


def _checked_gradient(i: int, w: object, delta: object) -> np.ndarray:
    """Δ of ``params[i]`` as a float array of ``w``'s shape; ``w`` must be updatable in place."""
    if not isinstance(w, np.ndarray) or w.dtype.kind != "f" or not w.flags.writeable:
        raise ValueError(
            f"params[{i}] must be a writeable numpy float array (updated in place), got "
            f"{type(w).__name__}"
            + (f" of dtype {w.dtype}" if isinstance(w, np.ndarray) else
               ": a plain Python number cannot be changed in place; use np.array([...])")
        )
    delta = np.asarray(delta)
    if delta.dtype.kind not in "biuf":
        raise ValueError(f"grads[{i}] must be numbers, got an array of dtype {delta.dtype}")
    if delta.shape != w.shape:
        raise ValueError(
            f"grads[{i}] has shape {delta.shape} but params[{i}] has shape {w.shape}: each "
            "gradient must have its parameter's shape (nothing is broadcast)"
        )
    return delta.astype(float, copy=False)


def lazy_state(state: list, i: int, like: np.ndarray) -> np.ndarray:
    """The state array of position ``i`` (zeros like ``like`` at the first step: v_0 = 0)."""
    if i == len(state):
        state.append(np.zeros_like(like, dtype=float))
    return state[i]


# --------------------------------------------------------------------------- the rules


class SGD(Optimizer):
    """Plain (minibatch) stochastic gradient descent, slides "Running Average Estimate".

    w_t = w_{t-1} - η v_t with the gradient estimate v_t = Δ_t of one minibatch.

    Parameters
    ----------
    eta : float
        Learning rate η > 0.
    """

    def __init__(self, eta: float) -> None:
        super().__init__()
        self.eta = validate.positive_float("eta", eta)

    def _update(self, i: int, w: np.ndarray, delta: np.ndarray) -> None:
        w -= self.eta * delta


class MovingWindow(Optimizer):
    """'Moving window' average of SG, slides "Running Average Estimate of Gradient".

    v_t = (1/M) Σ_{m=1..M} Δ_{t-m+1}  (the last M minibatch gradients, uniformly weighted)

    w_t = w_{t-1} - η v_t

    While t < M only the t gradients Δ_1, ..., Δ_t seen so far exist; v_t is then their mean
    (1/t) Σ_{m=1..t} Δ_{t-m+1}, not a sum divided by M. M = 1 is plain SGD.

    Parameters
    ----------
    eta : float
        Learning rate η > 0.
    M : int
        Window length M >= 1.
    """

    def __init__(self, eta: float, M: int) -> None:
        super().__init__()
        self.eta = validate.positive_float("eta", eta)
        self.M = validate.positive_int("M", M, maximum=validate.MAX_STEPS)
        self._windows: list[deque] = []

    def _reset_state(self) -> None:
        self._windows = []

    def _update(self, i: int, w: np.ndarray, delta: np.ndarray) -> None:
        if i == len(self._windows):
            self._windows.append(deque(maxlen=self.M))
        window = self._windows[i]
        window.append(delta.copy())  # the caller may reuse its gradient arrays
        v = sum(window) / len(window)
        w -= self.eta * v


class Momentum(Optimizer):
    """SGD with momentum, slides "Averaging SG Non-uniformly" / "Benefits of SGD with Momentum".

    v_t = β v_{t-1} + (1-β) Δ_t        (v_0 = 0)

    w_t = w_{t-1} - η v_t

    Unrolled, v_t = Σ_{m=1..t} β^(t-m) (1-β) Δ_m (the slide writes Δ_t inside the sum, a typo).
    β = 0 is SGD exactly.

    Other sources differ: d2l.ai and PyTorch's ``SGD(momentum=β)`` use v_t = β v_{t-1} + Δ_t
    (no factor 1-β). From v_0 = 0 their v_t is exactly the slide's v_t / (1-β), so their rule
    with learning rate η (1-β) walks the slide's path. PyTorch with ``dampening=β`` gives the
    slide's form except at its first step, where it sets v_1 = Δ_1 instead of (1-β) Δ_1.

    Parameters
    ----------
    eta : float
        Learning rate η > 0.
    beta : float
        0 <= β < 1; how much history to keep (an effective window of about 1/(1-β) steps).
    """

    def __init__(self, eta: float, beta: float) -> None:
        super().__init__()
        self.eta = validate.positive_float("eta", eta)
        self.beta = validate.probability("beta", beta)
        self._v: list[np.ndarray] = []

    def _reset_state(self) -> None:
        self._v = []

    def _update(self, i: int, w: np.ndarray, delta: np.ndarray) -> None:
        v = lazy_state(self._v, i, w)
        v[...] = self.beta * v + (1 - self.beta) * delta
        w -= self.eta * v


class HeavyBall(Optimizer):
    """SGD with momentum in the d2l.ai / PyTorch convention (no factor 1-β), for comparison.

    v_t = β v_{t-1} + Δ_t        (v_0 = 0; PyTorch ``SGD(momentum=β)``, d2l.ai's momentum)

    w_t = w_{t-1} - η v_t

    From v_0 = 0 this v_t is exactly the slides' v_t / (1-β) (:class:`Momentum`), so
    ``HeavyBall(eta * (1 - beta), beta)`` walks the same path as ``Momentum(eta, beta)``:
    the two conventions differ by a rescaled learning rate, not in the path they can reach.

    Parameters
    ----------
    eta : float
        Learning rate η > 0.
    beta : float
        0 <= β < 1.
    """

    def __init__(self, eta: float, beta: float) -> None:
        super().__init__()
        self.eta = validate.positive_float("eta", eta)
        self.beta = validate.probability("beta", beta)
        self._v: list[np.ndarray] = []

    def _reset_state(self) -> None:
        self._v = []

    def _update(self, i: int, w: np.ndarray, delta: np.ndarray) -> None:
        v = lazy_state(self._v, i, w)
        v[...] = self.beta * v + delta
        w -= self.eta * v


class RMSProp(Optimizer):
    """RMSProp: SGD with a per-component learning rate, slide "RMSProp".

    u_t = β u_{t-1} + (1-β) Δ_t ⊙ Δ_t        (u_0 = 0)

    η_t = η / √(u_t + ε)   per component

    w_t = w_{t-1} - η_t ⊙ Δ_t

    ε sits inside the square root, as on the slide; Hinton's lecture notes and PyTorch's
    ``RMSprop`` put it outside, η / (√u_t + ε). The two differ only where u_t is comparable to ε.

    Parameters
    ----------
    eta : float
        Learning rate η > 0.
    beta : float
        0 <= β < 1, the decay of the running average of Δ_t ⊙ Δ_t.
    eps : float
        ε > 0, keeps the division finite where u_t = 0.
    """

    def __init__(self, eta: float, beta: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__()
        self.eta = validate.positive_float("eta", eta)
        self.beta = validate.probability("beta", beta)
        self.eps = validate.positive_float("eps", eps)
        self._u: list[np.ndarray] = []

    def _reset_state(self) -> None:
        self._u = []

    def _update(self, i: int, w: np.ndarray, delta: np.ndarray) -> None:
        u = lazy_state(self._u, i, w)
        u[...] = self.beta * u + (1 - self.beta) * delta * delta
        w -= self.eta / np.sqrt(u + self.eps) * delta


class Adam(Optimizer):
    """Adam, adaptive moment estimation, slide "Adam": momentum + RMSProp + global decay.

    v_t = β1 v_{t-1} + (1-β1) Δ_t                  (momentum; v_0 = 0)

    u_t = β2 u_{t-1} + (1-β2) Δ_t ⊙ Δ_t            (RMSProp; u_0 = 0)

    η_t = η / √(u_t + ε) · 1/√(t/N)                per component

    w_t = w_{t-1} - η_t ⊙ v_t

    The slide's "(some minor correction of estimation)" is Kingma & Ba's bias correction:
    v_0 = u_0 = 0 pulls the running averages towards 0 in the first steps, so with
    ``bias_correction=True`` (the default, as in the paper) v_t and u_t above are replaced by
    v̂_t = v_t / (1 - β1^t) and û_t = u_t / (1 - β2^t). With ``bias_correction=False`` the
    slide's bare v_t and u_t are used.

    The global decay 1/√(t/N) is applied only with ``decay_steps=N``. While t < N the factor
    exceeds 1 and *enlarges* the first steps (√N times at t = 1). Kingma & Ba's default
    algorithm has no such decay; it appears in their convergence analysis as a step size α/√t.

    ε sits inside the square root, as on the slide. Kingma & Ba and ``torch.optim.Adam`` use
    η / (√û_t + ε); the difference matters only where û_t is comparable to ε.

    Parameters
    ----------
    eta : float
        Learning rate η > 0 (the paper's α; its default is 0.001).
    beta1, beta2 : float
        0 <= β1, β2 < 1, decays of the running averages of Δ_t and of Δ_t ⊙ Δ_t.
    eps : float
        ε > 0.
    bias_correction : bool
        Use v̂_t, û_t (Kingma & Ba) instead of the slide's v_t, u_t.
    decay_steps : int or None
        N >= 1 of the global decay 1/√(t/N); None: no global decay.
    """

    def __init__(
        self,
        eta: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        bias_correction: bool = True,
        decay_steps: int | None = None,
    ) -> None:
        super().__init__()
        self.eta = validate.positive_float("eta", eta)
        self.beta1 = validate.probability("beta1", beta1)
        self.beta2 = validate.probability("beta2", beta2)
        self.eps = validate.positive_float("eps", eps)
        self.bias_correction = validate.boolean("bias_correction", bias_correction)
        self.decay_steps = validate.optional_positive_int("decay_steps", decay_steps)
        self._v: list[np.ndarray] = []
        self._u: list[np.ndarray] = []

    def _reset_state(self) -> None:
        self._v, self._u = [], []

    def global_decay(self, t: int) -> float:
        """The slide's factor 1/√(t/N) at step t (1 without ``decay_steps``)."""
        return 1.0 if self.decay_steps is None else 1.0 / math.sqrt(t / self.decay_steps)

    def _update(self, i: int, w: np.ndarray, delta: np.ndarray) -> None:
        v = lazy_state(self._v, i, w)
        u = lazy_state(self._u, i, w)
        v[...] = self.beta1 * v + (1 - self.beta1) * delta
        u[...] = self.beta2 * u + (1 - self.beta2) * delta * delta
        v_hat, u_hat = v, u
        if self.bias_correction:
            v_hat = v / (1 - self.beta1**self.t)
            u_hat = u / (1 - self.beta2**self.t)
        eta_t = self.eta / np.sqrt(u_hat + self.eps) * self.global_decay(self.t)
        w -= eta_t * v_hat


# --------------------------------------------------------------------------- by name


class StepFunction(Optimizer):
    """An update rule made of a function, e.g. one a student writes in the exercises.

    ``step_function(w, delta, *state, **hyper)`` gets a copy of w_{t-1}, the gradient Δ_t and
    the ``n_state`` state arrays of the rule (v_{t-1}, u_{t-1}, ...; zero at the first step, as
    v_0 = u_0 = 0), plus ``t=`` when ``uses_t`` is set, and returns ``(w_t, *new_state)``.
    Each parameter array keeps its own state, so the rule runs wherever a built-in one does
    (:func:`lecture_lib.surfaces.run`, :func:`lecture_lib.training.fit`).

    >>> def sgd_step(w, delta, eta):
    ...     return (w - eta * delta,)
    >>> rule = StepFunction(sgd_step, n_state=0, eta=0.1)
    """

    def __init__(self, step_function, n_state: int, *, uses_t: bool = False, **hyper) -> None:
        super().__init__()
        if not callable(step_function):
            raise ValueError(f"step_function must be a function, got {step_function!r}")
        self.step_function = step_function
        self.n_state = validate.non_negative_int("n_state", n_state, maximum=16)
        self.uses_t = validate.boolean("uses_t", uses_t)
        self.hyper = hyper
        self._state: list[list[np.ndarray]] = []

    def _reset_state(self) -> None:
        self._state = []

    def _update(self, i: int, w: np.ndarray, delta: np.ndarray) -> None:
        if i == len(self._state):
            self._state.append([np.zeros_like(w) for _ in range(self.n_state)])
        extra = {"t": self.t} if self.uses_t else {}
        result = self.step_function(w.copy(), delta, *self._state[i], **extra, **self.hyper)
        name = getattr(self.step_function, "__name__", "step_function")
        if not isinstance(result, (tuple, list)) or len(result) != 1 + self.n_state:
            raise TypeError(
                f"{name} returned {type(result).__name__}; it must return (w_t, *state) with "
                f"{self.n_state} state array(s)" + (" (replace the ... by your code)"
                                                     if result is None else "")
            )
        new_w, *self._state[i] = result
        w[...] = new_w


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "SGD": SGD,
    "moving window": MovingWindow,
    "momentum": Momentum,
    "heavy ball": HeavyBall,
    "RMSProp": RMSProp,
    "Adam": Adam,
}


def make_optimizer(name: str, **hyper) -> Optimizer:
    """``OPTIMIZERS[name](**hyper)``, e.g. ``make_optimizer("momentum", eta=0.1, beta=0.9)``.

    An unknown name or hyperparameter is a ValueError listing what the rule accepts.
    """
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(
            f"name (the optimizer) must be one of {', '.join(map(repr, OPTIMIZERS))}; "
            f"got {name!r}"
        )
    rule = OPTIMIZERS[name]
    accepted = list(inspect.signature(rule).parameters)
    unknown = sorted(set(hyper) - set(accepted))
    if unknown:
        raise ValueError(
            f"{name} has no hyperparameter {', '.join(unknown)}; it takes {', '.join(accepted)}"
        )
    missing = [p.name for p in inspect.signature(rule).parameters.values()
               if p.default is inspect.Parameter.empty and p.name not in hyper]
    if missing:
        raise ValueError(f"{name} needs {', '.join(missing)} (it takes {', '.join(accepted)})")
    return rule(**hyper)
