"""Record a chapter's headline numbers so the prose, the tests and later pages can read them.

:func:`record` writes a value as a hidden display output in myst-nb's *glue* format,
the format ``myst_nb.glue(name, value, display=False)`` produces, without needing
myst-nb in the kernel (Colab does not have it). On the site the prose quotes it with
``{glue:text}`name:.4f```; :func:`read_records` reads every recorded value back out
of an executed notebook file.
"""

from __future__ import annotations

import ast
import json
import math
import os
from numbers import Integral, Real
from typing import Any

__all__ = ["GLUE_PREFIX", "read_records", "record"]

GLUE_PREFIX = "application/papermill.record/"


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"record name must be an identifier like 'test_bce', got {name!r}")


def record(name: str, value: Real | str) -> None:
    """Record ``value`` under ``name`` in the output of the current notebook cell.

    ``value`` must be a finite number or a string. Outside IPython this does nothing
    beyond the checks, so helper code can call it from scripts too.
    """
    _check_name(name)
    if isinstance(value, bool) or not isinstance(value, (Real, str)):
        raise TypeError(f"record({name!r}) takes a number or a string, got {type(value).__name__}")
    if isinstance(value, Real):
        value = int(value) if isinstance(value, Integral) else float(value)
        if not math.isfinite(value):
            raise ValueError(f"record({name!r}) got a non-finite value {value}")
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        return
    if get_ipython() is None:
        return
    display(
        {GLUE_PREFIX + "text/plain": repr(value)},
        raw=True,
        metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}},
    )


def read_records(path: str | os.PathLike[str]) -> dict[str, Any]:
    """All values recorded (glued) in an executed notebook, as Python numbers or strings."""
    with open(path, encoding="utf-8") as fh:
        nb = json.load(fh)
    found: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            data = out.get("data", {})
            text = data.get(meta.get("mime_prefix", "") + "text/plain")
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
