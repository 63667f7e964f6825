"""booktools.chapter_code: a chapter's own definitions, taken out of its notebook."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from booktools.chapter_code import ChapterCodeError, definitions, fingerprint


def _notebook(tmp_path: Path, *cells: str, markdown: str = "BATCH = 1") -> Path:
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell(markdown), *(v4.new_code_cell(c) for c in cells)]
    path = tmp_path / "02_x.ipynb"
    nbformat.write(nb, path)
    return path


def test_definitions_in_notebook_order_with_decorators(tmp_path: Path) -> None:
    path = _notebook(
        tmp_path,
        "import dataclasses\nBATCH = 256\nx = 1\n",
        "@dataclasses.dataclass(frozen=True)\nclass Layer:\n    pass\n\n"
        "def build(units=BATCH):\n    # a comment stays\n    return units\n\nmodel = build()",
    )
    source = definitions(path, ["build", "BATCH", "Layer"])  # asked in another order
    assert source == (
        "BATCH = 256\n\n@dataclasses.dataclass(frozen=True)\nclass Layer:\n    pass\n\n"
        "def build(units=BATCH):\n    # a comment stays\n    return units\n"
    )
    space: dict[str, object] = {"dataclasses": dataclasses}
    exec(source, space)
    assert space["build"]() == 256  # type: ignore[operator]


def test_a_missing_name_is_named_with_the_notebook(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "BATCH = 256")  # the markdown cell's text does not count
    with pytest.raises(ChapterCodeError, match=r"02_x.ipynb defines no top-level 'EPOCHS'"):
        definitions(path, ["BATCH", "EPOCHS"])


def test_a_name_defined_twice_is_refused(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "EPOCHS = 5", "x = 1\nEPOCHS = 10")
    with pytest.raises(
        ChapterCodeError, match=r"'EPOCHS' is defined in cell 1 and again in cell 2"
    ):
        definitions(path, ["EPOCHS"])


def test_tuple_targets_and_nested_definitions_do_not_count(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "a, b = 1, 2\ndef f():\n    c = 3\n    return c")
    assert definitions(path, ["f"]).startswith("def f():")
    with pytest.raises(ChapterCodeError, match="'a', 'c'"):
        definitions(path, ["a", "c"])


def test_a_cell_that_does_not_parse(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "%matplotlib inline\nother = 1", "EPOCHS = 3")
    assert definitions(path, ["EPOCHS"]) == "EPOCHS = 3\n"  # a magic elsewhere is fine
    path = _notebook(tmp_path, "%time EPOCHS = 3")
    with pytest.raises(ChapterCodeError, match="code cell 1 does not parse"):
        definitions(path, ["EPOCHS"])


def test_fingerprint_changes_with_any_part() -> None:
    assert fingerprint("a", "b") == fingerprint("a", "b")
    assert fingerprint("a", "b") != fingerprint("a", "c")
    assert fingerprint("ab") != fingerprint("a", "b")  # the parts stay apart
