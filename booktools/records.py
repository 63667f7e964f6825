"""Read the values a chapter recorded with :func:`aebook.record` back out of its notebook."""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Mapping

from aebook.glue import GLUE_PREFIX

from .jsontypes import Json, JsonObject

__all__ = ["RecordError", "read_records", "records_of"]


class RecordError(ValueError):
    """A recorded value that cannot be read back; the message names the record."""


def read_records(path: str | os.PathLike[str]) -> JsonObject:
    """All values recorded (glued) in an executed notebook file, as numbers or strings."""
    with open(path, encoding="utf-8") as fh:
        try:
            notebook = json.load(fh)
        except RecursionError as exc:
            raise RecordError(f"{path}: the notebook's JSON is nested too deeply") from exc
    try:
        return records_of(notebook)
    except RecordError as exc:
        raise RecordError(f"{path}: {exc}") from exc


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
            found[meta["name"]] = _parse(meta["name"], text)
    return found


def _parse(name: str, text: str) -> Json:
    """One recorded value from its text: JSON, else a Python literal (``repr``), else text."""
    digits = len(text.strip().lstrip("+-"))
    too_deep = RecordError(
        f"record {name!r} is nested too deeply to read ({len(text):,} characters); "
        "aebook.record writes a single number or string: record it again"
    )
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    except RecursionError:
        raise too_deep from None
    except ValueError as exc:  # an integer past Python's 4,300-digit limit
        raise RecordError(
            f"record {name!r} is a {digits}-digit integer, which cannot be read ({exc}); "
            "aebook.record now refuses integers past 2**53: record a float instead"
        ) from exc
    try:  # record() writes repr(value): a Python literal
        return ast.literal_eval(text)
    except (RecursionError, MemoryError):
        raise too_deep from None
    except SyntaxError as exc:
        if "nested" in str(exc):
            raise too_deep from None
        return text.strip("'\"")
    except ValueError:
        return text.strip("'\"")
