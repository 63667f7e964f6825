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
import binascii
import json
import math
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


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON (browsers' JSON.parse rejects it)")


def read_document(path: str | os.PathLike[str]) -> JsonObject:
    """The JSON document inside a widget file (see :func:`script_text`), arrays still encoded.

    The file must be named after the key it assigns (``NAME.js`` sets ``["NAME"]``), which
    is how the page finds it.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError as exc:
        raise WidgetError(f"{path}: not UTF-8 text ({exc})") from exc
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
        doc = json.loads(lines[2][:-1], parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise WidgetError(f"{path}: the JSON document is malformed ({exc})") from exc
    except RecursionError as exc:
        raise WidgetError(f"{path}: the JSON document is nested too deeply") from exc
    except ValueError as exc:  # NaN or Infinity, which browsers' JSON.parse rejects
        raise WidgetError(f"{path}: the JSON document is not strict JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise WidgetError(f"{path}: the document is not a JSON object")
    return doc


class _Checker:
    """Reads fields of one widget file, raising a :class:`WidgetError` that names the file
    and the field (``decoder[0].kernel``) for whatever the browser could not use."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> WidgetError:
        return WidgetError(f"{self.path}: {where} {problem}")

    def obj(self, value: Json, where: str) -> JsonObject:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a JSON object, got {type(value).__name__}")
        return value

    def get(self, obj: JsonObject, key: str, where: str) -> Json:
        if key not in obj:
            raise self.fail(f"{where}.{key}" if where else key, "is missing")
        return obj[key]

    def count(self, obj: JsonObject, key: str, where: str = "") -> int:
        value = self.get(obj, key, where)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(key, f"must be a whole number >= 0, got {value!r}")
        return value

    def array(self, text: Json, dtype: str, shape: Sequence[int], where: str) -> np.ndarray:
        """Base64 ``text`` as an array of ``shape``, its size checked before it is decoded."""
        if not isinstance(text, str):
            raise self.fail(where, f"must be base64 text, got {type(text).__name__}")
        expected = math.prod(shape)
        size = np.dtype(dtype).itemsize
        # base64 needs 4 characters per 3 bytes: check the length before decoding anything
        if len(text) != 4 * -(-expected * size // 3):
            raise self.fail(
                where,
                f"holds {len(text) * 3 // 4 // size:,} values, expected {expected:,} "
                f"(shape {tuple(shape)})",
            )
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error) as exc:
            raise self.fail(where, f"is not valid base64 ({exc})") from exc
        if len(raw) != expected * size:
            raise self.fail(
                where,
                f"holds {len(raw) // size:,} values, expected {expected:,} (shape {tuple(shape)})",
            )
        a = np.frombuffer(raw, dtype=dtype).reshape(shape)
        return a

    def finite(self, a: np.ndarray, where: str) -> np.ndarray:
        if not np.all(np.isfinite(a)):
            raise self.fail(where, "must be finite (it holds NaN or infinity)")
        return a

    def number(self, value: Json, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"must be a number, got {value!r}")
        if not math.isfinite(value) or value <= 0:
            raise self.fail(where, f"must be a finite, positive number, got {value!r}")
        return float(value)

    def layers(
        self, value: Json, where: str, n_in: int | None, n_out: int | None
    ) -> list[JsonObject]:
        """A chain of Dense layers, each decoded; sizes chained from ``n_in`` to ``n_out``."""
        if not isinstance(value, list) or not value:
            raise self.fail(where, "must be a list of at least one layer")
        expected_in = n_in
        for i, item in enumerate(value):
            at = f"{where}[{i}]"
            layer = self.obj(item, at)
            shape = self.get(layer, "shape", at)
            if (
                not isinstance(shape, list)
                or len(shape) != 2
                or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
            ):
                raise self.fail(f"{at}.shape", f"must be two positive whole numbers, got {shape!r}")
            if expected_in is not None and shape[0] != expected_in:
                source = "the previous layer gives" if i else "its input has"
                raise self.fail(at, f"takes {shape[0]} numbers, but {source} {expected_in}")
            activation = self.get(layer, "activation", at)
            if activation not in ACTIVATIONS:
                raise self.fail(
                    at, f"has unknown activation {activation!r}, not one of {ACTIVATIONS}"
                )
            kernel = self.array(self.get(layer, "kernel", at), "<f2", shape, f"{at}.kernel")
            bias = self.array(self.get(layer, "bias", at), "<f2", (shape[1],), f"{at}.bias")
            layer["kernel"] = self.finite(kernel.astype(np.float32), f"{at}.kernel")
            layer["bias"] = self.finite(bias.astype(np.float32), f"{at}.bias")
            expected_in = shape[1]
        if n_out is not None and expected_in != n_out:
            raise self.fail(
                f"{where}[{len(value) - 1}]", f"gives {expected_in} numbers, expected {n_out}"
            )
        return value


def load(path: str | os.PathLike[str]) -> JsonObject:
    """A widget file with its arrays decoded (weights as float32 from float16).

    Everything the page relies on is checked, and anything else is a :class:`WidgetError`
    naming the file and the field: the keys and their types, base64 sizes against the
    declared shapes, finite weights, points and errors, layer sizes that chain (2 to 784
    numbers in a latent explorer's decoders; 784 to a code to 784 in a drawing pad),
    positive extents and errors sorted as the page's ranking expects.
    """
    doc = read_document(path)
    check = _Checker(path)
    version = doc.get("format")
    if isinstance(version, bool) or version != FORMAT:
        raise WidgetError(f"{path}: format {version!r}, expected {FORMAT}")
    kind = doc.get("kind")
    if not isinstance(check.get(doc, "code_sha256", ""), str):
        raise check.fail("code_sha256", "must be text")
    if kind == "latent explorer":
        n = check.count(doc, "n_points")
        doc["labels"] = check.array(check.get(doc, "labels", ""), "u1", (n,), "labels")
        panels = check.obj(check.get(doc, "panels", ""), "panels")
        if not panels:
            raise check.fail("panels", "must name at least one panel")
        for title, value in panels.items():
            where = f"panels[{title!r}]"
            panel = check.obj(value, where)
            points = check.array(
                check.get(panel, "points", where), "<f2", (n, 2), f"{where}.points"
            )
            panel["points"] = check.finite(points.astype(np.float32), f"{where}.points")
            panel["extent"] = check.number(check.get(panel, "extent", where), f"{where}.extent")
            check.layers(check.get(panel, "layers", where), f"{where}.layers", 2, 784)
    elif kind == "drawing pad":
        n = check.count(doc, "n_errors")
        if n == 0:
            raise check.fail("n_errors", "must be at least 1")
        errors = check.array(check.get(doc, "errors", ""), "<f4", (n,), "errors")
        check.finite(errors, "errors")
        if errors[0] < 0 or np.any(np.diff(errors) < 0):
            raise check.fail("errors", "must be non-negative and sorted in increasing order")
        doc["errors"] = errors
        encoder = check.layers(check.get(doc, "encoder", ""), "encoder", 784, None)
        code = int(encoder[-1]["shape"][1])
        check.layers(check.get(doc, "decoder", ""), "decoder", code, 784)
    else:
        raise WidgetError(f"{path}: unknown kind {kind!r}")
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
