"""The student edition: every chapter without its solutions, for instructors to hand out.

``python -m booktools.student`` writes ``student/<chapter>.ipynb`` for every chapter of the
manifest. A student notebook is the chapter with

- every **solution** removed: a markdown cell that opens a solution dropdown
  (``:::{dropdown} Solution to exercise N.M``) and the code cells that follow it, up to the
  next markdown cell;
- the exercise statements (``**Exercise N.M (...)**`` paragraphs) each in a markdown cell
  of its own, followed by one empty code cell for the answer;
- no outputs (students run it), and a note under the title saying what it is.

Everything else is the chapter's, cell for cell. The files are committed so that a student can
open one in Colab from the repository, and ``tests/test_student.py`` fails when they are
stale, when any line of a solution leaks into them, or (with the notebooks) when one does
not run from top to bottom in the smoke profile with its answer cells empty.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from .atomic import write_text
from .jsontypes import JsonObject
from .manifest import load as load_manifest

__all__ = ["StudentError", "build", "is_solution_start", "solution_cells", "write"]

#: Where the student notebooks live, relative to the repository.
FOLDER = Path("student")
_SOLUTION = re.compile(r"\A\s*:::+\{dropdown\}\s*Solution to exercise\s+(\d+\.\d+)", re.I)
_EXERCISE = re.compile(r"^\*\*Exercise (\d+\.\d+)\b", re.M)
ANSWER = "# Your answer to exercise {number}.\n"
#: nbval compares these cells' outputs with the stored ones, which a student edition has not.
CHECKED = "nbval-check-output"


class StudentError(ValueError):
    """A chapter whose exercises and solutions the builder cannot pair up."""


def _text(cell: JsonObject) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _cell(kind: str, text: str) -> JsonObject:
    cell: JsonObject = {"cell_type": kind, "metadata": {}, "source": text}
    if kind == "code":
        cell |= {"execution_count": None, "outputs": []}
    return cell


def is_solution_start(cell: JsonObject) -> bool:
    """A markdown cell that opens a solution dropdown."""
    return cell.get("cell_type") == "markdown" and bool(_SOLUTION.match(_text(cell)))


def solution_cells(cells: Sequence[JsonObject]) -> list[int]:
    """Indices of the solution cells: each dropdown and the code cells that follow it."""
    found, inside = [], False
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "markdown":
            inside = is_solution_start(cell)
        if inside:
            found.append(index)
    return found


def _split_exercises(text: str) -> list[tuple[str | None, str]]:
    """A markdown cell's text as (exercise number or None, text) pieces, in order."""
    starts = [m.start() for m in _EXERCISE.finditer(text)]
    if not starts:
        return [(None, text)]
    pieces: list[tuple[str | None, str]] = []
    if text[: starts[0]].strip():
        pieces.append((None, text[: starts[0]].rstrip() + "\n"))
    for begin, end in zip(starts, [*starts[1:], len(text)], strict=True):
        match = _EXERCISE.match(text, begin)
        assert match is not None  # begin is where the pattern matched
        pieces.append((match.group(1), text[begin:end].rstrip() + "\n"))
    return pieces


def _note(name: str) -> JsonObject:
    return _cell(
        "markdown",
        # a plain quote: students read this in Colab or Jupyter, where MyST directives do not render
        "> **Student edition.** This is the chapter without the solutions to its exercises: "
        "under each exercise is an empty cell for your answer. Run the chapter from the top "
        "first, so that the models and data the exercises use exist. The full chapter, "
        f"with worked solutions, is `notebooks/{name}`.\n",
    )


def build(chapter: JsonObject, name: str) -> JsonObject:
    """The student edition of one chapter notebook (``name``: its file name)."""
    cells = chapter.get("cells")
    if not isinstance(cells, list) or not cells:
        raise StudentError(f"{name}: no cells")
    dropped = set(solution_cells(cells))
    solved = [m.group(1) for i in sorted(dropped) if (m := _SOLUTION.match(_text(cells[i])))]
    asked: list[str] = []
    out: list[JsonObject] = []
    for index, cell in enumerate(cells):
        if index in dropped:
            continue
        if cell.get("cell_type") == "markdown" and _EXERCISE.search(_text(cell)):
            for number, piece in _split_exercises(_text(cell)):
                out.append(_cell("markdown", piece))
                if number is not None:
                    asked.append(number)
                    out.append(_cell("code", ANSWER.format(number=number)))
            continue
        kept = copy.deepcopy(cell)
        if kept.get("cell_type") == "code":
            kept["outputs"], kept["execution_count"] = [], None
            tags = kept.get("metadata", {}).get("tags", [])
            if CHECKED in tags:  # no stored output to compare with: nbval runs it unchecked
                kept["metadata"]["tags"] = [t for t in tags if t != CHECKED]
        kept.pop("id", None)
        out.append(kept)
        if index == 0 and _text(cell).startswith("# "):
            out.append(_note(name))
    if sorted(solved) != sorted(asked):
        raise StudentError(
            f"{name}: exercises {sorted(asked)} but solutions {sorted(solved)}; every "
            "**Exercise N.M** needs one `:::{dropdown} Solution to exercise N.M` cell"
        )
    metadata = {k: v for k, v in chapter.get("metadata", {}).items() if k != "aebook"}
    metadata["aebook_student"] = {"chapter": f"notebooks/{name}", "exercises": asked}
    return {"cells": out, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def render(notebook: JsonObject) -> str:
    """The file's text: stable JSON, one space indents, as the executor writes notebooks."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def write(root: str | os.PathLike[str], check: bool = False) -> list[Path]:
    """Write (with ``check``: compare) every chapter's student notebook; the stale ones."""
    base = Path(root)
    stale = []
    for chapter in load_manifest(base):
        source = base / chapter.file
        with source.open(encoding="utf-8") as fh:
            text = render(build(json.load(fh), source.name))
        target = base / FOLDER / source.name
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target)
        if not check:
            target.parent.mkdir(exist_ok=True)
            write_text(target, text)
    return stale


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booktools.student", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--root", default=".", help="the repository (default: .)")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    try:
        stale = write(args.root, check=args.check)
    except StudentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check and stale:
        names = ", ".join(p.name for p in stale)
        print(f"stale: {names}; run `python -m booktools.student`", file=sys.stderr)
        return 1
    print(f"{'checked' if args.check else 'wrote'} {FOLDER}/ ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
