"""Update rules: slides "Deep Learning Optimization".

Every rule exists once, as a pure step on arrays in the slides' notation::

    step(w, delta, *state, [t=t,] **hyper) -> (w_t, *state_t)

(``w`` = w_{t-1}, ``delta`` = the minibatch gradient Δ_t, ``state`` = v_{t-1}, u_{t-1}, ...,
zero at the first step as v_0 = u_0 = 0; all products are per component, ⊙), the form the
exercises use. :data:`RULES` is the registry: each :class:`Rule` carries its step, its
hyperparameters with their ranges and defaults, what a single "β" sets for it, and its line
style. Everything that lists rules enumerates it: the optimizer classes below (thin stateful
wrappers), :func:`make_optimizer`, :func:`lecture_lib.sweeps.train_many` (the same steps on
stacked arrays of K networks), the dashboards' menus and line styles and the η sweeps. Adding a
rule is one :func:`register` call.

==============  ==============================================================================
rule            update (slides' notation)
==============  ==============================================================================
SGD             w_t = w_{t-1} - η Δ_t
momentum        v_t = β v_{t-1} + (1-β) Δ_t;        w_t = w_{t-1} - η v_t
RMSProp         u_t = β u_{t-1} + (1-β) Δ_t⊙Δ_t;    w_t = w_{t-1} - η/√(u_t + ε) ⊙ Δ_t
Adam            momentum in v_t + RMSProp in u_t (+ bias correction, + optional global decay)
moving window   v_t = (1/M) Σ_{m=1..M} Δ_{t-m+1};   w_t = w_{t-1} - η v_t
heavy ball      v_t = β v_{t-1} + Δ_t;              w_t = w_{t-1} - η v_t   (d2l / PyTorch)
printed rate    w_t = w_{t-1} - η/(Δ_t⊙Δ_t + ε) ⊙ Δ_t   (the slide's printed formula)
==============  ==============================================================================

RMSProp and Adam take the slide's global decay η_t = η · 1/√(t/N) with ``decay_steps=N``.

The classes keep the state per array of a list ``params`` (for instance ``MLP.params``)::

    opt = Momentum(eta=0.1, beta=0.9)
    opt.step(params, grads)   # updates every array of ``params`` in place
    opt.reset()               # forgets v_t, u_t and t

Overflow is the expected symptom of a diverging run (η too large): the arithmetic of a step
runs under ``np.errstate(over="ignore", invalid="ignore")`` and may leave inf or nan in the
parameters; the caller (:func:`lecture_lib.surfaces.run`, :func:`lecture_lib.training.fit`)
detects the non-finite values and stops.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lecture_lib import validate

# --------------------------------------------------------------------------- the steps


def global_decay(t: int, decay_steps: int | None) -> float:
    """The slide "Adam"'s factor 1/√(t/N) at step t, N = ``decay_steps`` (1 for None).

    While t < N the factor exceeds 1 and *enlarges* the first steps (√N times at t = 1).
    """
    return 1.0 if decay_steps is None else 1.0 / math.sqrt(t / decay_steps)


def sgd_step(w, delta, *, eta):
    """Plain (minibatch) SGD, slides "Running Average Estimate": w_t = w_{t-1} - η Δ_t."""
    return (w - eta * delta,)


def momentum_step(w, delta, v, *, eta, beta):
    """SGD with momentum, slides "Averaging SG Non-uniformly" / "Benefits of SGD with Momentum".

    v_t = β v_{t-1} + (1-β) Δ_t;  w_t = w_{t-1} - η v_t.

    Unrolled, v_t = Σ_{m=1..t} β^(t-m) (1-β) Δ_m (the slide writes Δ_t inside the sum, a typo).
    β = 0 is SGD exactly. d2l.ai and PyTorch's ``SGD(momentum=β)`` use v_t = β v_{t-1} + Δ_t
    (:func:`heavy_ball_step`): from v_0 = 0 their v_t is exactly the slide's v_t / (1-β), so
    their rule with learning rate η (1-β) walks the slide's path. PyTorch with ``dampening=β``
    gives the slide's form except at its first step, where it sets v_1 = Δ_1.
    """
    v = beta * v + (1 - beta) * delta
    return w - eta * v, v


def rmsprop_step(w, delta, u, *, t, eta, beta, eps, decay_steps=None):
    """RMSProp, slide "RMSProp": a per-component learning rate.

    u_t = β u_{t-1} + (1-β) Δ_t ⊙ Δ_t;  η_t = η / √(u_t + ε) (· 1/√(t/N) with
    ``decay_steps=N``, the global decay of the slide "Adam");  w_t = w_{t-1} - η_t ⊙ Δ_t.

    The step is computed as η · (Δ_t / √(u_t + ε)) (the order of the vectorised trainer whose
    numbers the notebooks print). ε sits inside the square root, as on the slide; Hinton's
    lecture notes and PyTorch's ``RMSprop`` put it outside, η / (√u_t + ε): they differ only
    where u_t is comparable to ε.
    Without the decay the step η Δ_t/√u_t stays about η per component however small Δ_t
    becomes, so RMSProp cannot settle closer than about η to a minimum; 1/√(t/N) lets it.
    """
    u = beta * u + (1 - beta) * delta * delta
    return w - eta * global_decay(t, decay_steps) * (delta / np.sqrt(u + eps)), u


def adam_step(w, delta, v, u, *, t, eta, beta1, beta2, eps, bias_correction=True,
              decay_steps=None):
    """Adam, slide "Adam": momentum + RMSProp + global decay.

    v_t = β1 v_{t-1} + (1-β1) Δ_t;  u_t = β2 u_{t-1} + (1-β2) Δ_t ⊙ Δ_t;
    η_t = η / √(u_t + ε) · 1/√(t/N);  w_t = w_{t-1} - η_t ⊙ v_t.

    The slide's "(some minor correction of estimation)" is Kingma & Ba's bias correction:
    v_0 = u_0 = 0 pulls the averages towards 0 in the first steps, so with
    ``bias_correction`` (the paper's default) v̂_t = v_t / (1 - β1^t) and û_t = u_t / (1 - β2^t)
    replace v_t and u_t in the step. The global decay acts only with ``decay_steps=N``; Kingma &
    Ba's algorithm has none (it appears in their analysis as a step size α/√t). ε sits inside
    the square root, as on the slide; the paper and ``torch.optim.Adam`` use η / (√û_t + ε).
    """
    v = beta1 * v + (1 - beta1) * delta
    u = beta2 * u + (1 - beta2) * delta * delta
    v_hat, u_hat = v, u
    if bias_correction:
        v_hat = v / (1 - beta1**t)
        u_hat = u / (1 - beta2**t)
    return w - eta * global_decay(t, decay_steps) * (v_hat / np.sqrt(u_hat + eps)), v, u


def moving_window_step(w, delta, window, *, t, eta, M):
    """'Moving window' average of SG, slides "Running Average Estimate of Gradient".

    v_t = (1/M) Σ_{m=1..M} Δ_{t-m+1} (the last M minibatch gradients, uniformly weighted);
    w_t = w_{t-1} - η v_t. While t < M only Δ_1, ..., Δ_t exist; v_t is then their mean.
    M = 1 is plain SGD. ``window`` holds the last M gradients on its last axis, oldest first.
    """
    window = np.concatenate([window[..., 1:], delta[..., None]], axis=-1)
    n = min(t, M)
    v = sum(window[..., m] for m in range(M - n, M)) / n
    return w - eta * v, window


def heavy_ball_step(w, delta, v, *, eta, beta):
    """Momentum in the d2l.ai / PyTorch convention (``SGD(momentum=β)``), for comparison.

    v_t = β v_{t-1} + Δ_t;  w_t = w_{t-1} - η v_t. From v_0 = 0 this v_t is exactly the
    slides' v_t / (1-β), so η (1-β) here walks the path of :func:`momentum_step` with η: the
    conventions differ by a rescaled learning rate, not in the paths they can reach.
    """
    v = beta * v + delta
    return w - eta * v, v


def printed_rate_step(w, delta, *, eta, eps):
    """The slide's example of a per-component rate ("Running Average of Gradient Magnitude":
    *want* a smaller step for a larger gradient component, *say* η_t = η / (Δ_t ⊙ Δ_t + ε)),
    w_t = w_{t-1} - η_t ⊙ Δ_t.

    It meets the slide's want: the step η Δ/Δ² = η/|Δ| is smaller for a larger component. It
    over-corrects: the step blows up where the gradient vanishes (near a minimum) and changes
    with the scale of E. RMSProp divides by √u_t ≈ |Δ| instead, a step of about η whatever
    that scale; with β = 0 that is η·sign(Δ).
    """
    return (w - eta / (delta * delta + eps) * delta,)


# --------------------------------------------------------------------------- the registry

REQUIRED = object()  # the default of a hyperparameter that has none


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter of a rule: its keyword, symbol, allowed range and default.

    ``check(name, value)`` returns the value converted, or raises a ValueError naming it.
    """

    name: str
    symbol: str
    check: Callable[[str, object], object]
    range: str
    default: object = REQUIRED
    meaning: str = ""

    @property
    def required(self) -> bool:
        """It has no default: every optimizer of the rule must be given it."""
        return self.default is REQUIRED


def _eta() -> Hyperparameter:
    return Hyperparameter("eta", "η", validate.positive_float, "η > 0", meaning="learning rate")


def _eps(default: float = 1e-8) -> Hyperparameter:
    return Hyperparameter("eps", "ε", validate.positive_float, "ε > 0", default,
                          "keeps the division finite where the average is 0")


def _decay_steps() -> Hyperparameter:
    return Hyperparameter("decay_steps", "N", validate.optional_positive_int,
                          "None or an integer N >= 1", None,
                          "the slide's global decay 1/√(t/N); None: no decay")


def _window(name: str, value: object) -> int:
    return validate.positive_int(name, value, maximum=validate.MAX_STEPS)


@dataclass(frozen=True)
class Rule:
    """One update rule of the registry.

    Attributes
    ----------
    name : str
        Its name in menus, legends and :func:`make_optimizer`.
    step : callable
        The pure step ``step(w, delta, *state, [t=t,] **hyper) -> (w_t, *state_t)``.
    hyperparameters : tuple of Hyperparameter, or None
        In the order of the optimizer class's arguments; None accepts any keywords unchecked
        (a student's :class:`StepFunction`).
    formula : str
        The update in the slides' notation, one line.
    state : tuple of str
        Names of the state arrays (v, u, ...), zero at the first step.
    uses_t : bool
        The step takes the step number ``t=`` (1 at the first step).
    beta : str or None
        The hyperparameter a single "β" sets (dashboards, :func:`lecture_lib.sweeps.train_many`):
        "beta" for momentum and RMSProp, Adam's "beta1"; None for a rule without one.
    style : int
        Its colour and dash pattern: ``lecture_lib.plots.series_style(style)``.
    in_dashboards : bool
        Shown in the dashboards' menus and the notebooks' comparisons of rules.
    new_state : callable or None
        ``new_state(w, dtype, **hyper)`` -> the state arrays at the first step; None: zeros
        like w.
    """

    name: str
    step: Callable
    hyperparameters: tuple[Hyperparameter, ...] | None
    formula: str = ""
    state: tuple[str, ...] = ()
    uses_t: bool = False
    beta: str | None = None
    style: int = 0
    in_dashboards: bool = True
    new_state: Callable | None = field(default=None, repr=False)

    def takes(self, name: str) -> bool:
        """Whether the rule has the hyperparameter ``name``."""
        return self.hyperparameters is None or any(h.name == name for h in self.hyperparameters)

    @property
    def names(self) -> tuple[str, ...]:
        """The keywords of its hyperparameters, in order."""
        return tuple(h.name for h in self.hyperparameters or ())

    def defaults(self) -> dict:
        """The hyperparameters that have a default, with it."""
        return {h.name: h.default for h in self.hyperparameters or () if not h.required}

    def pick(self, values: dict) -> dict:
        """The entries of ``values`` the rule takes (a dashboard sets η, β, β1, β2 for all)."""
        return {name: value for name, value in values.items() if self.takes(name)}

    def checked(self, hyper: dict) -> dict:
        """``hyper`` checked and completed with the defaults; a ValueError names an unknown,
        missing or out-of-range hyperparameter."""
        if self.hyperparameters is None:
            return dict(hyper)
        accepted = ", ".join(self.names)
        unknown = sorted(set(hyper) - set(self.names))
        if unknown:
            raise ValueError(f"{self.name} has no hyperparameter {', '.join(unknown)}; it takes "
                             f"{accepted}")
        missing = [h.name for h in self.hyperparameters if h.required and h.name not in hyper]
        if missing:
            raise ValueError(f"{self.name} needs {', '.join(missing)} (it takes {accepted})")
        return {h.name: h.check(h.name, hyper[h.name]) if h.name in hyper else h.default
                for h in self.hyperparameters}

    def initial_state(self, w: np.ndarray, hyper: dict, dtype=float) -> list[np.ndarray]:
        """The state arrays of ``dtype`` at the first step for parameters ``w`` (v_0 = u_0 = 0)."""
        if self.new_state is not None:
            return list(self.new_state(w, dtype, **hyper))
        return [np.zeros_like(w, dtype=dtype) for _ in self.state]


#: The registry: name -> :class:`Rule`, in the order menus list them.
RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add ``rule`` to :data:`RULES` (adding a rule is this one call). A rule the dashboards
    show needs a ``style`` no other shown rule has: its line must differ without colour too."""
    rule = validate.instance("rule", rule, Rule, "a lecture_lib.optim.Rule")
    taken = {other.style: other.name for other in RULES.values()
             if other.in_dashboards and other.name != rule.name}
    if rule.in_dashboards and rule.style in taken:
        raise ValueError(f"style {rule.style} is {taken[rule.style]}'s; give {rule.name} another")
    RULES[rule.name] = rule
    return rule


def dashboard_rules() -> list[Rule]:
    """The rules of :data:`RULES` the dashboards and comparisons show, in registry order."""
    return [rule for rule in RULES.values() if rule.in_dashboards]


def get_rule(name: object) -> Rule:
    """The rule ``name`` of :data:`RULES`; a ValueError lists the names."""
    return RULES[validate.choice("rule", name, RULES)]


def _beta(default: object, meaning: str, name: str = "beta", symbol: str = "β") -> Hyperparameter:
    return Hyperparameter(name, symbol, validate.probability, f"0 <= {symbol} < 1", default,
                          meaning)


register(Rule("SGD", sgd_step, (_eta(),), "w_t = w_{t-1} - η Δ_t", style=0))
register(Rule(
    "momentum", momentum_step,
    (_eta(), _beta(REQUIRED, "weight of the history v_{t-1}; an effective window of about "
                   "1/(1-β) steps")),
    "v_t = β v_{t-1} + (1-β) Δ_t;  w_t = w_{t-1} - η v_t", state=("v",), beta="beta", style=1))
register(Rule(
    "RMSProp", rmsprop_step,
    (_eta(), _beta(0.9, "decay of the running average u_t of Δ_t ⊙ Δ_t"), _eps(),
     _decay_steps()),
    "u_t = β u_{t-1} + (1-β) Δ_t⊙Δ_t;  w_t = w_{t-1} - η/√(u_t + ε) ⊙ Δ_t", state=("u",),
    uses_t=True, beta="beta", style=2))
register(Rule(
    "Adam", adam_step,
    (_eta(), _beta(0.9, "decay of the momentum average v_t", "beta1", "β1"),
     _beta(0.999, "decay of the average u_t of Δ_t ⊙ Δ_t", "beta2", "β2"), _eps(),
     Hyperparameter("bias_correction", "bias correction", validate.boolean, "True or False",
                    True, "use v̂_t, û_t (Kingma & Ba) instead of the slide's v_t, u_t"),
     _decay_steps()),
    "momentum in v_t + RMSProp in u_t, bias-corrected;  w_t = w_{t-1} - η/√(û_t + ε) ⊙ v̂_t",
    state=("v", "u"), uses_t=True, beta="beta1", style=3))
register(Rule(
    "moving window", moving_window_step,
    (_eta(), Hyperparameter("M", "M", _window, "an integer M >= 1", meaning="window length")),
    "v_t = (1/M) Σ_{m=1..M} Δ_{t-m+1};  w_t = w_{t-1} - η v_t", state=("window",),
    uses_t=True, style=4, in_dashboards=False,
    new_state=lambda w, dtype, eta, M: [np.zeros(np.shape(w) + (M,), dtype=dtype)]))
register(Rule(
    "heavy ball", heavy_ball_step,
    (_eta(), _beta(REQUIRED, "weight of the history v_{t-1} (v_t = β v_{t-1} + Δ_t)")),
    "v_t = β v_{t-1} + Δ_t;  w_t = w_{t-1} - η v_t  (d2l / PyTorch)", state=("v",),
    beta="beta", style=5, in_dashboards=False))
register(Rule(
    "printed rate", printed_rate_step, (_eta(), _eps()),
    "w_t = w_{t-1} - η/(Δ_t⊙Δ_t + ε) ⊙ Δ_t  (as printed on the slide)", style=6,
    in_dashboards=False))


# --------------------------------------------------------------------------- stateful wrappers


class Optimizer:
    """A rule of :data:`RULES` with its hyperparameters, the step counter ``t`` and the state
    of each parameter array (created at the first step, v_0 = u_0 = 0).

    ``Optimizer("momentum", eta=0.1, beta=0.9)`` is :class:`Momentum` ``(0.1, 0.9)``; the
    hyperparameters are also attributes (``opt.eta``).
    """

    def __init__(self, rule: str | Rule, **hyper) -> None:
        self.rule = rule if isinstance(rule, Rule) else get_rule(rule)
        self.hyper = self.rule.checked(hyper)
        self.t = 0
        self._n_params: int | None = None
        self._state: list[list[np.ndarray]] = []

    def __getattr__(self, name: str):
        hyper = self.__dict__.get("hyper", {})
        if name in hyper:
            return hyper[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name: str, value) -> None:
        hyper = self.__dict__.get("hyper", {})
        if name in hyper:  # opt.eta = 0.01 between steps: the next step uses it (checked)
            hyper[name] = self.rule.checked({**hyper, name: value})[name]
        else:
            super().__setattr__(name, value)

    def reset(self) -> None:
        """Forget all state: the next step is t = 1 again, with v_0 = u_0 = 0."""
        self.t = 0
        self._n_params = None
        self._state = []

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
        rule = self.rule
        if i == len(self._state):
            self._state.append(rule.initial_state(w, self.hyper))
        extra = {"t": self.t} if rule.uses_t else {}
        result = rule.step(w, delta, *self._state[i], **extra, **self.hyper)
        if not isinstance(result, (tuple, list)) or len(result) != 1 + len(self._state[i]):
            name = getattr(rule.step, "__name__", "step_function")
            raise TypeError(
                f"{name} returned {type(result).__name__}; it must return (w_t, *state) with "
                f"{len(self._state[i])} state array(s)"
                + (" (replace the ... by your code)" if result is None else "")
            )
        new_w, *self._state[i] = result
        w[...] = new_w

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in self.hyper.items())
        if type(self) is Optimizer:
            return f"Optimizer({self.rule.name!r}, {hyper})"
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


class SGD(Optimizer):
    """:func:`sgd_step`: w_t = w_{t-1} - η Δ_t.

    Parameters
    ----------
    eta : float
        Learning rate η > 0.
    """

    def __init__(self, eta: float) -> None:
        super().__init__("SGD", eta=eta)


class Momentum(Optimizer):
    """:func:`momentum_step`: v_t = β v_{t-1} + (1-β) Δ_t, w_t = w_{t-1} - η v_t.

    Parameters
    ----------
    eta : float
        Learning rate η > 0.
    beta : float
        0 <= β < 1; how much history to keep (an effective window of about 1/(1-β) steps).
    """

    def __init__(self, eta: float, beta: float) -> None:
        super().__init__("momentum", eta=eta, beta=beta)


class RMSProp(Optimizer):
    """:func:`rmsprop_step`: u_t = β u_{t-1} + (1-β) Δ_t⊙Δ_t, w_t = w_{t-1} - η/√(u_t + ε) ⊙ Δ_t.

    Parameters
    ----------
    eta : float
        Learning rate η > 0.
    beta : float
        0 <= β < 1, the decay of the running average of Δ_t ⊙ Δ_t.
    eps : float
        ε > 0, keeps the division finite where u_t = 0.
    decay_steps : int or None
        N >= 1 of the slide's global decay 1/√(t/N); None: no decay.
    """

    def __init__(self, eta: float, beta: float = 0.9, eps: float = 1e-8,
                 decay_steps: int | None = None) -> None:
        super().__init__("RMSProp", eta=eta, beta=beta, eps=eps, decay_steps=decay_steps)


class Adam(Optimizer):
    """:func:`adam_step`: momentum + RMSProp + (optional) global decay, bias-corrected.

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

    def __init__(self, eta: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 bias_correction: bool = True, decay_steps: int | None = None) -> None:
        super().__init__("Adam", eta=eta, beta1=beta1, beta2=beta2, eps=eps,
                         bias_correction=bias_correction, decay_steps=decay_steps)

    def global_decay(self, t: int) -> float:
        """The slide's factor 1/√(t/N) at step t (1 without ``decay_steps``)."""
        return global_decay(t, self.decay_steps)


class MovingWindow(Optimizer):
    """:func:`moving_window_step`: the mean of the last M gradients, w_t = w_{t-1} - η v_t.

    Parameters
    ----------
    eta : float
        Learning rate η > 0.
    M : int
        Window length M >= 1.
    """

    def __init__(self, eta: float, M: int) -> None:
        super().__init__("moving window", eta=eta, M=M)


class HeavyBall(Optimizer):
    """:func:`heavy_ball_step`: v_t = β v_{t-1} + Δ_t, w_t = w_{t-1} - η v_t (d2l / PyTorch).

    ``HeavyBall(eta * (1 - beta), beta)`` walks the same path as ``Momentum(eta, beta)``.

    Parameters
    ----------
    eta : float
        Learning rate η > 0.
    beta : float
        0 <= β < 1.
    """

    def __init__(self, eta: float, beta: float) -> None:
        super().__init__("heavy ball", eta=eta, beta=beta)


class PrintedRate(Optimizer):
    """:func:`printed_rate_step`: the slide's example rate η / (Δ_t ⊙ Δ_t + ε) (it meets the
    slide's want and over-corrects).

    Parameters
    ----------
    eta : float
        η > 0.
    eps : float
        ε > 0, keeps the division finite.
    """

    def __init__(self, eta: float, eps: float = 1e-8) -> None:
        super().__init__("printed rate", eta=eta, eps=eps)


class StepFunction(Optimizer):
    """An update rule made of a function, e.g. one a student writes in the exercises.

    ``step_function(w, delta, *state, **hyper)`` gets a copy of w_{t-1}, the gradient Δ_t and
    the ``n_state`` state arrays of the rule (v_{t-1}, u_{t-1}, ...; zero at the first step, as
    v_0 = u_0 = 0), plus ``t=`` when ``uses_t`` is set, and returns ``(w_t, *new_state)``: the
    form of the steps of :data:`RULES`. Each parameter array keeps its own state, so the rule
    runs wherever a built-in one does (:func:`lecture_lib.surfaces.run`,
    :func:`lecture_lib.training.fit`).

    >>> def sgd_step(w, delta, eta):
    ...     return (w - eta * delta,)
    >>> rule = StepFunction(sgd_step, n_state=0, eta=0.1)
    """

    def __init__(self, step_function, n_state: int, *, uses_t: bool = False, **hyper) -> None:
        if not callable(step_function):
            raise ValueError(f"step_function must be a function, got {step_function!r}")
        n_state = validate.non_negative_int("n_state", n_state, maximum=16)
        uses_t = validate.boolean("uses_t", uses_t)

        def on_a_copy(w, delta, *state, **kwargs):  # a student's function may change w in place
            return step_function(w.copy(), delta, *state, **kwargs)

        on_a_copy.__name__ = getattr(step_function, "__name__", "step_function")
        rule = Rule(on_a_copy.__name__, on_a_copy, None, state=("state",) * n_state,
                    uses_t=uses_t, in_dashboards=False,
                    new_state=lambda w, _dtype, **_: [np.zeros_like(w) for _ in range(n_state)])
        super().__init__(rule, **hyper)
        self.step_function, self.n_state, self.uses_t = step_function, n_state, uses_t

    def __repr__(self) -> str:
        return f"StepFunction({self.rule.name}, n_state={self.n_state}, {self.hyper})"


def make_optimizer(name: str, **hyper) -> Optimizer:
    """The rule ``name`` of :data:`RULES` with its hyperparameters, e.g.
    ``make_optimizer("momentum", eta=0.1, beta=0.9)``.

    An unknown name or hyperparameter is a ValueError listing what the rule accepts; a
    dashboard that sets η, β, β1, β2 for every rule passes ``get_rule(name).pick(values)``.
    """
    if not isinstance(name, str) or name not in RULES:
        raise ValueError(
            f"name (the optimizer) must be one of {', '.join(map(repr, RULES))}; got {name!r}"
        )
    return Optimizer(name, **hyper)
