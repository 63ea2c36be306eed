"""Data sets: the digits splits (checked against the raw images without relying on how the
shuffle is done), offline loading, and the synthetic sets."""

from __future__ import annotations

import math
import socket
from collections import Counter

import numpy as np
import pytest

from lecture_lib.data import (
    MIN_TRAIN_ROWS,
    Splits,
    digits_images,
    gaussian_inputs,
    load_digits,
    spirals,
)

N_DIGITS = 1797


@pytest.fixture(scope="module")
def raw():
    images, labels = digits_images()
    return images.reshape(len(images), -1).astype(float), labels


@pytest.fixture(scope="module")
def splits():
    return load_digits(seed=0)


def test_raw_digits(raw):
    X, y = raw
    assert X.shape == (N_DIGITS, 64)
    assert X.min() == 0 and X.max() == 16
    assert np.array_equal(X, np.round(X))
    assert set(np.unique(y)) == set(range(10))


def test_shapes(splits):
    assert isinstance(splits, Splits)
    parts = [(splits.X_train, splits.y_train), (splits.X_val, splits.y_val),
             (splits.X_test, splits.y_test)]
    for X, y in parts:
        assert X.ndim == 2 and X.shape[1] == 64
        assert y.shape == (X.shape[0],)
        assert X.shape[0] > 0
    assert sum(X.shape[0] for X, _ in parts) == N_DIGITS
    # default 20 % / 20 %: round(0.2 * 1797) = 359 each
    assert splits.X_val.shape[0] == 359 and splits.X_test.shape[0] == 359


def test_fraction_arguments_change_sizes():
    s = load_digits(seed=0, val_fraction=0.1, test_fraction=0.3)
    assert s.X_val.shape[0] == round(0.1 * N_DIGITS)
    assert s.X_test.shape[0] == round(0.3 * N_DIGITS)
    assert s.X_train.shape[0] == N_DIGITS - round(0.1 * N_DIGITS) - round(0.3 * N_DIGITS)


def undo_scaling(splits, raw_X):
    """Recover raw pixel rows from the split features without knowing the shuffle: the features
    are (x - m) / scale per feature with one common scale, so over ALL 1797 rows (whatever the
    split) std_raw = scale * std_features and mean_raw = m + scale * mean_features."""
    Z = np.vstack([splits.X_train, splits.X_val, splits.X_test])
    varying = raw_X.std(axis=0) > 0
    scales = raw_X.std(axis=0)[varying] / Z.std(axis=0)[varying]
    np.testing.assert_allclose(scales, scales[0], rtol=1e-9)  # one common scale
    scale = scales[0]
    m = raw_X.mean(axis=0) - scale * Z.mean(axis=0)
    parts = [X * scale + m for X in (splits.X_train, splits.X_val, splits.X_test)]
    for P in parts:
        assert np.max(np.abs(P - np.round(P))) < 1e-8  # they are pixel counts again
    return [np.round(P).astype(np.int64) for P in parts], m, scale


def row_counter(X, y):
    return Counter((int(label), row.tobytes()) for row, label in zip(X, y))


@pytest.mark.parametrize("seed", [0, 3])
def test_splits_partition_the_data_set(raw, seed):
    """Each (image, label) occurs in the splits together exactly as often as in the data set:
    no sample in two splits, none lost. (Duplicate images in digits are counted, not merged.)"""
    raw_X, raw_y = raw
    s = load_digits(seed=seed)
    parts, _, _ = undo_scaling(s, raw_X)
    ys = [s.y_train, s.y_val, s.y_test]
    together = Counter()
    for P, y in zip(parts, ys):
        together += row_counter(P, y)
    assert together == row_counter(raw_X.astype(np.int64), raw_y)
    # and the splits share no (image, label) pair that occurs only once in the data
    once = {k for k, v in row_counter(raw_X.astype(np.int64), raw_y).items() if v == 1}
    sets = [set(row_counter(P, y)) & once for P, y in zip(parts, ys)]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])


def test_mean_subtracted_is_the_training_mean(raw, splits):
    parts, m, scale = undo_scaling(splits, raw[0])
    np.testing.assert_allclose(m, parts[0].mean(axis=0), atol=1e-9)
    assert scale == pytest.approx((parts[0] - parts[0].mean(axis=0)).std(), rel=1e-9)


def test_training_features_zero_mean_unit_overall_variance(splits):
    X = splits.X_train
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)
    assert X.var() == pytest.approx(1.0, rel=1e-12)
    # per feature the variance is not 1: some pixels are blank in every image
    assert np.min(X.var(axis=0)) == 0.0


def test_validation_features_only_approximately_centred(splits):
    """Val/test use the training mean: close to zero mean, not exactly."""
    assert np.max(np.abs(splits.X_val.mean(axis=0))) < 0.5
    assert np.max(np.abs(splits.X_val.mean(axis=0))) > 0


def test_labels(splits):
    for y in (splits.y_train, splits.y_val, splits.y_test):
        assert np.issubdtype(y.dtype, np.integer)
        assert set(np.unique(y)) <= set(range(10))
    assert set(np.unique(splits.y_train)) == set(range(10))


def test_deterministic_for_a_seed_and_different_for_another():
    a, b, c = load_digits(seed=5), load_digits(seed=5), load_digits(seed=6)
    for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.y_train, c.y_train)
    assert not np.array_equal(a.X_test, c.X_test)


@pytest.mark.parametrize("val, test", [(1.0, 0.0), (0.0, 1.0), (-0.1, 0.2), (0.5, 0.5),
                                       (0.6, 0.5)])
def test_bad_fractions_raise(val, test):
    with pytest.raises(ValueError, match="fraction"):
        load_digits(val_fraction=val, test_fraction=test)


def test_loading_needs_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    images, _ = digits_images()
    s = load_digits(seed=11)
    assert images.shape == (N_DIGITS, 8, 8)
    assert s.X_train.shape[1] == 64


# ---------------------------------------------------------------- spirals


def test_spirals_shapes_labels_and_zero_mean():
    X, y = spirals(50, n_classes=4, rng=np.random.default_rng(0))
    assert X.shape == (200, 2) and y.shape == (200,)
    assert np.array_equal(np.bincount(y), [50, 50, 50, 50])
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-14)
    assert np.all(np.isfinite(X))


def test_spirals_deterministic():
    a = spirals(30, rng=np.random.default_rng(2))
    b = spirals(30, rng=np.random.default_rng(2))
    c = spirals(30, rng=np.random.default_rng(3))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_spirals_without_noise_lie_on_the_arms():
    """noise=0: radius r in [0.05, 1] and angle 4r + 2 pi k / K (before the mean shift)."""
    n, K = 40, 3
    X, y = spirals(n, n_classes=K, noise=0.0, rng=np.random.default_rng(0))
    r = np.tile(np.linspace(0.05, 1.0, n), K)
    angle = 4 * r + 2 * np.pi * y / K
    raw = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    np.testing.assert_allclose(X, raw - raw.mean(axis=0), atol=1e-14)


@pytest.mark.parametrize("kwargs", [dict(n_per_class=0), dict(n_per_class=10, n_classes=1),
                                    dict(n_per_class=10, noise=-0.1)])
def test_spirals_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        spirals(rng=np.random.default_rng(0), **kwargs)


# ---------------------------------------------------------------- gaussian inputs


@pytest.mark.parametrize("variance", [1e-4, 1.0, 9.0])
def test_gaussian_inputs_moments(variance):
    n, d = 500, 200
    X = gaussian_inputs(n, d, variance=variance, rng=np.random.default_rng(0))
    assert X.shape == (n, d) and X.dtype == np.float64
    N = n * d
    assert abs(X.mean()) < 5 * math.sqrt(variance / N)
    assert abs(X.var(ddof=1) - variance) < 5 * variance * math.sqrt(2 / (N - 1))


def test_gaussian_inputs_deterministic_and_zero_variance():
    a = gaussian_inputs(5, 3, rng=np.random.default_rng(1))
    b = gaussian_inputs(5, 3, rng=np.random.default_rng(1))
    assert np.array_equal(a, b)
    assert np.all(gaussian_inputs(5, 3, variance=0.0, rng=np.random.default_rng(1)) == 0)


def test_gaussian_inputs_negative_variance_raises():
    with pytest.raises(ValueError, match="variance"):
        gaussian_inputs(5, 3, variance=-1.0, rng=np.random.default_rng(0))


@pytest.mark.parametrize("variance", [math.nan, math.inf])
def test_gaussian_inputs_non_finite_variance_raises(variance):
    """Like init_weights (which rejects them), a NaN or infinite variance must not silently
    produce NaN/inf inputs."""
    with pytest.raises(ValueError, match="variance"):
        gaussian_inputs(5, 3, variance=variance, rng=np.random.default_rng(0))


def test_load_digits_refuses_splits_with_too_few_training_rows_and_accepts_the_limit():
    with pytest.raises(ValueError, match="val_fraction"):
        load_digits(val_fraction=0.5, test_fraction=0.499)
    n_other = 1797 - MIN_TRAIN_ROWS
    splits = load_digits(val_fraction=n_other / 2 / 1797, test_fraction=n_other / 2 / 1797)
    assert len(splits.X_train) >= MIN_TRAIN_ROWS
    assert np.all(np.isfinite(splits.X_train)) and np.all(np.isfinite(splits.X_test))
