"""The student edition (booktools.student): fresh, complete, and free of solutions.

That each student notebook runs from top to bottom in the smoke profile with its answer cells
empty is tested where the chapters are: nbval collects ``student/`` as it collects
``notebooks/`` (``make test``; CI's Colab stage).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from booktools.manifest import load as load_manifest
from booktools.student import ANSWER, StudentError, build, solution_cells, write

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [ROOT / c.file for c in load_manifest(ROOT)]


def _text(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def test_the_committed_student_notebooks_are_fresh() -> None:
    stale = write(ROOT, check=True)
    assert not stale, (
        f"stale student notebooks {[p.name for p in stale]}: run `python -m booktools.student`"
    )
    committed = {p.name for p in (ROOT / "student").glob("*.ipynb")}
    assert committed == {p.name for p in CHAPTERS}, "a student notebook without its chapter"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_solution_leaks_into_the_student_notebook(path: Path) -> None:
    chapter = json.loads(path.read_text(encoding="utf-8"))
    student = json.loads((ROOT / "student" / path.name).read_text(encoding="utf-8"))
    cells = chapter["cells"]
    dropped = set(solution_cells(cells))
    assert dropped, f"{path.name} has no solutions to leave out"
    # a line of a solution, unless the chapter also has it outside its solutions
    shared = {
        ln.strip() for i, c in enumerate(cells) if i not in dropped for ln in _text(c).splitlines()
    }
    solution_lines = {
        ln.strip() for i in dropped for ln in _text(cells[i]).splitlines() if len(ln.strip()) >= 20
    } - shared
    assert solution_lines, f"{path.name}: its solutions have no line of their own"
    student_text = "\n".join(_text(c) for c in student["cells"])
    leaked = sorted(solution_lines & {ln.strip() for ln in student_text.splitlines()})
    assert not leaked, f"student/{path.name} holds solution lines: {leaked[:3]}"
    assert ":::{dropdown} Solution" not in student_text


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_each_exercise_is_followed_by_one_empty_answer_cell(path: Path) -> None:
    student = json.loads((ROOT / "student" / path.name).read_text(encoding="utf-8"))
    cells = student["cells"]
    numbers = student["metadata"]["aebook_student"]["exercises"]
    assert numbers, f"{path.name} has no exercises"
    for number in numbers:
        (where,) = [i for i, c in enumerate(cells) if _text(c).startswith(f"**Exercise {number}")]
        answer = cells[where + 1]
        assert answer["cell_type"] == "code" and _text(answer) == ANSWER.format(number=number)
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert "aebook" not in student["metadata"], "the executor's stamp belongs to the chapter"


def _nb(*cells: tuple[str, str]) -> dict:
    return {
        "cells": [{"cell_type": k, "metadata": {}, "source": s} for k, s in cells],
        "metadata": {},
    }


def test_build_splits_statements_and_drops_solutions_with_their_code() -> None:
    chapter = _nb(
        ("markdown", "# Title"),
        ("code", "x = 1"),
        ("markdown", "## Exercises\n\n**Exercise 9.1 (one).** Do a.\n\n**Exercise 9.2 (two).** Do b.\n"),
        ("markdown", ":::{dropdown} Solution to exercise 9.1\nBecause a.\n:::"),
        ("code", "answer_a = 42"),
        ("code", "print(answer_a)"),
        ("markdown", ":::{dropdown} Solution to exercise 9.2\nBecause b.\n:::"),
        ("markdown", "## References"),
        ("code", "run.finish()"),
    )  # fmt: skip
    student = build(chapter, "09_x.ipynb")
    texts = [(c["cell_type"], _text(c)) for c in student["cells"]]
    assert texts[0] == ("markdown", "# Title") and "Student edition" in texts[1][1]
    assert [t for t in texts[2:]] == [
        ("code", "x = 1"),
        ("markdown", "## Exercises\n"),
        ("markdown", "**Exercise 9.1 (one).** Do a.\n"),
        ("code", ANSWER.format(number="9.1")),
        ("markdown", "**Exercise 9.2 (two).** Do b.\n"),
        ("code", ANSWER.format(number="9.2")),
        ("markdown", "## References"),
        ("code", "run.finish()"),
    ]
    assert student["metadata"]["aebook_student"]["exercises"] == ["9.1", "9.2"]


def test_an_exercise_without_its_solution_is_named() -> None:
    chapter = _nb(("markdown", "# T"), ("markdown", "**Exercise 9.1 (one).** Do a."))
    with pytest.raises(StudentError, match=r"09_x.ipynb: exercises \['9.1'\] but solutions \[\]"):
        build(chapter, "09_x.ipynb")


def test_checked_cells_are_unchecked_in_the_student_edition() -> None:
    chapter = _nb(("markdown", "# T"), ("code", "print(1)"))
    chapter["cells"][1]["metadata"]["tags"] = ["nbval-check-output", "hide-input"]
    (code,) = [c for c in build(chapter, "x.ipynb")["cells"] if c["cell_type"] == "code"]
    assert code["metadata"]["tags"] == ["hide-input"]
