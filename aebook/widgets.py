"""Trained models for the site's interactive figures, described for the reader's browser.

The book's pages run small models in the reader's browser (``_static/aebook-widgets.js``):
move the pointer over a 2-D latent space and the decoder draws the image for that point
(chapter 7); draw a digit and the autoencoder reconstructs it and scores its error
(chapters 2 and 9). The weights come from the chapter's own full-profile run: when the
book's executor (``booktools.execute``) runs a chapter, it tells the kernel the chapter's
code hash and a staging folder (``AEBOOK_CODE_SHA256`` and ``AEBOOK_WIDGET_DIR``), and
:func:`export_latent_explorer` and :func:`export_drawing_pad` describe the models there as
JSON, stamped with that hash; the executor publishes them as the site's weights files
(``booktools.widgets``). Run anywhere else (Colab, Jupyter, the tests), they write nothing
and say so.

Weights are stored as float16 (base64), half the size of float32. (In base64 the float16
weights of two 200,000-parameter decoders take about 1.1 MB.)
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "FORMAT",
    "WidgetError",
    "dense_layers",
    "export_drawing_pad",
    "export_latent_explorer",
    "strict_json",
]

#: A Keras model. Keras ships no type information: a third-party boundary.
KerasModel = Any
#: A widget file's JSON document, as ``json`` builds it.
Document = dict[str, Any]

#: The version of the file format, written into every file.
FORMAT = 1
#: The activations the browser's forward pass implements.
ACTIVATIONS = ("linear", "relu", "sigmoid")
#: What a widget name may be: it becomes a file name and a JavaScript string.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
CODE_ENV = "AEBOOK_CODE_SHA256"
DIR_ENV = "AEBOOK_WIDGET_DIR"


class WidgetError(ValueError):
    """A model or a widget file that the browser's forward pass cannot use."""


def _b64(a: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


def dense_layers(model: KerasModel) -> list[Document]:
    """The Dense layers of a Keras model, in order, as ``{"kernel", "bias", "activation"}``.

    Only models the browser can run are accepted: a chain of ``Dense`` layers (input layers
    aside) with linear, ReLU or sigmoid activations.
    """
    out = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        if kind != "Dense":
            raise WidgetError(
                f"layer {layer.name!r} is a {kind}; the browser runs Dense layers only"
            )
        activation = getattr(layer.activation, "__name__", str(layer.activation))
        if activation not in ACTIVATIONS:
            raise WidgetError(
                f"layer {layer.name!r} has activation {activation!r}, not one of {ACTIVATIONS}"
            )
        weights = layer.get_weights()
        if len(weights) != 2:
            raise WidgetError(f"layer {layer.name!r} has no bias; the browser expects one")
        kernel, bias = (np.asarray(w, dtype=np.float32) for w in weights)
        for w in (kernel, bias):
            if not np.all(np.isfinite(w.astype(np.float16))):
                raise WidgetError(f"layer {layer.name!r} has weights beyond float16's range")
        out.append({"kernel": kernel, "bias": bias, "activation": activation})
    if not out:
        raise WidgetError("the model has no Dense layers")
    return out


def _target() -> tuple[str, Path] | None:
    """The code hash and the folder to write to, when the book's executor is running."""
    sha, folder = os.environ.get(CODE_ENV), os.environ.get(DIR_ENV)
    if not sha or not folder:
        print("(the interactive figure's weights are written only by the book's executor)")
        return None
    return sha, Path(folder)


def _encode_layers(layers: list[Document]) -> list[Document]:
    """:func:`dense_layers`' output as the file stores it (float16 in base64)."""
    return [
        {
            "shape": list(layer["kernel"].shape),
            "kernel": _b64(layer["kernel"], "<f2"),
            "bias": _b64(layer["bias"], "<f2"),
            "activation": layer["activation"],
        }
        for layer in layers
    ]


def strict_json(doc: Document) -> str:
    """``doc`` as compact JSON, refusing NaN and infinities (browsers' JSON.parse rejects them)."""
    try:
        return json.dumps(doc, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        raise WidgetError(
            f"the widget document holds a NaN or infinite number, which JSON cannot carry ({exc})"
        ) from exc


def _write(folder: Path, name: str, doc: Document) -> None:
    """Hand ``doc`` to the executor: JSON in its staging folder, which it publishes.

    Written to a temporary file and renamed, so the folder never holds half a document.
    """
    if not NAME_PATTERN.fullmatch(name):
        raise WidgetError(f"widget name {name!r}: use letters, digits, '_' and '-' only")
    text = strict_json(doc)
    path = folder / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{name}.json.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    print(f"interactive figure: {name}, {path.stat().st_size / 1e6:.2f} MB")


def _extent(value: object, title: str) -> float:
    """A panel's half-width: a finite, positive number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise WidgetError(f"extents[{title!r}] must be a number, got {value!r}")
    extent = float(value)
    if not np.isfinite(extent):
        raise WidgetError(f"extents[{title!r}] must be finite, got {extent}")
    if extent <= 0:
        raise WidgetError(f"extents[{title!r}] must be positive, got {extent}")
    return extent


def _points(value: object, title: str, n: int) -> np.ndarray:
    """A panel's 2-D codes, ``(n, 2)``, finite and within float16's range."""
    xy = np.asarray(value, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) != n:
        raise WidgetError(f"points of {title!r} must be (n, 2) with one label each")
    if not np.all(np.isfinite(xy)):
        raise WidgetError(f"points[{title!r}] must be finite (it holds NaN or infinity)")
    peak = float(np.abs(xy).max(initial=0.0))
    if peak > float(np.finfo(np.float16).max):
        raise WidgetError(
            f"points[{title!r}] reaches {peak:g}, beyond float16's range "
            f"(+-{float(np.finfo(np.float16).max):g}), in which the file stores it"
        )
    return xy.astype(np.float32)


def _labels(value: object) -> np.ndarray:
    """The points' classes as bytes: whole numbers from 0 to 255."""
    labels = np.asarray(value)
    if labels.ndim != 1:
        raise WidgetError(f"labels must be 1-D, got shape {labels.shape}")
    if labels.size and (
        not np.issubdtype(labels.dtype, np.number)
        or np.issubdtype(labels.dtype, np.complexfloating)
        or not np.all(np.isfinite(labels))
        or not np.all(labels == np.round(labels))
        or labels.min() < 0
        or labels.max() > 255
    ):
        raise WidgetError(
            "labels must be whole numbers from 0 to 255 (the file stores one byte each); "
            f"got values from {labels.min()!r} to {labels.max()!r}"
        )
    return labels.astype(np.uint8)


def export_latent_explorer(
    name: str,
    decoders: Mapping[str, KerasModel],
    points: Mapping[str, np.ndarray],
    labels: np.ndarray,
    extents: Mapping[str, float],
) -> None:
    """Write the decoders and their 2-D scatter of codes for the page's latent explorer.

    ``decoders`` maps a panel's title to a Keras decoder from 2 numbers to 784 pixels;
    ``points`` gives, per panel, the 2-D codes of the test images to draw behind it, and
    ``labels`` their classes; panel ``title`` covers ``[-extents[title], extents[title]]`` in
    both directions.
    Prints the file written, or (outside the book's executor) that nothing was written.
    """
    target = _target()
    if target is None:
        return
    sha, folder = target
    if not (set(decoders) == set(points) == set(extents)):
        raise WidgetError("decoders, points and extents must name the same panels")
    labels = _labels(labels)
    panels = {}
    for title, decoder in decoders.items():
        layers = dense_layers(decoder)
        if layers[0]["kernel"].shape[0] != 2 or layers[-1]["kernel"].shape[1] != 784:
            raise WidgetError(f"decoder {title!r} must map 2 numbers to 784 pixels")
        xy = _points(points[title], title, len(labels))
        panels[title] = {
            "layers": _encode_layers(layers),
            "points": _b64(xy, "<f2"),
            "extent": _extent(extents[title], title),
        }
    doc = {
        "format": FORMAT,
        "kind": "latent explorer",
        "code_sha256": sha,
        "n_points": int(len(labels)),
        "labels": _b64(labels, "u1"),
        "panels": panels,
    }
    _write(folder, name, doc)


def export_drawing_pad(
    name: str, encoder: KerasModel, decoder: KerasModel, test_errors: np.ndarray
) -> None:
    """Write a dense autoencoder for the page's drawing pad.

    The reader draws on a 28x28 canvas; the page runs ``encoder`` (784 pixels to a code) and
    ``decoder`` (the code to 784 pixels), shows the code and the reconstruction, and places
    the drawing's mean squared error among ``test_errors``, the same error for each test
    image. Prints the file written, or (outside the executor) that nothing was written.
    """
    target = _target()
    if target is None:
        return
    sha, folder = target
    enc, dec = dense_layers(encoder), dense_layers(decoder)
    if enc[0]["kernel"].shape[0] != 784 or dec[-1]["kernel"].shape[1] != 784:
        raise WidgetError("the encoder must take 784 pixels and the decoder give 784")
    if enc[-1]["kernel"].shape[1] != dec[0]["kernel"].shape[0]:
        raise WidgetError("the encoder's code and the decoder's input differ in size")
    errors = np.sort(np.asarray(test_errors, dtype=np.float32).ravel())
    if errors.size == 0 or not np.all(np.isfinite(errors)) or errors[0] < 0:
        raise WidgetError("test_errors must be finite, non-negative and not empty")
    doc = {
        "format": FORMAT,
        "kind": "drawing pad",
        "code_sha256": sha,
        "encoder": _encode_layers(enc),
        "decoder": _encode_layers(dec),
        "n_errors": int(errors.size),
        "errors": _b64(errors, "<f4"),
    }
    _write(folder, name, doc)
