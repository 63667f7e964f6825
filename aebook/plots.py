"""Figures every chapter draws: image rows and grids, per-class examples, training curves.

Each function returns the :class:`matplotlib.figure.Figure` it drew, titles and labels
set, grayscale images shown with ``cmap="gray"`` on a fixed 0-1 (or 0-255) scale so a
faint reconstruction looks faint. Images that scale would draw wrongly are refused with the
fix named: floats above 1 (pixels in 0-255: divide by 255), negative values (weights:
``image_grid(..., signed=True)``; pixels: clip) and NaN or infinite values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

#: A ``keras.callbacks.History`` (Keras ships no types: a third-party boundary) or a
#: ``{"loss": [...], ...}`` dict.
HistoryLike = Any

__all__ = [
    "autoencoder_diagram",
    "compare_rows",
    "examples_per_class",
    "image_grid",
    "plot_history",
]


def _as_images(x: object, what: str) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{what} must be a NumPy array, got {type(x).__name__}")
    if x.ndim == 2 and x.shape[1] == 784:
        return x.reshape(-1, 28, 28)
    if x.ndim == 4 and x.shape[-1] == 1:
        return x[..., 0]
    if x.ndim == 3:
        return x
    raise ValueError(f"{what} must be (n, 784), (n, h, w) or (n, h, w, 1) images, got {x.shape}")


def _vmax(x: np.ndarray) -> float:
    return 255.0 if x.dtype == np.uint8 else 1.0


def _whole(value: object, what: str) -> int:
    """``value`` as an int, or a TypeError naming ``what`` (matplotlib's own is obscure)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be a whole number, got {value!r}")
    return int(value)


def _check_pixels(x: np.ndarray, what: str, negative_fix: str) -> None:
    """Refuse images the fixed gray scale would draw wrongly, naming ``what`` and the fix.

    uint8 images are drawn on 0-255 and anything else on 0-1, and matplotlib clips silently:
    floats in 0-255 would come out all white and negative values black.
    """
    if x.dtype == np.uint8 or x.size == 0:
        return
    values = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what} has NaN or infinite values; images must be finite")
    low, high = float(values.min()), float(values.max())
    if high > 1.0:
        raise ValueError(
            f"{what} has values up to {high:g}, but {x.dtype} images are drawn on 0-1: "
            "for pixels in 0-255, divide by 255 (aebook.scale) or pass them as uint8"
            + (f"; values below 0 too ({low:g}): {negative_fix}" if low < 0 else "")
        )
    if low < 0.0:
        raise ValueError(
            f"{what} has negative values (down to {low:g}), which would be drawn black on "
            f"the 0-1 gray scale: {negative_fix}"
        )


_CLIP = "clip them with np.clip(x, 0, 1) if they are pixels"


def _hide_ticks(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def compare_rows(
    rows: Mapping[str, np.ndarray], n: int = 10, title: str | None = None, scale: float = 1.2
) -> Figure:
    """One row of ``n`` images per entry of ``rows``, the same index in each column.

    ``rows`` maps a row label to images, e.g. ``{"original": x, "reconstruction": x_hat}``
    or ``{"noisy": x_noisy, "denoised": x_den, "clean": x}``.
    """

    if not rows:
        raise ValueError("compare_rows needs at least one row")
    n = _whole(n, "n")
    images = {label: _as_images(x, f"rows[{label!r}]") for label, x in rows.items()}
    for label, x in images.items():
        _check_pixels(x, f"rows[{label!r}]", _CLIP)
    shortest = min(len(x) for x in images.values())
    if n < 1 or n > shortest:
        raise ValueError(f"n must be between 1 and {shortest}, got {n}")
    fig, axes = plt.subplots(
        len(images), n, figsize=(scale * n, scale * len(images) + 0.4), squeeze=False
    )
    for r, (label, x) in enumerate(images.items()):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(x[c], cmap="gray", vmin=0.0, vmax=_vmax(x))
            _hide_ticks(ax)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def image_grid(
    images: np.ndarray,
    ncols: int = 10,
    titles: Sequence[str] | None = None,
    title: str | None = None,
    scale: float = 1.2,
    cmap: str = "gray",
    signed: bool = False,
) -> Figure:
    """Images in a grid of ``ncols`` columns, optionally each with a small title.

    ``signed=True`` is for signed values such as weights: each image is divided by its own
    largest absolute value and drawn on [-1, 1] with ``cmap``, which must then be a
    diverging map (e.g. ``"RdBu_r"``) so that zero sits at its centre.
    """

    x = _as_images(images, "images")
    ncols = _whole(ncols, "ncols")
    if len(x) == 0:
        raise ValueError("image_grid needs at least one image")
    if signed:
        if cmap == "gray":
            raise ValueError('signed images need a diverging cmap, such as "RdBu_r"')
        x = np.asarray(x, dtype=float)
        if not np.all(np.isfinite(x)):
            raise ValueError("images has NaN or infinite values; images must be finite")
        peak = np.abs(x).reshape(len(x), -1).max(axis=1)
        x = x / np.where(peak > 0, peak, 1.0)[:, None, None]
    elif cmap == "gray":
        _check_pixels(
            x,
            "images",
            "for signed values such as weights, pass signed=True with a diverging cmap such as "
            '"RdBu_r"; ' + _CLIP,
        )
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    if titles is not None and len(titles) != len(x):
        raise ValueError(f"{len(titles)} titles for {len(x)} images")
    ncols = min(ncols, len(x))
    nrows = -(-len(x) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(scale * ncols, scale * nrows + 0.4), squeeze=False
    )
    vmin: float | None
    vmax: float | None
    if signed:
        vmin, vmax = -1.0, 1.0
    else:
        vmin, vmax = (0.0, _vmax(x)) if cmap == "gray" else (None, None)
    for i, ax in enumerate(axes.flat):
        _hide_ticks(ax)
        if i >= len(x):
            ax.axis("off")
            continue
        ax.imshow(x[i], cmap=cmap, vmin=vmin, vmax=vmax)
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def examples_per_class(
    x: np.ndarray,
    y: np.ndarray,
    class_names: Sequence[str],
    per_class: int = 10,
    title: str | None = None,
) -> Figure:
    """A row of the first ``per_class`` images of every class, labelled with its name."""

    imgs = _as_images(x, "x")
    per_class = _whole(per_class, "per_class")
    _check_pixels(imgs, "x", _CLIP)
    y = np.asarray(y)
    if y.shape != (len(imgs),):
        raise ValueError(f"y must have shape ({len(imgs)},), got {y.shape}")
    k = len(class_names)
    rows = [np.flatnonzero(y == c)[:per_class] for c in range(k)]
    for c, idx in enumerate(rows):
        if len(idx) < per_class:
            raise ValueError(f"class {c} ({class_names[c]!r}) has only {len(idx)} examples")
    fig, axes = plt.subplots(k, per_class, figsize=(per_class * 0.9, k * 0.9 + 0.4), squeeze=False)
    for c, idx in enumerate(rows):
        for j, i in enumerate(idx):
            axes[c, j].imshow(imgs[i], cmap="gray", vmin=0.0, vmax=_vmax(imgs))
            _hide_ticks(axes[c, j])
        axes[c, 0].set_ylabel(class_names[c], rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _history_dict(h: HistoryLike) -> Mapping[str, Sequence[float]]:
    hist = getattr(h, "history", h)
    if not isinstance(hist, Mapping):
        raise TypeError(f"expected a keras History or a dict of lists, got {type(h).__name__}")
    return hist


def _is_single_history(h: object) -> bool:
    """A History, or a plain ``{"loss": [...], ...}`` dict (rather than ``{label: History}``)."""
    if hasattr(h, "history"):
        return True
    return isinstance(h, Mapping) and all(
        isinstance(v, (list, tuple, np.ndarray)) for v in h.values()
    )


def plot_history(
    histories: HistoryLike | Mapping[str, HistoryLike],
    keys: Sequence[str] = ("loss", "val_loss"),
    title: str = "Training curves",
    ylabel: str = "loss",
    logy: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Loss curves per epoch from a Keras ``History`` (or a ``{label: History}`` mapping).

    Solid lines are the first key (training), dashed the others (e.g. validation).
    """

    if isinstance(histories, Mapping) and not histories:
        raise ValueError("plot_history needs a History or a non-empty {label: History} mapping")
    if _is_single_history(histories):
        histories = {"": histories}
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError("plot_history needs a History or a non-empty {label: History} mapping")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
    else:  # an Axes may sit in a SubFigure; the figure returned is the whole one
        fig = ax.figure if isinstance(ax.figure, Figure) else ax.figure.figure
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, h) in enumerate(histories.items()):
        hist = _history_dict(h)
        for j, key in enumerate(keys):
            if key not in hist:
                raise KeyError(f"history {label!r} has no {key!r}; it has {sorted(hist)}")
            values = list(hist[key])
            name = f"{label} {key}".strip()
            ax.plot(
                range(1, len(values) + 1),
                values,
                color=colours[i % len(colours)],
                linestyle="-" if j == 0 else "--",
                marker="o" if len(values) == 1 else None,
                label=name,
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if logy:
        ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    return fig


def autoencoder_diagram(
    x: np.ndarray,
    code: np.ndarray,
    x_hat: np.ndarray,
    title: str | None = None,
    encoder_label: str = "encoder $f$",
    decoder_label: str = "decoder $g$",
    note: str = "both trained together to make $\\hat{x}$ close to $x$",
) -> Figure:
    """The anatomy of an autoencoder, drawn from real data.

    Left to right: the input image ``x``, the encoder (a funnel), the code ``h = f(x)`` as a
    bar strip of its ``k`` numbers, the decoder (a widening funnel) and the reconstruction
    ``x_hat = g(h)``, with ``note`` underneath. ``x`` and ``x_hat`` are one image each (784
    values, (28, 28) or (28, 28, 1)) in [0, 1] or uint8 0-255; ``code`` is a 1-D array.
    """

    images = [_as_images(np.asarray(v)[None], name)[0] for v, name in ((x, "x"), (x_hat, "x_hat"))]
    for image, name in zip(images, ("x", "x_hat"), strict=True):
        _check_pixels(image, name, _CLIP)
    code = np.asarray(code, dtype=float)
    if code.ndim != 1 or code.size == 0:
        raise ValueError(f"code must be a non-empty 1-D array, got shape {code.shape}")
    if not np.all(np.isfinite(code)):
        raise ValueError("code must be finite")
    fig = plt.figure(figsize=(10, 3.8))
    # Panels in figure coordinates: input, encoder, code, decoder, reconstruction.
    for image, left, label in (
        (images[0], 0.02, "input $x$\n784 pixels"),
        (images[1], 0.80, "reconstruction\n$\\hat{x} = g(f(x))$"),
    ):
        ax = fig.add_axes((left, 0.26, 0.18, 0.6))
        ax.imshow(image, cmap="gray", vmin=0, vmax=_vmax(image))
        _hide_ticks(ax)
        ax.set_xlabel(label)
    ax = fig.add_axes((0.455, 0.26, 0.09, 0.6))
    colours = np.where(code >= 0, "#0072B2", "#D55E00")  # Okabe-Ito blue, vermillion
    ax.barh(np.arange(code.size), code, color=colours, height=0.8)
    ax.axvline(0, color="0.3", linewidth=0.6)
    ax.set_ylim(code.size - 0.5, -0.5)
    _hide_ticks(ax)
    ax.set_xlabel(f"code $h = f(x)$\n{code.size} numbers")
    canvas = fig.add_axes((0, 0, 1, 1), zorder=-1)
    canvas.set_xlim(0, 1)
    canvas.set_ylim(0, 1)
    canvas.axis("off")
    for (x0, x1), wide_left, label in (
        ((0.225, 0.43), True, encoder_label),
        ((0.57, 0.775), False, decoder_label),
    ):
        tall, short = (0.24, 0.86), (0.4, 0.7)
        at_x0, at_x1 = (tall, short) if wide_left else (short, tall)
        corners = [(x0, at_x0[0]), (x1, at_x1[0]), (x1, at_x1[1]), (x0, at_x0[1])]
        canvas.add_patch(Polygon(corners, facecolor="#dde6f0", edgecolor="0.4"))
        canvas.text((x0 + x1) / 2, 0.55, label, ha="center", va="center", fontsize=11)
    canvas.text(0.5, 0.02, note, ha="center", va="bottom")
    if title:
        fig.suptitle(title, y=0.99)
    return fig
