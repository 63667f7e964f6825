"""Unit tests of booktools.manifest: reading book/chapters.yml, checking records, the tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from booktools import manifest
from booktools.manifest import ManifestError, Target

GOOD = """
chapters:
  - number: 1
    file: notebooks/01_a.ipynb
    title: First
    summary: >-
      the first
      chapter
    reading_minutes: 20
    targets:
      - {record: test_bce, op: "<=", value: 0.1}
      - {record: test_bce, op: "<", ref: baseline_bce, factor: 0.5, offset: 0.01}
    results:
      - {model: model A, data: MNIST, loss: bce, loss_key: test_bce, seconds_key: secs}
    measures:
      - {task: search, method: codes, metric: precision@10, key: p10, format: ".1%"}
  - number: 2
    file: notebooks/02_b.ipynb
    title: Second
    summary: the second
    reading_minutes: 30
"""


def _root(tmp_path: Path, text: str = GOOD) -> Path:
    (tmp_path / "book").mkdir(exist_ok=True)
    (tmp_path / "book" / "chapters.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_load_reads_every_field(tmp_path):
    first, second = manifest.load(_root(tmp_path))
    assert (first.number, first.file, first.title, first.stem) == (
        1,
        "notebooks/01_a.ipynb",
        "First",
        "01_a",
    )
    assert first.summary == "the first chapter" and first.reading_minutes == 20
    assert first.targets[1] == Target("test_bce", "<", None, "baseline_bce", 0.5, 0.01)
    assert first.results[0].notebook == "01_a" and first.results[0].code_key == "code_size"
    assert first.required_records(["quoted"]) - first.required_records() == {"quoted"}
    assert first.required_records() == {
        "test_bce",
        "baseline_bce",
        "wall_time_s",
        "code_size",
        "parameters",
        "test_psnr",
        "secs",
        "p10",
    }
    assert second.targets == () and second.results == () and second.measures == ()
    measure = first.measures[0]
    assert (measure.task, measure.method, measure.metric, measure.key, measure.format) == (
        "search",
        "codes",
        "precision@10",
        "p10",
        ".1%",
    )
    assert measure.notebook == "01_a"
    row = first.results[0]
    assert (row.baseline, row.floor, row.task) == (False, False, "reconstruction")
    edited = GOOD.replace("seconds_key: secs}", "seconds_key: secs, floor: true, task: denoising}")
    row = manifest.load(_root(tmp_path, edited))[0].results[0]
    assert (row.floor, row.task) == (True, "denoising")


@pytest.mark.parametrize(
    "edit, message",
    [
        (("number: 2", "number: 3"), "number 3, but it is entry 2"),
        (("    title: Second\n", ""), "missing field 'title'"),
        (('op: "<="', 'op: "=="'), "target op '=='"),
        (("value: 0.1", "value: 0.1, ref: baseline_bce"), "exactly one of value, ref"),
        (("value: 0.1", "value: low"), "must be a number"),
        (("loss: bce", "loss: accuracy"), "loss 'accuracy'"),
        (("reading_minutes: 30", "reading_minutes: half an hour"), "reading_minutes"),
        (
            ("reading_minutes: 30", "reading_minutes: 30\n    colour: red"),
            "unknown fields ['colour']",
        ),
        (
            ("reading_minutes: 30", "reading_minutes: 30\n    records: [x]"),
            "unknown fields ['records']",
        ),
        (("02_b", "01_a"), "listed twice"),
        (("seconds_key: secs}", "seconds_key: secs, task: sorting}"), "task 'sorting'"),
        (("seconds_key: secs}", "seconds_key: secs, floor: yes please}"), "floor must be"),
        (('format: ".1%"', 'format: ".1%", colour: red'), "unknown measure fields"),
        (('format: ".1%"', 'format: "%d"'), "not a format spec"),
        (("metric: precision@10, ", ""), "missing field 'metric'"),
        (
            ("seconds_key: secs}", "seconds_key: secs, floor: true, baseline: true}"),
            "a baseline or a floor, not both",
        ),
    ],
)
def test_load_names_what_is_wrong(tmp_path, edit, message):
    with pytest.raises(ManifestError, match=message.replace("[", r"\[").replace("]", r"\]")):
        manifest.load(_root(tmp_path, GOOD.replace(*edit)))


def test_load_without_manifest(tmp_path):
    with pytest.raises(ManifestError, match="chapters.yml not found"):
        manifest.load(tmp_path)
    with pytest.raises(ManifestError, match="non-empty list"):
        manifest.load(_root(tmp_path, "chapters: []\n"))


def test_check_reports_missing_records_and_missed_targets(tmp_path):
    first, _ = manifest.load(_root(tmp_path))
    records = {
        "test_bce": 0.09,
        "baseline_bce": 0.26,
        "wall_time_s": 10.0,
        "code_size": 32,
        "parameters": 5,
        "test_psnr": 20.0,
        "secs": 3.0,
        "p10": 0.9,
    }
    assert manifest.check(first, records) == []
    missed = manifest.check(first, {**records, "test_bce": 0.15})
    assert len(missed) == 2
    assert "target test_bce <= 0.1 missed: test_bce = 0.15" in missed[0]
    assert "test_bce < 0.5 × baseline_bce + 0.01" in missed[1] and "needs < 0.14" in missed[1]
    nan = manifest.check(first, {**records, "test_bce": float("nan")})
    assert len(nan) == 2, "NaN meets no target"
    gone = dict(records)
    del gone["secs"]
    assert manifest.check(first, gone) == ["notebooks/01_a.ipynb does not record 'secs'"]
    assert manifest.check(first, records, glued=["quoted"]) == [
        "notebooks/01_a.ipynb does not record 'quoted'"
    ]


def test_glue_keys_finds_the_roles_and_directives_of_the_prose():
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["BCE {glue:text}`test_bce:.4f` and ",
                                                 "{glue}`n_params`, not `plain`\n"]},
            {"cell_type": "markdown", "source": "```{glue:figure} fig_1\n```\n{glue:}`x_2`"},
            {"cell_type": "code", "source": "print('{glue:text}`in_code`')", "outputs": []},
        ]
    }  # fmt: skip
    assert manifest.glue_keys(nb) == {"test_bce", "n_params", "fig_1", "x_2"}


def _stamped(path: Path, seconds: float, profile: str = "full") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = {"cells": [], "metadata": {"aebook": {"profile": profile, "wall_seconds": seconds}}}
    path.write_text(json.dumps(nb), encoding="utf-8")


def test_tables_take_run_times_from_the_stamps(tmp_path):
    root = _root(tmp_path)
    chapters = manifest.load(root)
    _stamped(root / "notebooks" / "01_a.ipynb", 150.0)
    _stamped(root / "notebooks" / "02_b.ipynb", 30.0, profile="smoke")
    readme = manifest.chapter_table(chapters, root)
    assert "| 1 | [First](notebooks/01_a.ipynb) | the first chapter | 2.5 min |" in readme
    assert "| 2 | [Second](notebooks/02_b.ipynb) | the second | not yet executed |" in readme
    book = manifest.chapter_table(chapters, root, link="book")
    assert "{doc}`First <../notebooks/01_a>`" in book
    teaching = manifest.teaching_table(chapters, root)
    assert "| 1. First | 20 min | 2.5 min |" in teaching
    assert "| all chapters | 50 min | 2.5 min |" in teaching


def test_replace_generated():
    begin = "<!-- generated: t (python -m booktools.results; do not edit) -->"
    end = "<!-- end generated: t -->"
    text = f"intro\n{begin}\nold\n{end}\noutro\n"
    assert manifest.replace_generated(text, "t", "new") == f"intro\n{begin}\nnew\n{end}\noutro\n"
    with pytest.raises(ManifestError, match="exactly one pair of markers"):
        manifest.replace_generated("no markers", "t", "new", where="README.md")
    with pytest.raises(ManifestError, match="exactly one pair"):
        manifest.replace_generated(text + text, "t", "new")


# Issue 27, items 7 and 15: values that loaded (or raised Python's own errors) before.
@pytest.mark.parametrize(
    "edit, message",
    [
        (("reading_minutes: 30", "reading_minutes: -5"), r"02_b.ipynb: reading_minutes .*-5"),
        (("reading_minutes: 30", "reading_minutes: 0"), r"02_b.ipynb: reading_minutes .*0"),
        (("value: 0.1", "value: .nan"), r"01_a.ipynb: target on 'test_bce': value .*finite"),
        (("value: 0.1", "value: .inf"), r"01_a.ipynb: target on 'test_bce': value .*finite"),
        (("value: 0.1", "value: null"), r"01_a.ipynb: target on 'test_bce': value .*number"),
        (("factor: 0.5", "factor: abc"), r"01_a.ipynb: target on 'test_bce': factor .*'abc'"),
        (("factor: 0.5", "factor: null"), r"01_a.ipynb: target on 'test_bce': factor .*None"),
        (("factor: 0.5", "factor: .nan"), r"target on 'test_bce': factor .*finite"),
        (("offset: 0.01", "offset: abc"), r"target on 'test_bce': offset .*'abc'"),
        (("ref: baseline_bce", "ref: 5"), r"01_a.ipynb: target on 'test_bce': ref .*5"),
        (("ref: baseline_bce", "ref: null"), r"target on 'test_bce': ref .*None"),
        (('record: test_bce, op: "<="', 'record: 7, op: "<="'), r"field 'record'"),
        (("loss_key: test_bce", "loss_key: 5"), r"01_a.ipynb: .*loss_key.* 5"),
        (("seconds_key: secs", "seconds_key: 5"), r"01_a.ipynb: .*seconds_key .*5"),
        (("notebooks/02_b", "../../outside/02_b"), r"entry 2: file .*inside the repository"),
        (("notebooks/02_b", "/etc/02_b"), r"entry 2: file .*inside the repository"),
        (("notebooks/02_b.ipynb", "notebooks/02_b.txt"), r"entry 2: file .*\.ipynb"),
    ],
)
def test_load_refuses_bad_values_naming_entry_and_field(tmp_path, edit, message):
    with pytest.raises(ManifestError, match=message):
        manifest.load(_root(tmp_path, GOOD.replace(*edit)))


def test_the_book_manifest_loads():
    chapters = manifest.load(Path(__file__).resolve().parents[1])
    assert [c.number for c in chapters] == list(range(1, len(chapters) + 1))
