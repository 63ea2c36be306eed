"""Error surfaces: analytic gradients, minima, and what the optimizers do on them."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib.checks import numerical_gradient, rel_error
from lecture_lib.optim import SGD, Adam, Momentum
from lecture_lib.surfaces import ESCAPE_FACTOR, SURFACES, Surface, local_minima, run

NAMES = list(SURFACES)


def test_the_four_difficulties():
    assert set(NAMES) == {"ravine", "plateau", "saddle", "local minima"}
    for name, s in SURFACES.items():
        assert isinstance(s, Surface) and s.name == name
        assert s.xlim[0] < s.start[0] < s.xlim[1] and s.ylim[0] < s.start[1] < s.ylim[1]
        assert s.xlim[0] < s.minimum[0] < s.xlim[1] and s.ylim[0] < s.minimum[1] < s.ylim[1]


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_centred_differences(name):
    s = SURFACES[name]
    rng = np.random.default_rng(0)
    # (not too far out on the plateau, where E = 1 - (tiny) leaves centred differences only
    # a few significant digits)
    for w in [np.array(s.start, dtype=float), *rng.uniform(-2, 2, size=(10, 2))]:
        numeric = numerical_gradient(lambda w=w: float(s.E(w)), w)
        assert rel_error(s.grad(w), numeric) < 1e-7


@pytest.mark.parametrize("name", NAMES)
def test_vectorised_over_points(name):
    s = SURFACES[name]
    W = np.random.default_rng(1).uniform(-2, 2, size=(4, 5, 2))
    E, G = s.E(W), s.grad(W)
    assert E.shape == (4, 5) and G.shape == (4, 5, 2)
    for idx in np.ndindex(4, 5):
        assert E[idx] == s.E(W[idx])
        np.testing.assert_array_equal(G[idx], s.grad(W[idx]))
    W1, W2, Eg = s.grid(30)
    assert W1.shape == W2.shape == Eg.shape == (30, 30)


@pytest.mark.parametrize("name", NAMES)
def test_stated_minimum(name):
    """Zero gradient at the stated minimum, and no lower point on a grid over the box."""
    s = SURFACES[name]
    w_star = np.array(s.minimum)
    assert np.abs(s.grad(w_star)).max() < 1e-12
    _, _, E = s.grid(201)
    assert E.min() >= s.E(w_star) - 1e-12


def test_local_minimum_is_shallower():
    s = SURFACES["local minima"]
    local = np.array([1.0, 0.0])
    assert np.abs(s.grad(local)).max() == 0.0
    assert s.E(local) > s.E(np.array(s.minimum)) + 1.0
    # plain GD from the default start falls into the shallow one
    path = run(s, SGD(0.05), steps=300)
    np.testing.assert_allclose(path.w[-1], local, atol=1e-6)


def test_plateau_is_flat_at_the_start():
    s = SURFACES["plateau"]
    assert np.linalg.norm(s.grad(np.array(s.start))) < 0.01
    assert s.E(np.array(s.start)) > 0.99
    # small η barely moves in 300 steps; Adam's normalised step reaches the minimum
    slow = run(s, SGD(0.1), steps=300)
    assert slow.E[-1] > 0.99
    fast = run(s, Adam(0.1), steps=300)
    assert fast.E[-1] < 1e-3


def sign_changes(x):
    return int(np.sum(np.sign(x[1:]) != np.sign(x[:-1])))


def test_ravine_gd_oscillates_and_momentum_dampens():
    s = SURFACES["ravine"]
    steep = 1 if abs(s.grad(np.array([0.0, 1.0]))[1]) > abs(s.grad(np.array([1.0, 0.0]))[0]) \
        else 0
    gd = run(s, SGD(0.09), steps=100)  # η b = 1.8: w2 ← (1 - η b) w2 = -0.8 w2
    mom = run(s, Momentum(0.09, 0.9), steps=100)
    assert sign_changes(gd.w[:, steep]) == 100  # flips at every step
    assert sign_changes(mom.w[:, steep]) < 30
    assert not gd.diverged and not mom.diverged
    # a small η does not oscillate, but is slow along the flat direction
    small = run(s, SGD(0.02), steps=100)
    assert sign_changes(small.w[:, steep]) == 0
    assert abs(small.w[-1, 1 - steep]) > abs(mom.w[-1, 1 - steep])


def test_saddle_stalls_without_noise_and_escapes_with_noise():
    s = SURFACES["saddle"]
    plain = run(s, SGD(0.05), steps=300)
    assert np.all(plain.w[:, 1] == 0.0)
    assert np.abs(plain.w[-1]).max() < 1e-6  # stuck at the saddle point (0, 0)
    assert abs(plain.E[-1]) < 1e-12
    noisy = run(s, SGD(0.05), steps=300, noise=0.05, rng=np.random.default_rng(0))
    assert abs(abs(noisy.w[-1, 1]) - np.sqrt(2)) < 0.1  # in one of the minima (0, ±√2)
    assert noisy.E[-1] < -0.9


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("opt", [SGD(1e6), SGD(1e308), Momentum(1e300, 0.5), Adam(1e300)])
def test_divergence_is_flagged_without_warnings(name, opt):
    s = SURFACES[name]
    path = run(s, opt, steps=50)
    assert path.diverged and path.diverged_at is not None and path.diverged_at <= 5
    assert len(path.w) == len(path.E) == path.diverged_at
    assert np.isfinite(path.w).all() and np.isfinite(path.E).all()
    half = ESCAPE_FACTOR * (s.xlim[1] - s.xlim[0]) / 2
    assert np.abs(path.w[:, 0] - sum(s.xlim) / 2).max() <= half


@pytest.mark.parametrize("name", NAMES)
def test_run_shapes_and_values(name):
    s = SURFACES[name]
    path = run(name, Momentum(0.01, 0.5), steps=40)
    assert path.w.shape == (41, 2) and path.E.shape == (41,)
    assert not path.diverged and path.diverged_at is None
    np.testing.assert_array_equal(path.w[0], s.start)
    np.testing.assert_array_equal(path.E, s.E(path.w))
    # the first step is w_1 = w_0 - η (1-β) ∇E(w_0)
    w0 = np.array(s.start)
    assert rel_error(path.w[1], w0 - 0.01 * 0.5 * s.grad(w0)) < 1e-14
    assert run(s, SGD(0.1), steps=0).w.shape == (1, 2)
    custom = run(s, SGD(0.1), steps=3, start=(0.5, -0.5))
    np.testing.assert_array_equal(custom.w[0], [0.5, -0.5])


def test_run_resets_optimizer_and_is_deterministic():
    opt = Adam(0.05)
    a = run("saddle", opt, steps=100, noise=0.1, rng=np.random.default_rng(3))
    b = run("saddle", opt, steps=100, noise=0.1, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.w, b.w)
    c = run("saddle", opt, steps=100, noise=0.1, rng=np.random.default_rng(4))
    assert not np.array_equal(a.w, c.w)


def test_run_validates():
    with pytest.raises(ValueError, match="rng"):
        run("ravine", SGD(0.1), steps=10, noise=0.1)
    with pytest.raises(ValueError, match="noise"):
        run("ravine", SGD(0.1), steps=10, noise=-1.0, rng=np.random.default_rng(0))
    for bad in (np.inf, np.nan):
        with pytest.raises(ValueError, match="noise"):
            run("ravine", SGD(0.1), steps=10, noise=bad, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="steps"):
        run("ravine", SGD(0.1), steps=-1)
    with pytest.raises(ValueError, match="surface must be one of 'ravine', 'plateau'"):
        run("cliff", SGD(0.1), steps=10)


def test_quadratic_family_contains_the_ravine():
    from lecture_lib.surfaces import quadratic

    ravine, q = SURFACES["ravine"], quadratic(1.0, 20.0)
    points = np.random.default_rng(0).standard_normal((7, 2)) * 3
    assert np.array_equal(q.E(points), ravine.E(points))
    assert np.array_equal(q.grad(points), ravine.grad(points))
    w = np.array([0.3, -1.1])
    g = numerical_gradient(lambda: float(quadratic(2.0, 7.0).E(w)), w)
    assert rel_error(quadratic(2.0, 7.0).grad(w), g) < 1e-7
    with pytest.raises(ValueError):
        quadratic(0.0, 1.0)


def test_sign_changes():
    from lecture_lib.surfaces import sign_changes

    assert sign_changes([1, -1, 2, 0, -3, -4, 5]) == 4
    assert sign_changes([0, 0, 1, 2]) == 0
    assert sign_changes([]) == 0


def test_inside_part_ends_on_the_edge():
    from lecture_lib.surfaces import inside_part

    surface = SURFACES["ravine"]
    path = run(surface, SGD(0.15), steps=50)  # above 2/20: diverges
    assert path.diverged and path.escape is not None
    points, edge = inside_part(path, surface.xlim, surface.ylim)
    (x0, x1), (y0, y1) = surface.xlim, surface.ylim
    assert np.array_equal(points[-1], edge)
    assert min(abs(edge[0] - x0), abs(edge[0] - x1), abs(edge[1] - y0), abs(edge[1] - y1)) < 1e-12
    # the edge point lies on the segment from the last point inside
    a, b = points[-2], np.vstack([path.w, path.escape])[len(points) - 1]
    s = (edge - a) / (b - a)
    assert np.allclose(s, s[0]) and 0 <= s[0] <= 1
    calm = run(surface, SGD(0.01), steps=50)
    points, edge = inside_part(calm, surface.xlim, surface.ylim)
    assert edge is None and np.array_equal(points, calm.w)


def test_local_minima_of_the_surfaces():
    found = {name: local_minima(surface) for name, surface in SURFACES.items()}
    assert [len(m) for m in found.values()] == [1, 1, 2, 2]
    saddle = sorted((round(a, 6), round(b, 6)) for a, b, _ in found["saddle"])
    assert saddle == [(0.0, round(-np.sqrt(2), 6)), (0.0, round(np.sqrt(2), 6))]
    (a1, b1, e1), (a2, b2, e2) = found["local minima"]
    assert np.allclose([a1, b1, e1], [-2, 0, -8 / 3], atol=1e-6)  # lowest first
    assert np.allclose([a2, b2, e2], [1, 0, -5 / 12], atol=1e-6)
    assert np.allclose(found["ravine"][0], 0, atol=1e-6)
