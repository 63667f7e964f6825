"""Reconstruction metrics on whole test sets, and the mean-image baseline.

Every chapter reports the same numbers so they can be compared across the book:
per-pixel binary cross-entropy (the loss most chapters train with), per-pixel mean
squared error, and peak signal-to-noise ratio. The baseline every model must beat
reconstructs each test image as the mean training image.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .data import check_unit_float

__all__ = ["Scores", "bce", "mean_image_baseline", "mse", "psnr", "scores"]

#: Keras clips probabilities to [eps, 1 - eps] in its binary cross-entropy; so do we.
EPSILON = 1e-7


def _check_pair(x: np.ndarray, x_hat: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    for label, arr in (("x", x), ("x_hat", x_hat)):
        check_unit_float(arr, f"{name}: {label}", allow_empty=False)
    if x.shape != x_hat.shape:
        raise ValueError(f"{name}: shapes differ, x {x.shape} vs x_hat {x_hat.shape}")
    n = len(x)
    return x.reshape(n, -1).astype(np.float64), x_hat.reshape(n, -1).astype(np.float64)


def bce(x: np.ndarray, x_hat: np.ndarray) -> float:
    """Mean per-pixel binary cross-entropy of ``x_hat`` against targets ``x``.

    The same quantity as Keras's ``binary_crossentropy`` averaged over a data set:
    ``-mean(x log x_hat + (1 - x) log(1 - x_hat))`` with ``x_hat`` clipped to
    ``[1e-7, 1 - 1e-7]``.
    """
    t, p = _check_pair(x, x_hat, "bce")
    p = np.clip(p, EPSILON, 1.0 - EPSILON)
    return float(-np.mean(t * np.log(p) + (1.0 - t) * np.log1p(-p)))


def mse(x: np.ndarray, x_hat: np.ndarray) -> float:
    """Mean per-pixel squared error."""
    t, p = _check_pair(x, x_hat, "mse")
    return float(np.mean((t - p) ** 2))


#: Shapes of a batch of the book's 28x28 images that :func:`psnr` accepts (n first).
_IMAGE_PIXELS = 28 * 28


def psnr(x: np.ndarray, x_hat: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB for pixels in [0, 1]: the mean of per-image PSNRs.

    For each image ``i``, ``PSNR_i = 10 log10(1 / MSE_i)`` with ``MSE_i`` the mean squared
    error over its pixels; the result is the mean of ``PSNR_i`` over the images. (This is
    not ``10 log10(1 / MSE)`` of the mean MSE, which is lower whenever the images' errors
    differ.) An exact reconstruction counts as 100 dB so the mean stays finite.

    ``x`` and ``x_hat`` are batches of 28x28 images, shaped ``(n, 784)``, ``(n, 28, 28)``
    or ``(n, 28, 28, 1)``. One image is refused rather than guessed at: pass ``x[None]``.
    """
    t, p = _check_pair(x, x_hat, "psnr")
    if x.ndim < 2 or int(np.prod(x.shape[1:])) != _IMAGE_PIXELS:
        raise ValueError(
            f"psnr: shape {x.shape} is not a batch of 28x28 images ((n, 784), (n, 28, 28) "
            "or (n, 28, 28, 1)); for one image pass x[None] and x_hat[None]"
        )
    per_image = np.mean((t - p) ** 2, axis=1)
    db = np.where(per_image > 0, 10.0 * np.log10(1.0 / np.maximum(per_image, 1e-10)), 100.0)
    return float(np.mean(db))


@dataclass(frozen=True)
class Scores:
    """Reconstruction scores of a model on a data set (lower BCE/MSE and higher PSNR are better)."""

    bce: float
    mse: float
    psnr: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def __str__(self) -> str:
        return f"BCE {self.bce:.4f} | MSE {self.mse:.4f} | PSNR {self.psnr:.2f} dB"


def scores(x: np.ndarray, x_hat: np.ndarray) -> Scores:
    """BCE, MSE and PSNR of ``x_hat`` against ``x`` in one call."""
    return Scores(bce=bce(x, x_hat), mse=mse(x, x_hat), psnr=psnr(x, x_hat))


def mean_image_baseline(x_train: np.ndarray, x_test: np.ndarray) -> Scores:
    """Scores of the model that ignores its input and outputs the mean training image.

    A model that cannot beat this has learned nothing about the individual image.
    """
    if not isinstance(x_train, np.ndarray) or x_train.ndim < 2:
        raise ValueError("mean_image_baseline: x_train must be an array of images")
    if x_train.shape[1:] != getattr(x_test, "shape", (None,))[1:]:
        raise ValueError(
            f"mean_image_baseline: image shapes differ, {x_train.shape[1:]} vs "
            f"{getattr(x_test, 'shape', None)}"
        )
    mean = x_train.mean(axis=0, dtype=np.float64).astype(x_test.dtype)
    return scores(x_test, np.broadcast_to(mean, x_test.shape))
