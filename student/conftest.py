"""The chapters' pytest guard (notebooks/conftest.py), for the student notebooks too."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "chapters_conftest", Path(__file__).resolve().parents[1] / "notebooks" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_chapters = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_chapters)
pytest_collection_modifyitems = _chapters.pytest_collection_modifyitems
