"""The executor's stamp: what produced a committed notebook's outputs.

Every chapter the executor runs carries ``metadata["aebook"]``: the profile, the SHA-256 of
its code cells (:func:`code_sha256`) and of their outputs (:func:`outputs_sha256`), the wall
time, the machine and the library versions. The tests compare it with the notebook, so
outputs that are stale, hand-edited or from the smoke profile fail.
"""

from __future__ import annotations

import hashlib
import json

from .jsontypes import Json, JsonObject

__all__ = ["STAMP_KEY", "code_sha256", "outputs_sha256", "stamp_of"]

STAMP_KEY = "aebook"


def code_sha256(nb: JsonObject) -> str:
    """sha256 over the sources of a notebook's code cells, in order (outputs ignored)."""
    sources = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = cell["source"]
        sources.append("".join(src) if isinstance(src, list) else src)
    return hashlib.sha256(json.dumps(sources).encode("utf-8")).hexdigest()


def _canonical(value: Json) -> Json:
    """JSON value with multi-line strings joined (nbformat stores them as lists of lines)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            return "".join(value)
        return [_canonical(v) for v in value]
    return value


def outputs_sha256(nb: JsonObject) -> str:
    """sha256 over the outputs of a notebook's code cells, in order.

    Execution counts are left out; everything a reader sees (text, images, the recorded
    numbers) is in. The stamp keeps it, so a hand-edited or deleted output fails the tests.
    """
    outputs = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        cell_outputs = []
        for out in cell.get("outputs", []):
            out = {k: v for k, v in _canonical(dict(out)).items() if k != "execution_count"}
            cell_outputs.append(out)
        outputs.append(cell_outputs)
    text = json.dumps(outputs, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamp_of(nb: JsonObject) -> JsonObject | None:
    """The executor's stamp of a notebook, or ``None`` when it has none."""
    stamp = nb.get("metadata", {}).get(STAMP_KEY)
    return stamp if isinstance(stamp, dict) else None
