"""aebook.record (aebook.glue): validation, the glue output; booktools.records reads it back."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest
from nbformat import v4

import aebook
from aebook.glue import GLUE_PREFIX, record
from booktools.records import read_records

TEXT_KEY = GLUE_PREFIX + "text/plain"


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("name", ["1bad", "has space", "dash-name", "", 3, None])
def test_record_rejects_bad_names(name):
    with pytest.raises(ValueError, match="identifier"):
        record(name, 1.0)


@pytest.mark.parametrize("value", [True, None, [1.0], {"a": 1}, b"bytes", 1 + 2j])
def test_record_rejects_non_numbers(value):
    with pytest.raises(TypeError, match="number or a string"):
        record("test_value", value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -np.inf, np.float32("nan")])
def test_record_rejects_non_finite(value):
    with pytest.raises(ValueError, match="non-finite"):
        record("test_value", value)


def test_record_outside_ipython_does_nothing(capsys):
    from IPython import get_ipython

    assert get_ipython() is None
    assert record("test_bce", 0.25) is None
    assert record("label", "text") is None
    assert capsys.readouterr() == ("", "")


def test_record_takes_one_value_or_many_and_checks_all_first():
    record("a", 1.0)
    record(a=1.0, b=2, label="x")
    for bad in [lambda: record(), lambda: record("a"), lambda: record("a", 1.0, b=2)]:
        with pytest.raises(TypeError, match="record\\(name, value\\) or record\\(name=value"):
            bad()
    with pytest.raises(ValueError, match="'b'.*non-finite"):
        record(a=1.0, b=float("nan"))


def test_record_stays_the_function_whatever_is_imported():
    """The module is ``aebook.glue``: importing it never replaces ``aebook.record``."""
    import importlib

    importlib.import_module("aebook.glue")
    namespace: dict = {}
    exec("from aebook import *", namespace)
    assert namespace["record"] is aebook.record is record
    assert callable(aebook.record)


# --------------------------------------------------------------------------- in IPython
@pytest.fixture
def ipython_shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    yield shell
    InteractiveShell.clear_instance()


def test_record_in_ipython_emits_glue_output(ipython_shell):
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        record("test_bce", np.float32(0.125))
        record(n_params=np.int64(784), best_model="conv")
    assert len(captured.outputs) == 3
    values = {}
    for out in captured.outputs:
        assert list(out.data) == [TEXT_KEY]
        meta = out.metadata["scrapbook"]
        assert meta["mime_prefix"] == GLUE_PREFIX
        values[meta["name"]] = out.data[TEXT_KEY]
    assert values == {"test_bce": "0.125", "n_params": "784", "best_model": "'conv'"}
    assert captured.stdout == ""


# --------------------------------------------------------------------------- read_records
def _glue(name: str, text, prefix: str = GLUE_PREFIX):
    return v4.new_output(
        "display_data",
        data={prefix + "text/plain": text},
        metadata={"scrapbook": {"name": name, "mime_prefix": prefix}},
    )


def test_read_records_on_a_synthetic_notebook(tmp_path):
    nb = v4.new_notebook()
    first = v4.new_code_cell("aebook.record(...)")
    first.outputs = [
        _glue("test_bce", "0.0912"),
        _glue("n_params", "12345"),
        v4.new_output("stream", name="stdout", text="epoch 1/2\n"),
        v4.new_output("display_data", data={"text/plain": "<Figure>"}),
    ]
    second = v4.new_code_cell("more")
    second.outputs = [
        _glue("best_model", "'conv'"),
        _glue("quote", repr('say "hi"')),
        _glue("escaped", repr("a\\b\nc")),
        _glue("test_bce", "0.0899"),  # recorded again later: the last one wins
    ]
    nb.cells = [v4.new_markdown_cell("# Title"), first, second]
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)

    found = read_records(path)
    assert found == {
        "test_bce": 0.0899,
        "n_params": 12345,
        "best_model": "conv",
        "quote": 'say "hi"',
        "escaped": "a\\b\nc",
    }
    assert isinstance(found["n_params"], int)
    assert isinstance(found["test_bce"], float)


def test_read_records_handles_list_sources_and_empty_notebooks(tmp_path):
    raw = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": [],
                "outputs": [
                    {
                        "output_type": "display_data",
                        "metadata": {"scrapbook": {"name": "x", "mime_prefix": GLUE_PREFIX}},
                        "data": {TEXT_KEY: ["0.", "5"]},
                    },
                    {  # glue metadata without the matching data: skipped
                        "output_type": "display_data",
                        "metadata": {"scrapbook": {"name": "y", "mime_prefix": GLUE_PREFIX}},
                        "data": {"text/plain": "1"},
                    },
                ],
            }
        ]
    }
    path = tmp_path / "raw.ipynb"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert read_records(path) == {"x": 0.5}
    empty = tmp_path / "empty.ipynb"
    nbformat.write(v4.new_notebook(), empty)
    assert read_records(empty) == {}


@pytest.mark.slow  # starts a kernel or a Python process
def test_record_round_trip_through_a_real_kernel(tmp_path):
    """The most real check: record in a kernel, read the saved notebook back."""
    from nbclient import NotebookClient

    nb = v4.new_notebook()
    nb.cells = [
        v4.new_code_cell("import aebook\nimport numpy as np"),
        v4.new_code_cell(
            'aebook.record("test_bce", 0.0731)\n'
            'aebook.record("n_params", np.int64(50240))\n'
            'aebook.record("best_model", "dense")\n'
            'print("done")'
        ),
    ]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    outputs = nb.cells[1].outputs
    assert [o.output_type for o in outputs].count("display_data") == 3
    assert outputs[-1].text == "done\n"
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)
    found = read_records(path)
    assert found == {"test_bce": 0.0731, "n_params": 50240, "best_model": "dense"}
    assert isinstance(found["n_params"], int)


def test_record_refuses_an_integer_no_float_holds_exactly():
    """10**400 overflowed inside float(); anything past 2**53 is read back inexactly."""
    with pytest.raises(ValueError, match="integer of 401 digits.*record a float instead"):
        record("huge", 10**400)
    record("largest_exact", 2**53)


# Issue 27, item 16: records read_records cannot turn into a value.
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1" * 5000, "5000-digit integer"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ("(" * 5000 + ")" * 5000, "nested too deeply"),
    ],
    ids=["5000 digits", "deep JSON", "deep literal"],
)
def test_read_records_refuses_what_it_cannot_read_naming_notebook_and_record(
    tmp_path, text, message
):
    nb = v4.new_notebook()
    cell = v4.new_code_cell("aebook.record(...)")
    cell.outputs = [_glue("fine", "0.5"), _glue("broken", text)]
    nb.cells = [cell]
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match=message) as info:
        read_records(path)
    assert str(path) in str(info.value) and "'broken'" in str(info.value)
