"""Update rules against the slides' recursions, written out again here scalar by scalar."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lecture_lib.checks import rel_error
from lecture_lib.optim import (
    RULES,
    SGD,
    Adam,
    HeavyBall,
    Momentum,
    MovingWindow,
    PrintedRate,
    RMSProp,
    make_optimizer,
)
from lecture_lib.surfaces import run

SHAPES = [(3,), (2, 4), (1,), (2, 2, 3)]
T = 60


def random_problem(seed: int, scale: float = 1.0):
    """Initial params of several shapes and T steps of random gradients Δ_1..Δ_T."""
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s) for s in SHAPES]
    grads = [[scale * rng.standard_normal(s) for s in SHAPES] for _ in range(T)]
    return params, grads


def run_optimizer(opt, params, grads):
    """Trajectory w_0..w_T of ``opt`` (a list per step of copies of the params)."""
    params = [p.copy() for p in params]
    path = [[p.copy() for p in params]]
    for g in grads:
        opt.step(params, g)
        path.append([p.copy() for p in params])
    return path


def run_scalar(rule, params, grads):
    """Trajectory of a scalar rule ``rule(w0, deltas) -> [w_0, ..., w_T]`` applied per entry."""
    path = [[np.empty(s) for s in SHAPES] for _ in range(T + 1)]
    for k, p in enumerate(params):
        for idx in np.ndindex(p.shape):
            ws = rule(float(p[idx]), [float(g[k][idx]) for g in grads])
            for t, w in enumerate(ws):
                path[t][k][idx] = w
    return path


def assert_same_path(path, expected, tol=1e-12):
    assert len(path) == len(expected)
    for t, (step, ref) in enumerate(zip(path, expected, strict=True)):
        for p, q in zip(step, ref, strict=True):
            assert p.shape == q.shape
            assert rel_error(p, q) <= tol, f"step {t}"


# --------------------------------------------------------------------------- scalar recursions


def sgd_ref(eta):
    def rule(w, deltas):
        ws = [w]
        for d in deltas:
            w = w - eta * d
            ws.append(w)
        return ws

    return rule


def window_ref(eta, M):
    def rule(w, deltas):
        ws = [w]
        for t in range(1, len(deltas) + 1):
            # v_t = (1/M) Σ_{m=1..M} Δ_{t-m+1}, only over the Δ that exist (t-m+1 >= 1)
            seen = [deltas[t - m] for m in range(1, M + 1) if t - m + 1 >= 1]
            v = sum(seen) / len(seen)
            w = w - eta * v
            ws.append(w)
        return ws

    return rule


def momentum_ref(eta, beta):
    def rule(w, deltas):
        ws, v = [w], 0.0
        for d in deltas:
            v = beta * v + (1 - beta) * d
            w = w - eta * v
            ws.append(w)
        return ws

    return rule


def momentum_unrolled(eta, beta):
    """The slide's closed form v_t = Σ_{m=1..t} β^(t-m) (1-β) Δ_m (with the typo Δ_t fixed)."""

    def rule(w, deltas):
        ws = [w]
        for t in range(1, len(deltas) + 1):
            v = sum(beta ** (t - m) * (1 - beta) * deltas[m - 1] for m in range(1, t + 1))
            w = w - eta * v
            ws.append(w)
        return ws

    return rule


def rmsprop_ref(eta, beta, eps):
    def rule(w, deltas):
        ws, u = [w], 0.0
        for d in deltas:
            u = beta * u + (1 - beta) * d * d
            w = w - eta / math.sqrt(u + eps) * d
            ws.append(w)
        return ws

    return rule


def adam_ref(eta, beta1, beta2, eps, bias_correction, N):
    def rule(w, deltas):
        ws, v, u = [w], 0.0, 0.0
        for t, d in enumerate(deltas, start=1):
            v = beta1 * v + (1 - beta1) * d
            u = beta2 * u + (1 - beta2) * d * d
            vv, uu = v, u
            if bias_correction:
                vv, uu = v / (1 - beta1**t), u / (1 - beta2**t)
            eta_t = eta / math.sqrt(uu + eps)
            if N is not None:
                eta_t = eta_t / math.sqrt(t / N)
            w = w - eta_t * vv
            ws.append(w)
        return ws

    return rule


def kingma_ba_algorithm_1(alpha, beta1, beta2, eps, eps_inside=False):
    """Kingma & Ba (2015), Algorithm 1 (m, v are their names for the slides' v, u)."""

    def rule(theta, gs):
        thetas, m, v = [theta], 0.0, 0.0
        for t, g in enumerate(gs, start=1):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g**2
            m_hat = m / (1 - beta1**t)
            v_hat = v / (1 - beta2**t)
            if eps_inside:
                theta = theta - alpha * m_hat / math.sqrt(v_hat + eps)
            else:
                theta = theta - alpha * m_hat / (math.sqrt(v_hat) + eps)
            thetas.append(theta)
        return thetas

    return rule


def kingma_ba_efficient(alpha, beta1, beta2, eps_hat):
    """The paper's cheaper ordering: α_t = α √(1-β2^t) / (1-β1^t), θ -= α_t m / (√v + ε̂)."""

    def rule(theta, gs):
        thetas, m, v = [theta], 0.0, 0.0
        for t, g in enumerate(gs, start=1):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g**2
            alpha_t = alpha * math.sqrt(1 - beta2**t) / (1 - beta1**t)
            theta = theta - alpha_t * m / (math.sqrt(v) + eps_hat)
            thetas.append(theta)
        return thetas

    return rule


# --------------------------------------------------------------------------- against the slides

CASES = [
    ("sgd", lambda: SGD(0.05), sgd_ref(0.05)),
    ("window M=1", lambda: MovingWindow(0.05, 1), window_ref(0.05, 1)),
    ("window M=5", lambda: MovingWindow(0.05, 5), window_ref(0.05, 5)),
    ("window M=100 > T", lambda: MovingWindow(0.05, 100), window_ref(0.05, 100)),
    ("momentum", lambda: Momentum(0.05, 0.9), momentum_ref(0.05, 0.9)),
    ("momentum unrolled", lambda: Momentum(0.05, 0.8), momentum_unrolled(0.05, 0.8)),
    ("momentum beta=0", lambda: Momentum(0.05, 0.0), momentum_ref(0.05, 0.0)),
    ("rmsprop", lambda: RMSProp(0.01, 0.9, 1e-8), rmsprop_ref(0.01, 0.9, 1e-8)),
    ("rmsprop big eps", lambda: RMSProp(0.01, 0.5, 0.3), rmsprop_ref(0.01, 0.5, 0.3)),
    (
        "adam corrected",
        lambda: Adam(0.01),
        adam_ref(0.01, 0.9, 0.999, 1e-8, True, None),
    ),
    (
        "adam slide (no correction)",
        lambda: Adam(0.01, bias_correction=False),
        adam_ref(0.01, 0.9, 0.999, 1e-8, False, None),
    ),
    (
        "adam corrected + decay",
        lambda: Adam(0.01, 0.8, 0.99, 1e-6, decay_steps=10),
        adam_ref(0.01, 0.8, 0.99, 1e-6, True, 10),
    ),
    (
        "adam slide + decay",
        lambda: Adam(0.01, 0.8, 0.99, 1e-6, bias_correction=False, decay_steps=7),
        adam_ref(0.01, 0.8, 0.99, 1e-6, False, 7),
    ),
    (
        "adam vs Kingma & Ba, eps inside",
        lambda: Adam(0.01, 0.9, 0.999, 1e-8),
        kingma_ba_algorithm_1(0.01, 0.9, 0.999, 1e-8, eps_inside=True),
    ),
    (
        "adam vs Kingma & Ba, tiny eps",
        lambda: Adam(0.01, 0.9, 0.999, 1e-30),
        kingma_ba_algorithm_1(0.01, 0.9, 0.999, 1e-30),
    ),
    (
        "adam vs Kingma & Ba efficient form, tiny eps",
        lambda: Adam(0.01, 0.9, 0.999, 1e-30),
        kingma_ba_efficient(0.01, 0.9, 0.999, 1e-30),
    ),
]


@pytest.mark.parametrize(("name", "make", "rule"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("seed", [0, 1])
def test_rule_matches_slide_recursion(name, make, rule, seed):
    params, grads = random_problem(seed)
    assert_same_path(run_optimizer(make(), params, grads), run_scalar(rule, params, grads))


def test_reference_is_sensitive():
    """The comparison can fail: a slightly different β or η is detected."""
    params, grads = random_problem(3)
    path = run_optimizer(Momentum(0.05, 0.9), params, grads)
    with pytest.raises(AssertionError):
        assert_same_path(path, run_scalar(momentum_ref(0.05, 0.9 + 1e-9), params, grads))
    path = run_optimizer(Adam(0.01, bias_correction=False), params, grads)
    with pytest.raises(AssertionError):
        assert_same_path(path, run_scalar(adam_ref(0.01, 0.9, 0.999, 1e-8, True, None),
                                          params, grads))


def test_eps_placement_matters_only_for_tiny_u():
    """ε inside √ (slides) vs outside (Kingma & Ba): close for large gradients, not for tiny."""
    params, grads = random_problem(4)
    ours = run_optimizer(Adam(0.01, eps=1e-8), params, grads)
    outside = run_scalar(kingma_ba_algorithm_1(0.01, 0.9, 0.999, 1e-8), params, grads)
    assert_same_path(ours, outside, tol=1e-4)
    params, grads = random_problem(4, scale=1e-8)
    ours = run_optimizer(Adam(0.01, eps=1e-8), params, grads)
    outside = run_scalar(kingma_ba_algorithm_1(0.01, 0.9, 0.999, 1e-8), params, grads)
    with pytest.raises(AssertionError):
        assert_same_path(ours, outside, tol=1e-3)


def test_adam_first_step_and_global_decay():
    """Bias-corrected Adam's first step is η Δ/√(Δ²+ε) ≈ η sign(Δ); 1/√(t/N) enlarges it √N×."""
    delta = np.array([3.0, -0.2, 1e-3])
    w = np.zeros(3)
    Adam(0.1).step([w], [delta])
    assert rel_error(w, -0.1 * delta / np.sqrt(delta**2 + 1e-8)) < 1e-12
    w_decay = np.zeros(3)
    Adam(0.1, decay_steps=16).step([w_decay], [delta])
    assert rel_error(w_decay, 4.0 * w) < 1e-12  # 1/√(1/16) = 4 > 1
    assert Adam(0.1, decay_steps=16).global_decay(64) == 0.5
    assert Adam(0.1).global_decay(64) == 1.0


# --------------------------------------------------------------------------- equivalences


@pytest.mark.parametrize("make", [lambda: Momentum(0.07, 0.0), lambda: MovingWindow(0.07, 1)])
def test_equals_sgd_exactly(make):
    params, grads = random_problem(5)
    for step, ref in zip(run_optimizer(make(), params, grads),
                         run_optimizer(SGD(0.07), params, grads), strict=True):
        for p, q in zip(step, ref, strict=True):
            np.testing.assert_array_equal(p, q)


ALL = [
    lambda: SGD(0.1),
    lambda: MovingWindow(0.1, 4),
    lambda: Momentum(0.1, 0.9),
    lambda: RMSProp(0.1, 0.9, 1e-8),
    lambda: Adam(0.1),
    lambda: Adam(0.1, bias_correction=False, decay_steps=5),
]
ALL_IDS = ["sgd", "window", "momentum", "rmsprop", "adam", "adam slide decay"]


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_step_is_in_place(make):
    params, grads = random_problem(6)
    before = [p.copy() for p in params]
    ids = [id(p) for p in params]
    opt = make()
    opt.step(params, grads[0])
    assert [id(p) for p in params] == ids
    assert all(not np.array_equal(p, b) for p, b in zip(params, before, strict=True))
    assert opt.t == 1


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_reset_forgets_state(make):
    params, grads = random_problem(7)
    opt = make()
    run_optimizer(opt, params, grads[:10])
    opt.reset()
    assert opt.t == 0
    again = run_optimizer(opt, params, grads[10:])
    fresh = run_optimizer(make(), params, grads[10:])
    for step, ref in zip(again, fresh, strict=True):
        for p, q in zip(step, ref, strict=True):
            np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("make", ALL[1:], ids=ALL_IDS[1:])
def test_state_matters(make):
    """Without reset, the history of earlier steps changes the next step (so reset is needed)."""
    params, grads = random_problem(8)
    opt = make()
    run_optimizer(opt, params, grads[:10])
    continued = run_optimizer(opt, params, grads[10:])
    fresh = run_optimizer(make(), params, grads[10:])
    assert rel_error(continued[1][0], fresh[1][0]) > 1e-6


def test_window_copies_gradients():
    """The caller may overwrite its gradient arrays after a step."""
    w, g = np.zeros(2), np.ones(2)
    opt = MovingWindow(1.0, 3)
    opt.step([w], [g])
    g[...] = 3.0
    opt.step([w], [g])  # v_2 = (1 + 3)/2 = 2
    np.testing.assert_allclose(w, [-3.0, -3.0])


def test_number_of_params_must_not_change():
    opt = Momentum(0.1, 0.5)
    opt.step([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match="reset"):
        opt.step([np.zeros(2), np.zeros(3)], [np.ones(2), np.ones(3)])
    with pytest.raises(ValueError, match="grads has 0"):
        opt.step([np.zeros(2)], [])


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_huge_values_give_no_warning(make):
    """Overflow is the symptom of divergence: non-finite results, but no RuntimeWarning."""
    w = np.array([1e308, -1e308, 1.0])
    opt = make()
    for _ in range(3):
        opt.step([w], [np.array([1e308, 1e308, np.inf])])
    assert not np.isfinite(w).all()


# --------------------------------------------------------------------------- validation

BAD = [
    (lambda: SGD(0.0), "eta"),
    (lambda: SGD(-1.0), "eta"),
    (lambda: SGD(float("inf")), "eta"),
    (lambda: SGD(float("nan")), "eta"),
    (lambda: MovingWindow(0.1, 0), "M"),
    (lambda: MovingWindow(0.1, 2.5), "M"),
    (lambda: MovingWindow(-0.1, 2), "eta"),
    (lambda: Momentum(0.1, 1.0), "beta"),
    (lambda: Momentum(0.1, -0.1), "beta"),
    (lambda: Momentum(0.0, 0.5), "eta"),
    (lambda: RMSProp(0.1, 1.0, 1e-8), "beta"),
    (lambda: RMSProp(0.1, 0.9, 0.0), "eps"),
    (lambda: RMSProp(0.1, 0.9, -1e-8), "eps"),
    (lambda: RMSProp(float("nan"), 0.9, 1e-8), "eta"),
    (lambda: Adam(0.0), "eta"),
    (lambda: Adam(0.1, beta1=1.0), "beta1"),
    (lambda: Adam(0.1, beta1=-0.5), "beta1"),
    (lambda: Adam(0.1, beta2=1.0), "beta2"),
    (lambda: Adam(0.1, beta2=float("nan")), "beta2"),
    (lambda: Adam(0.1, eps=0.0), "eps"),
    (lambda: Adam(0.1, decay_steps=0), "decay_steps"),
    (lambda: Adam(0.1, decay_steps=2.0), "decay_steps"),
    (lambda: make_optimizer("adagrad", eta=0.1), "adagrad"),
]


@pytest.mark.parametrize(("make", "name"), BAD)
def test_invalid_hyperparameters(make, name):
    with pytest.raises(ValueError, match=name) as info:
        make()
    if name != "adagrad":
        assert any(s in str(info.value) for s in ("<", ">", "finite"))  # names the range


def test_boundary_values_are_allowed():
    Momentum(0.1, 0.0)
    Adam(1e-12, beta1=0.0, beta2=0.0, eps=1e-300, decay_steps=1)
    MovingWindow(0.1, np.int64(3))


def test_make_optimizer_walks_the_path_of_the_named_class():
    classes = {"SGD": SGD, "momentum": Momentum, "RMSProp": RMSProp, "Adam": Adam,
               "moving window": MovingWindow, "heavy ball": HeavyBall}
    for name, cls in classes.items():
        hyper = {"eta": 0.1}
        if cls is MovingWindow:
            hyper["M"] = 3
        if cls in (Momentum, HeavyBall):
            hyper["beta"] = 0.5
        made = make_optimizer(name, **hyper)
        assert made.rule is RULES[name]
        w_made, w_class = np.ones(3), np.ones(3)
        named = cls(**hyper)
        for t in range(5):
            made.step([w_made], [np.arange(3.0) - t])
            named.step([w_class], [np.arange(3.0) - t])
        assert np.array_equal(w_made, w_class), name
    assert "beta=0.5" in repr(make_optimizer("momentum", eta=0.1, beta=0.5))
    with pytest.raises(ValueError, match="nope"):
        make_optimizer("nope", eta=0.1)
    with pytest.raises(ValueError, match="needs beta"):
        make_optimizer("momentum", eta=0.1)
    with pytest.raises(ValueError, match="no hyperparameter beta3"):
        make_optimizer("Adam", eta=0.1, beta3=0.5)


def test_momentum_without_one_minus_beta_is_a_rescaled_eta():
    """d2l / PyTorch: v_t = β v_{t-1} + Δ_t; with η (1-β) it walks the slide's path."""
    eta, beta = 0.05, 0.9

    def d2l(w, deltas):
        ws, v = [w], 0.0
        for d in deltas:
            v = beta * v + d
            w = w - eta * (1 - beta) * v
            ws.append(w)
        return ws

    params, grads = random_problem(9)
    assert_same_path(run_optimizer(Momentum(eta, beta), params, grads),
                     run_scalar(d2l, params, grads), tol=1e-10)


def test_heavy_ball_matches_its_recursion_and_the_slide_with_rescaled_eta():
    """d2l / PyTorch v_t = β v_{t-1} + Δ_t: written out, and equal to the slide's rule."""
    eta, beta = 0.05, 0.9

    def heavy(w, deltas):
        ws, v = [w], 0.0
        for d in deltas:
            v = beta * v + d
            w = w - eta * v
            ws.append(w)
        return ws

    params, grads = random_problem(11)
    assert_same_path(run_optimizer(HeavyBall(eta, beta), params, grads),
                     run_scalar(heavy, params, grads))
    assert_same_path(run_optimizer(HeavyBall(eta * (1 - beta), beta), params, grads),
                     run_optimizer(Momentum(eta, beta), params, grads), tol=1e-10)
    for bad in ({"eta": 0.0, "beta": 0.5}, {"eta": 0.1, "beta": 1.0}):
        with pytest.raises(ValueError):
            HeavyBall(**bad)


def test_step_function_runs_a_written_rule_like_the_built_in_one():
    """A momentum step written as a function (the exercises' form) follows Momentum exactly."""
    from lecture_lib.optim import StepFunction

    def momentum_step(w, delta, v, eta, beta):
        v = beta * v + (1 - beta) * delta
        return w - eta * v, v

    rng = np.random.default_rng(3)
    w_written, w_built_in = [rng.normal(size=(3, 2))], None
    w_built_in = [w_written[0].copy()]
    written, built_in = StepFunction(momentum_step, 1, eta=0.1, beta=0.9), Momentum(0.1, 0.9)
    for _ in range(5):
        grads = [rng.normal(size=(3, 2))]
        written.step(w_written, grads)
        built_in.step(w_built_in, grads)
    np.testing.assert_allclose(w_written[0], w_built_in[0], rtol=1e-12)


def test_step_function_names_what_an_unfinished_function_returned():
    from lecture_lib.optim import StepFunction

    def unfinished(w, delta, v, eta):
        return None

    rule = StepFunction(unfinished, 1, eta=0.1)
    with pytest.raises(TypeError, match="unfinished returned NoneType.*replace the"):
        rule.step([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match="n_state"):
        StepFunction(unfinished, -1)


def test_rmsprop_with_decay_steps_applies_the_global_decay():
    w, decayed = np.zeros(1), RMSProp(0.1, 0.9, decay_steps=4)
    w_plain, plain = np.zeros(1), RMSProp(0.1, 0.9)
    for t in range(1, 10):
        before, before_plain = w.copy(), w_plain.copy()
        decayed.step([w], [np.array([0.3])])
        plain.step([w_plain], [np.array([0.3])])
        ratio = (w - before) / (w_plain - before_plain)
        assert np.isclose(ratio[0], 1 / np.sqrt(t / 4), rtol=1e-12)
    with pytest.raises(ValueError):
        RMSProp(0.1, decay_steps=0)


def test_decay_lets_rmsprop_settle_on_the_ravine():
    plain = run("ravine", RMSProp(0.05, 0.9), steps=600)
    decayed = run("ravine", RMSProp(0.05, 0.9, decay_steps=10), steps=600)
    assert plain.E[-1] > 1e-3 and decayed.E[-1] < 0.05 * plain.E[-1]


def test_printed_rate_steps_by_eta_over_gradient():
    w, opt = np.array([1.0, 1.0]), PrintedRate(0.01, eps=1e-12)
    opt.step([w], [np.array([0.5, -0.01])])
    assert np.allclose(w, [1.0 - 0.01 / 0.5, 1.0 + 0.01 / 0.01])


def test_a_hyperparameter_set_between_steps_is_used_and_checked():
    opt, w = Momentum(0.1, 0.5), np.zeros(1)
    opt.step([w], [np.ones(1)])
    opt.eta = 1.0
    opt.step([w], [np.ones(1)])
    # v_1 = 0.5, w_1 = -0.05; v_2 = 0.5 * 0.5 + 0.5 = 0.75, w_2 = -0.05 - 1.0 * 0.75
    assert w[0] == pytest.approx(-0.8) and opt.hyper["eta"] == 1.0
    with pytest.raises(ValueError, match="beta"):
        opt.beta = 1.0


def test_sign_rule_is_rmsprop_with_beta_zero():
    path = run("ravine", RMSProp(0.05, 0.0), steps=30)
    assert np.allclose(np.abs(np.diff(path.w, axis=0)), 0.05, rtol=1e-6)
