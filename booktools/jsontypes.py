"""Names for the JSON the toolchain reads: notebooks, records, the manifest, reports.

``json.load``, ``yaml.safe_load`` and ``nbformat`` return untyped values, so these names
mark a third-party boundary: every reader checks the shape it needs and raises an error
naming the file when the shape is wrong. ``tests/test_structure.py`` allows ``Any`` in the
toolchain and the library only in aliases like these.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Json", "JsonObject"]

#: Any value a JSON (or YAML, or notebook) reader returns.
Json = Any
#: A JSON object: a notebook, a cell, a record table, a report.
JsonObject = dict[str, Any]
