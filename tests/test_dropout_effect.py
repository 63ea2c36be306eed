"""The multi-seed dropout study of notebook 03, section 5, and its label noise.

``dropout_study`` trains many networks side by side with stacked products; the oracle is the
package's one-network path, independent of it: ``MLP``'s own passes trained by ``fit`` with
``optim.Momentum`` (``regularization_studies.dropout_runs``). ``wrong_labels`` is checked by
counting."""

from __future__ import annotations

import numpy as np
import pytest

from lecture_lib.regularization import wrong_labels
from lecture_lib.regularization_studies import dropout_runs, dropout_study


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((60, 12))
    y = rng.integers(0, 4, size=60)
    return X[:40], y[:40], X[40:], y[40:]


@pytest.mark.parametrize("sizes", [[12, 16, 4], [12, 9, 7, 4]])
def test_the_stacked_runs_are_fits_runs(data, sizes):
    X, y, Xv, yv = data
    ps, seeds = [0.0, 0.3, 0.5], [0, 7]
    study = dropout_study(X, y, Xv, yv, sizes, ps, seeds=seeds, epochs=4, batch_size=6,
                          eta=0.1, beta=0.8, record=[1, 4])
    histories, _ = dropout_runs(X, y, Xv, yv, sizes, ps, seeds=seeds, epochs=4, batch_size=6,
                                eta=0.1, beta=0.8)
    assert study.train_loss.shape == (3, 2, 2)
    for i, p in enumerate(ps):
        for j, seed in enumerate(seeds):
            h = histories[p, seed]
            for name in ("train_loss", "val_loss", "val_acc"):
                expected = np.array(getattr(h, name))[[0, 3]]
                np.testing.assert_allclose(getattr(study, name)[i, j], expected, rtol=1e-10,
                                           atol=1e-12, err_msg=f"{name}, p = {p}, seed {seed}")


def test_dropout_changes_the_run_and_seeds_differ(data):
    """Guards the oracle test against comparing runs that ignore p or the seed."""
    X, y, Xv, yv = data
    study = dropout_study(X, y, Xv, yv, [12, 16, 4], [0.0, 0.5], seeds=[0, 1], epochs=3,
                          batch_size=6, record=[3])
    assert not np.allclose(study.train_loss[0], study.train_loss[1])
    assert study.train_loss[0, 0, 0] != study.train_loss[0, 1, 0]


def test_at_reads_one_p_and_epoch(data):
    X, y, Xv, yv = data
    study = dropout_study(X, y, Xv, yv, [12, 8, 4], [0.0, 0.5], seeds=[0, 1, 2], epochs=3,
                          batch_size=10, record=[2, 3])
    values = study.at(0.5, 2)
    np.testing.assert_array_equal(values["val_loss"], study.val_loss[1, :, 0])
    gap = study.val_loss[1, :, 0] - study.train_loss[1, :, 0]
    np.testing.assert_array_equal(values["gap"], gap)
    np.testing.assert_array_equal(study.at(0.0)["val_acc"], study.val_acc[0, :, 1])
    with pytest.raises(ValueError, match="p must be one of"):
        study.at(0.2)
    with pytest.raises(ValueError, match="epoch must be one of"):
        study.at(0.5, 1)


@pytest.mark.parametrize("change, name", [
    ({"sizes": [12, 4]}, "sizes"),
    ({"ps": [1.0]}, r"ps\[0\]"),
    ({"ps": []}, "ps"),
    ({"seeds": [-1]}, r"seeds\[0\]"),
    ({"seeds": []}, "seeds"),
    ({"record": [0]}, r"record\[0\]"),
    ({"record": [5]}, r"record\[0\]"),
    ({"eta": 0.0}, "eta"),
    ({"epochs": 0}, "epochs"),
])
def test_bad_arguments_are_refused_by_name(data, change, name):
    X, y, Xv, yv = data
    arguments = {"sizes": [12, 8, 4], "ps": [0.5], "seeds": [0], "epochs": 4, "batch_size": 5,
                 "eta": 0.05, "record": None} | change
    sizes, ps = arguments.pop("sizes"), arguments.pop("ps")
    with pytest.raises(ValueError, match=name):
        dropout_study(X, y, Xv, yv, sizes, ps, **arguments)


@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.5, 1.0])
def test_wrong_labels_changes_exactly_that_many_to_another_class(fraction):
    y = np.arange(200) % 10
    noisy = wrong_labels(y, fraction, n_classes=10, rng=np.random.default_rng(3))
    assert np.sum(noisy != y) == round(fraction * len(y))
    assert noisy.min() >= 0 and noisy.max() <= 9
    np.testing.assert_array_equal(y, np.arange(200) % 10)  # the input is not changed


def test_wrong_labels_spreads_over_the_wrong_classes():
    y = np.zeros(9000, dtype=int)
    noisy = wrong_labels(y, 1.0, n_classes=4, rng=np.random.default_rng(0))
    counts = np.bincount(noisy, minlength=4)
    assert counts[0] == 0
    assert np.all(np.abs(counts[1:] - 3000) < 4 * np.sqrt(3000))  # uniform, within 4 sd


def test_wrong_labels_refuses_bad_input():
    with pytest.raises(ValueError, match="fraction"):
        wrong_labels(np.zeros(5, dtype=int), 1.5, n_classes=3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="y"):
        wrong_labels(np.array([0, 3]), 0.5, n_classes=3, rng=np.random.default_rng(0))
