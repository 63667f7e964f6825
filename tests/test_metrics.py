"""Unit tests of aebook.metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _synthetic import unit_images

import aebook
from aebook.metrics import Scores, bce, mean_image_baseline, mse, psnr, scores


def _binary_entropy(p: float) -> float:
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


def test_bce_of_x_against_itself_is_mean_binary_entropy():
    x = np.array([[0.2, 0.5], [0.8, 0.9]], dtype=np.float32)
    expected = np.mean([_binary_entropy(float(p)) for p in x.ravel()])
    assert bce(x, x) == pytest.approx(expected, rel=1e-6)
    assert bce(x, x) == pytest.approx((2 * 0.5004024235 + 0.6931471806 + 0.3250829734) / 4)


def test_bce_known_value_and_clipping():
    x = np.array([[1.0, 0.0]])
    x_hat = np.array([[0.5, 0.25]])
    assert bce(x, x_hat) == pytest.approx((math.log(2) + -math.log(0.75)) / 2)
    # A confident wrong answer is clipped to eps = 1e-7, not infinite.
    assert bce(np.array([[1.0]]), np.array([[0.0]])) == pytest.approx(-math.log(1e-7), rel=1e-6)
    # Binary targets reproduced exactly cost (almost) nothing.
    assert bce(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])) < 1e-6


def test_bce_matches_keras():
    import keras

    x = unit_images(3, seed=1)
    x_hat = unit_images(3, seed=2)
    ours = bce(x, x_hat)
    theirs = float(
        keras.ops.mean(keras.losses.binary_crossentropy(x.reshape(3, -1), x_hat.reshape(3, -1)))
    )
    assert ours == pytest.approx(theirs, rel=1e-4)


def test_mse_known_value():
    x = np.zeros((2, 4), dtype=np.float32)
    x_hat = np.full((2, 4), 0.1, dtype=np.float32)
    assert mse(x, x_hat) == pytest.approx(0.01, rel=1e-6)
    x_hat = np.array([[0.0, 0.0, 0.0, 1.0], [0.5, 0.0, 0.0, 0.0]])
    assert mse(np.zeros((2, 4)), x_hat) == pytest.approx((1.0 + 0.25) / 8)
    assert mse(x, x) == 0.0


def test_psnr_known_values():
    x = np.zeros((1, 28, 28))
    assert psnr(x, np.full_like(x, 0.1)) == pytest.approx(20.0)  # MSE 0.01
    assert psnr(x, np.full_like(x, 0.01)) == pytest.approx(40.0)  # MSE 1e-4
    assert psnr(x, x) == 100.0
    assert psnr(unit_images(2), unit_images(2)) == 100.0


def test_psnr_averages_per_image():
    x = np.zeros((2, 784))
    x_hat = np.array([[0.1] * 784, [0.01] * 784])  # per-image MSE 1e-2 and 1e-4
    assert psnr(x, x_hat) == pytest.approx((20.0 + 40.0) / 2)  # not 10 log10(1 / 0.00505)
    x_hat = np.array([[0.1] * 784, [0.0] * 784])  # one exact image counts 100 dB
    assert psnr(x, x_hat) == pytest.approx((20.0 + 100.0) / 2)


def test_psnr_refuses_one_image_instead_of_treating_rows_as_images():
    x, x_hat = unit_images(2, seed=1), unit_images(2, seed=2)  # (2, 28, 28)
    truth = psnr(x[:1], x_hat[:1])
    for one, one_hat in [(x[0], x_hat[0]), (x[0].reshape(784), x_hat[0].reshape(784))]:
        with pytest.raises(ValueError, match=r"x\[None\]"):
            psnr(one, one_hat)
        assert psnr(one[None], one_hat[None]) == pytest.approx(truth)
    for shape in [(2, 28, 28), (2, 784), (2, 28, 28, 1)]:
        assert psnr(x.reshape(shape), x_hat.reshape(shape)) == pytest.approx(psnr(x, x_hat))
    with pytest.raises(ValueError, match="not a batch of 28x28"):
        psnr(np.zeros((3, 4)), np.zeros((3, 4)))


@pytest.mark.parametrize("fn", [bce, mse, psnr, aebook.scores])
def test_validation_errors(fn):
    x = unit_images(2)
    with pytest.raises(ValueError, match="shapes differ"):
        fn(x, x[:1])
    with pytest.raises(ValueError, match="shapes differ"):
        fn(x, x.reshape(2, 784))
    with pytest.raises(ValueError, match="uint8"):
        fn((x * 255).astype(np.uint8), x)
    with pytest.raises(ValueError, match="x_hat must hold floats"):
        fn(x, (x * 255).astype(np.uint8))
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        fn(x, x * 2)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        fn(x - 0.5, x)
    nan = x.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        fn(nan, x)
    with pytest.raises(ValueError, match="empty"):
        fn(np.zeros((0, 784), np.float32), np.zeros((0, 784), np.float32))
    with pytest.raises(TypeError, match="NumPy array"):
        fn([[0.5]], np.array([[0.5]]))


def test_scores_and_as_dict():
    x = np.zeros((1, 784))
    x_hat = np.full((1, 784), 0.1)
    s = scores(x, x_hat)
    assert isinstance(s, Scores)
    assert s.mse == pytest.approx(0.01)
    assert s.psnr == pytest.approx(20.0)
    assert s.bce == pytest.approx(-math.log(0.9))
    d = s.as_dict()
    assert list(d) == ["bce", "mse", "psnr"]
    assert d == {"bce": s.bce, "mse": s.mse, "psnr": s.psnr}
    assert all(isinstance(v, float) for v in d.values())
    assert str(s) == f"BCE {-math.log(0.9):.4f} | MSE 0.0100 | PSNR 20.00 dB"
    with pytest.raises(AttributeError):
        s.mse = 0.0  # frozen


def test_mean_image_baseline_is_the_explicit_mean_prediction():
    x_train = unit_images(8, seed=3)
    x_test = unit_images(5, seed=4)
    baseline = mean_image_baseline(x_train, x_test)
    mean_pred = np.repeat(x_train.mean(axis=0, keepdims=True), len(x_test), axis=0)
    expected = scores(x_test, mean_pred)
    assert baseline.bce == pytest.approx(expected.bce, rel=1e-6)
    assert baseline.mse == pytest.approx(expected.mse, rel=1e-6)
    assert baseline.psnr == pytest.approx(expected.psnr, rel=1e-6)
    perfect = scores(x_test, x_test)
    assert baseline.mse > perfect.mse == 0.0
    assert baseline.bce > perfect.bce
    assert baseline.psnr < perfect.psnr == 100.0


def test_mean_image_baseline_accepts_flat_vectors():
    x_train = unit_images(6, seed=5).reshape(6, 784)
    x_test = unit_images(2, seed=6).reshape(2, 784)
    images = mean_image_baseline(x_train.reshape(6, 28, 28), x_test.reshape(2, 28, 28))
    assert mean_image_baseline(x_train, x_test).mse == pytest.approx(images.mse)


def test_mean_image_baseline_validation():
    x = unit_images(3)
    with pytest.raises(ValueError, match="array of images"):
        mean_image_baseline(x[0, 0], x)
    with pytest.raises(ValueError, match="array of images"):
        mean_image_baseline(list(x), x)
    with pytest.raises(ValueError, match="image shapes differ"):
        mean_image_baseline(x, x.reshape(3, 784))


def test_neighbour_ranks_match_sklearn_trustworthiness():
    from sklearn.manifold import trustworthiness

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8))
    ranks = aebook.NeighbourRanks(x)
    for embedding in (x[:, :2], rng.normal(size=(60, 2)), x @ rng.normal(size=(8, 2))):
        for k in (1, 5, 12):
            assert ranks.trustworthiness(embedding, k=k) == pytest.approx(
                trustworthiness(x, embedding, n_neighbors=k), abs=1e-12
            )
    # A map that keeps the input space's order of neighbours is perfectly trustworthy.
    assert aebook.NeighbourRanks(x[:, :2]).trustworthiness(x[:, :2] * 3.0, k=5) == 1.0


def test_neighbour_ranks_refuse_bad_input():
    x = np.random.default_rng(1).normal(size=(20, 3))
    ranks = aebook.NeighbourRanks(x)
    with pytest.raises(ValueError, match="20"):
        ranks.trustworthiness(x[:10, :2])
    with pytest.raises(ValueError, match="k must be"):
        ranks.trustworthiness(x[:, :2], k=10)
    with pytest.raises(ValueError, match="k must be"):
        ranks.trustworthiness(x[:, :2], k=0)
    with pytest.raises(ValueError, match="2-D array"):
        ranks.trustworthiness(x[:, 0])
    with pytest.raises(ValueError, match="at least 3 points"):
        aebook.NeighbourRanks(x[:2])
    with pytest.raises(ValueError, match="NaN"):
        aebook.NeighbourRanks(np.full((5, 2), np.nan))


@pytest.mark.parametrize("fn", [bce, mse])
def test_single_numbers_are_refused_with_a_hint(fn):
    """0-d arrays used to fail with numpy's `len() of unsized object`."""
    with pytest.raises(ValueError, match=r"single numbers.*x\[None\]"):
        fn(np.array(0.5), np.array(0.25))
