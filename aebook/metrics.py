"""Reconstruction metrics on whole test sets, and the mean-image baseline.

Every chapter reports the same numbers so they can be compared across the book:
per-pixel binary cross-entropy (the loss most chapters train with), per-pixel mean
squared error, and peak signal-to-noise ratio. The baseline every model must beat
reconstructs each test image as the mean training image.

:class:`NeighbourRanks` scores 2-D maps of data (chapter 8): the trustworthiness of many
maps of the same points, ranking the points' neighbours in the input space only once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .checks import check_int
from .data import check_unit_float

__all__ = ["NeighbourRanks", "Scores", "bce", "mean_image_baseline", "mse", "psnr", "scores"]

#: Keras clips probabilities to [eps, 1 - eps] in its binary cross-entropy; so do we.
EPSILON = 1e-7


def _check_pair(x: np.ndarray, x_hat: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    for label, arr in (("x", x), ("x_hat", x_hat)):
        check_unit_float(arr, f"{name}: {label}", allow_empty=False)
    if x.shape != x_hat.shape:
        raise ValueError(f"{name}: shapes differ, x {x.shape} vs x_hat {x_hat.shape}")
    if x.ndim == 0:
        raise ValueError(
            f"{name}: x and x_hat are single numbers; pass arrays of images, one per row "
            "(for one image, x[None] and x_hat[None])"
        )
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


class NeighbourRanks:
    """Every point's rank among every other point's neighbours in an input space.

    Trustworthiness $T(k)$ asks, for each point, whether its $k$ nearest neighbours in a
    2-D map are also near it in the input space, and penalises each one by how far down
    the input-space ranking it sits (Venna & Kaski). The ranking is the expensive part: a
    sort of all pairwise distances. This class does it once, so that several maps and
    several $k$ cost one sort. The values are those of
    ``sklearn.manifold.trustworthiness`` with the Euclidean metric.
    """

    def __init__(self, x: np.ndarray) -> None:
        if not isinstance(x, np.ndarray) or x.ndim != 2 or len(x) < 3:
            raise ValueError(
                "NeighbourRanks needs a 2-D array of at least 3 points (one row each), got "
                f"{getattr(x, 'shape', type(x).__name__)}"
            )
        if not np.all(np.isfinite(x)):
            raise ValueError("NeighbourRanks: the points contain NaN or infinity")
        # lazy: scikit-learn takes a second to import
        from sklearn.metrics import pairwise_distances

        n = len(x)
        distances = pairwise_distances(x)
        np.fill_diagonal(distances, np.inf)  # a point is not its own neighbour
        order = np.argsort(distances, axis=1)
        del distances
        #: rank[i, j]: j is the rank[i, j]-th nearest neighbour of i (1 = the nearest).
        self.rank = np.empty((n, n), dtype=np.int64)
        self.rank[np.arange(n)[:, None], order] = np.arange(1, n + 1)
        self.n = n

    def trustworthiness(self, embedding: np.ndarray, k: int = 5) -> float:
        """$T(k)$ of ``embedding``, a map of the same points in the same order."""
        # lazy: scikit-learn takes a second to import
        from sklearn.neighbors import NearestNeighbors

        if not isinstance(embedding, np.ndarray) or embedding.ndim != 2:
            raise ValueError("trustworthiness: the embedding must be a 2-D array")
        if len(embedding) != self.n:
            raise ValueError(
                f"trustworthiness: the embedding has {len(embedding)} points, the input "
                f"space {self.n}"
            )
        check_int("trustworthiness: k", k, 1, (self.n - 1) // 2)  # k < n / 2
        neighbours = (
            NearestNeighbors(n_neighbors=k).fit(embedding).kneighbors(return_distance=False)
        )
        excess = self.rank[np.arange(self.n)[:, None], neighbours] - k
        penalty = float(np.sum(excess[excess > 0]))
        n = self.n
        return 1.0 - penalty * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))
