"""Take named top-level definitions out of a chapter notebook's code, for the benchmarks.

A benchmark that times "the book's recipe" must time the recipe the chapter teaches, not a
copy that drifts from it. :func:`definitions` returns the source of the top-level statements
of a notebook's code cells that define the given names (a ``def``, a ``class``, or an
assignment to that one name), in notebook order, so that a benchmark can run the chapter's
own model builder and optimiser. :func:`fingerprint` names that source: a benchmark stores it
with its results, and a test fails when a chapter's code changes and the results do not.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["ChapterCodeError", "definitions", "fingerprint"]


class ChapterCodeError(ValueError):
    """A name is missing from a notebook, or defined there more than once."""


def _defined_name(node: ast.stmt) -> str | None:
    """The one name a top-level statement defines, or None."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def _statement_source(lines: list[str], node: ast.stmt) -> str:
    """The statement's lines, decorators included."""
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(d.lineno for d in decorators)])
    assert node.end_lineno is not None  # set by ast.parse
    return "\n".join(lines[first - 1 : node.end_lineno])


def definitions(notebook: str | os.PathLike[str], names: Iterable[str]) -> str:
    """The source defining ``names`` in ``notebook``'s code cells, in notebook order.

    Raises :class:`ChapterCodeError` naming the notebook and the name when a name is not
    defined at the top level of any code cell, or is defined more than once (the caller
    could not tell which one the chapter means).
    """
    path = Path(notebook)
    wanted = list(dict.fromkeys(names))
    with path.open(encoding="utf-8") as fh:
        cells = json.load(fh)["cells"]
    found: dict[str, tuple[int, int, str]] = {}  # name -> (cell, line, source)
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        text = "".join(cell["source"])
        try:
            tree = ast.parse(text)
        except SyntaxError as error:  # e.g. an IPython magic: this cell defines nothing usable
            if any(name in text for name in wanted):
                raise ChapterCodeError(
                    f"{path.name}: code cell {index} does not parse ({error.msg}); "
                    "it mentions a name the benchmark needs"
                ) from error
            continue
        lines = text.splitlines()
        for node in tree.body:
            name = _defined_name(node)
            if name not in wanted:
                continue
            if name in found:
                raise ChapterCodeError(
                    f"{path.name}: {name!r} is defined in cell {found[name][0]} and again in "
                    f"cell {index}; give the benchmark a name defined once"
                )
            found[name] = (index, node.lineno, _statement_source(lines, node))
    missing = [name for name in wanted if name not in found]
    if missing:
        raise ChapterCodeError(
            f"{path.name} defines no top-level {', '.join(map(repr, missing))}: "
            "rename the benchmark's names to match the chapter's code"
        )
    ordered = sorted(found.values(), key=lambda item: (item[0], item[1]))
    return "\n\n".join(source for _, _, source in ordered) + "\n"


def fingerprint(*parts: str) -> str:
    """A short hash of source text (and whatever else decides a result), for staleness tests."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]
