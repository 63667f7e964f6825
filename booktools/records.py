"""Read the values a chapter recorded with :func:`aebook.record` back out of its notebook."""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Mapping

from aebook.glue import GLUE_PREFIX

from .jsontypes import Json, JsonObject

__all__ = ["read_records", "records_of"]


def read_records(path: str | os.PathLike[str]) -> JsonObject:
    """All values recorded (glued) in an executed notebook file, as numbers or strings."""
    with open(path, encoding="utf-8") as fh:
        return records_of(json.load(fh))


def records_of(nb: Mapping[str, Json]) -> JsonObject:
    """All values recorded in a parsed notebook (the JSON of an .ipynb file)."""
    found: JsonObject = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            data = out.get("data", {})
            text = data.get(meta.get("mime_prefix", GLUE_PREFIX) + "text/plain")
            if text is None:
                continue
            text = "".join(text) if isinstance(text, list) else text
            try:
                found[meta["name"]] = json.loads(text)
            except json.JSONDecodeError:
                try:  # record() writes repr(value): a Python literal
                    found[meta["name"]] = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    found[meta["name"]] = text.strip("'\"")
    return found
