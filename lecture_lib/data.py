"""Data sets the notebooks train on; everything ships with the package, nothing is downloaded.

* :func:`load_digits`: the UCI optical recognition of handwritten digits data (8x8 images,
  1,797 samples, 10 classes; E. Alpaydin and C. Kaynak, 1998; CC BY 4.0), as shipped with
  scikit-learn, stored in ``lecture_lib/datasets/digits.npz``.
* :func:`spirals`: a seeded synthetic 2-D classification set.
* :func:`gaussian_inputs`: zero-mean inputs of a chosen variance, for variance propagation.

The slides assume mean-shifted inputs, E(x_i^(0)) = 0: every loader here returns features with
zero mean (over the training split).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from lecture_lib import validate

#: load_digits refuses splits that leave fewer training rows than this (the features are
#: scaled by the training split's spread: with one row it is 0, and every feature NaN or inf).
MIN_TRAIN_ROWS = 100


@dataclass(frozen=True)
class Splits:
    """Train / validation / test splits of one data set."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def digits_images() -> tuple[np.ndarray, np.ndarray]:
    """The raw digits: images of shape (1797, 8, 8) with pixel counts 0..16, and labels 0..9."""
    with resources.files("lecture_lib.datasets").joinpath("digits.npz").open("rb") as f:
        archive = np.load(f)
        return archive["images"].astype(np.int64), archive["labels"].astype(np.int64)


def load_digits(
    *, seed: int = 0, val_fraction: float = 0.2, test_fraction: float = 0.2
) -> Splits:
    """Deterministic, disjoint splits of the digits, features mean-shifted and scaled.

    Each image becomes a row of 64 features. The per-feature mean of the training split is
    subtracted from every split (E(x^(0)) = 0 as the slides assume) and all features are divided
    by one common scale, so that the training features have overall variance 1.

    Parameters
    ----------
    seed : int
        Seeds the shuffle; the same seed gives the same splits.
    val_fraction, test_fraction : float
        Shares of the 1,797 samples for validation and testing; the rest is for training.
    """
    seed = validate.non_negative_int("seed", seed)
    val_fraction = validate.probability("val_fraction", val_fraction)
    test_fraction = validate.probability("test_fraction", test_fraction)
    images, labels = digits_images()
    X = images.reshape(len(images), -1).astype(float)
    n_val = int(round(val_fraction * len(X)))
    n_test = int(round(test_fraction * len(X)))
    if len(X) - n_val - n_test < MIN_TRAIN_ROWS:
        raise ValueError(
            f"val_fraction = {val_fraction} and test_fraction = {test_fraction} leave "
            f"{len(X) - n_val - n_test} of {len(X)} rows for training; at least "
            f"{MIN_TRAIN_ROWS} are needed (their spread scales every feature)"
        )
    order = np.random.default_rng(seed).permutation(len(X))
    val, test, train = np.split(order, [n_val, n_val + n_test])
    mean = X[train].mean(axis=0)
    scale = (X[train] - mean).std()
    X = (X - mean) / scale
    return Splits(X[train], labels[train], X[val], labels[val], X[test], labels[test])


def spirals(
    n_per_class: int, *, n_classes: int = 3, noise: float = 0.2, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved 2-D spiral arms, one per class: a small set a linear model cannot separate.

    Returns ``X`` of shape (n_per_class * n_classes, 2), shifted to zero mean, and labels ``y``.
    """
    n_per_class = validate.positive_int("n_per_class", n_per_class)
    n_classes = validate.integer("n_classes", n_classes, minimum=2)
    noise = validate.non_negative_float("noise", noise)
    rng = validate.rng("rng", rng)
    validate.array_size("n_per_class x n_classes points", (n_per_class * n_classes, 4))
    radius = np.tile(np.linspace(0.05, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes), n_per_class)
    angle = 4.0 * radius + 2 * np.pi * y / n_classes + noise * rng.standard_normal(radius.size)
    X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    return X - X.mean(axis=0), y


def gaussian_inputs(
    n: int, d: int, *, variance: float = 1.0, rng: np.random.Generator
) -> np.ndarray:
    """``n`` samples of ``d`` independent zero-mean Gaussian features with the given variance."""
    n, d = validate.positive_int("n", n), validate.positive_int("d", d)
    variance = validate.non_negative_float("variance", variance)
    rng = validate.rng("rng", rng)
    validate.array_size("the inputs n x d", (n, d))
    return rng.standard_normal((n, d)) * np.sqrt(variance)
