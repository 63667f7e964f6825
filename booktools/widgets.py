"""The site's weights files for the interactive figures: publish, read and run them.

A chapter's full run describes its figure's models as JSON in the executor's staging folder
(:mod:`aebook.widgets`); :func:`publish` turns each into ``_static/widgets/NAME.js``, a short
script that stores the document as ``window.aebookWidgetFiles["NAME"]``. The page includes it
with a ``<script>`` element rather than fetching it, so the figures work from disk
(``file://``) as well as from a server. :func:`load` reads a published file back with its
arrays decoded, and :func:`forward` is the browser's forward pass in NumPy, for the tests.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from aebook.widgets import ACTIVATIONS, FORMAT, NAME_PATTERN, WidgetError, strict_json

from .atomic import write_text
from .jsontypes import Json, JsonObject

__all__ = ["forward", "load", "publish", "read_document", "script_text"]

#: The first two lines of every widget file; the third is the JSON document and a ``;``.
_HEADER = "/* Weights of one of the book's interactive figures, written by booktools.widgets. */"
_ASSIGN = '(window.aebookWidgetFiles = window.aebookWidgetFiles || {{}})["{name}"] ='


def script_text(name: str, doc: Mapping[str, Json]) -> str:
    """The widget file for ``doc``: a script that stores it as ``aebookWidgetFiles[name]``.

    A script, not a JSON file the page fetches, so that the figures also work when a page
    is opened from disk (``file://``), where browsers refuse ``fetch``.
    """
    if not NAME_PATTERN.fullmatch(name):
        raise WidgetError(f"widget name {name!r}: use letters, digits, '_' and '-' only")
    payload = strict_json(dict(doc))
    return f"{_HEADER}\n{_ASSIGN.format(name=name)}\n{payload};\n"


def publish(staging: str | os.PathLike[str], static: str | os.PathLike[str]) -> list[Path]:
    """Write each ``NAME.json`` of ``staging`` as the site's ``static/NAME.js``; return them."""
    written = []
    for exported in sorted(Path(staging).glob("*.json")):
        doc = json.loads(exported.read_text(encoding="utf-8"))
        target = Path(static) / f"{exported.stem}.js"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text(target, script_text(exported.stem, doc))
        written.append(target)
    return written


def _unb64(text: str, dtype: str, shape: Sequence[int]) -> np.ndarray:
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    a = np.frombuffer(raw, dtype=dtype)
    if a.size != int(np.prod(shape)):
        raise WidgetError(
            f"expected {int(np.prod(shape))} values of shape {tuple(shape)}, got {a.size}"
        )
    return a.reshape(shape)


def _decode_layers(layers: list[JsonObject], path: Json) -> None:
    for layer in layers:
        shape = layer["shape"]
        layer["kernel"] = _unb64(layer["kernel"], "<f2", shape).astype(np.float32)
        layer["bias"] = _unb64(layer["bias"], "<f2", (shape[1],)).astype(np.float32)
        if layer["activation"] not in ACTIVATIONS:
            raise WidgetError(f"{path}: unknown activation {layer['activation']!r}")


def read_document(path: str | os.PathLike[str]) -> JsonObject:
    """The JSON document inside a widget file (see :func:`script_text`), arrays still encoded.

    The file must be named after the key it assigns (``NAME.js`` sets ``["NAME"]``), which
    is how the page finds it.
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    assign = _ASSIGN.format(name=path.stem)
    if len(lines) != 4 or lines[0] != _HEADER or lines[1] != assign or lines[3] != "":
        raise WidgetError(
            f"{path}: not a widget file for {path.stem!r} (expected the header, "
            f"`{assign}`, one line of JSON and a final newline); re-run the chapter with "
            "`python -m booktools.execute` to write it again"
        )
    if not lines[2].endswith(";"):
        raise WidgetError(f"{path}: the JSON line must end with ';'")
    try:
        doc = json.loads(lines[2][:-1])
    except json.JSONDecodeError as exc:
        raise WidgetError(f"{path}: the JSON document is malformed ({exc})") from exc
    if not isinstance(doc, dict):
        raise WidgetError(f"{path}: the document is not a JSON object")
    return doc


def load(path: str | os.PathLike[str]) -> JsonObject:
    """A widget file with its arrays decoded (weights as float32 from float16)."""
    doc = read_document(path)
    if doc.get("format") != FORMAT:
        raise WidgetError(f"{path}: format {doc.get('format')!r}, expected {FORMAT}")
    if doc.get("kind") == "latent explorer":
        n = doc["n_points"]
        doc["labels"] = _unb64(doc["labels"], "u1", (n,))
        for panel in doc["panels"].values():
            panel["points"] = _unb64(panel["points"], "<f2", (n, 2)).astype(np.float32)
            _decode_layers(panel["layers"], path)
    elif doc.get("kind") == "drawing pad":
        doc["errors"] = _unb64(doc["errors"], "<f4", (doc["n_errors"],))
        _decode_layers(doc["encoder"], path)
        _decode_layers(doc["decoder"], path)
    else:
        raise WidgetError(f"{path}: unknown kind {doc.get('kind')!r}")
    return doc


def forward(layers: Sequence[Mapping[str, Json]], z: np.ndarray) -> np.ndarray:
    """The browser's forward pass in NumPy (float32), for a batch of rows ``z``."""
    h = np.asarray(z, dtype=np.float32)
    for layer in layers:
        h = h @ layer["kernel"] + layer["bias"]
        if layer["activation"] == "relu":
            h = np.maximum(h, 0)
        elif layer["activation"] == "sigmoid":
            with np.errstate(over="ignore"):  # exp(-h) = inf gives 0, as in the browser
                h = 1 / (1 + np.exp(-h))
    return h.astype(np.float32)
