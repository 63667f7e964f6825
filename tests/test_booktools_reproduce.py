"""booktools.reproduce: re-execution as the proof of a chapter's numbers."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from booktools import reproduce
from booktools.execute import execute_notebook
from booktools.records import read_records

ROOT = Path(__file__).resolve().parents[1]


def test_timings_are_told_apart_from_results() -> None:
    assert reproduce.is_timing("wall_time_s") and reproduce.is_timing("deep_seconds")
    assert reproduce.is_timing("query_speedup_pca")
    assert not reproduce.is_timing("test_bce") and not reproduce.is_timing(
        "seconds_per_epoch_ratio"
    )


def test_compare_gives_each_record_its_verdict() -> None:
    committed = {"bce": 0.1, "psnr": 20.0, "label": "a", "gone": 1.0, "train_seconds": 10.0}
    fresh = {"bce": 0.1 * (1 + 5e-7), "psnr": 20.1, "label": "a", "train_seconds": 12.0, "extra": 3}
    rows = {r.name: r for r in reproduce.compare(committed, fresh, rtol=1e-6)}
    assert {n: r.verdict for n, r in rows.items()} == {
        "bce": "agrees",
        "psnr": "differs",
        "label": "agrees",
        "gone": "missing",
        "train_seconds": "timing",
        "extra": "new",
    }
    assert rows["psnr"].relative == pytest.approx(0.005)
    assert rows["label"].relative is None
    assert list(rows) == ["bce", "psnr", "label", "gone", "train_seconds", "extra"]


def test_zero_and_strings_compare_sensibly() -> None:
    rows = reproduce.compare({"z": 0.0, "s": "x", "n": 2}, {"z": 1e-12, "s": "y", "n": 2.0})
    assert [r.verdict for r in rows] == ["agrees", "differs", "agrees"]
    assert math.isinf(reproduce.Row("z", 0.0, 1.0, "differs").relative)
    with pytest.raises(ValueError, match="tolerances"):
        reproduce.compare({}, {}, rtol=-1)


def test_render_lists_differences_and_the_tolerance() -> None:
    rows = reproduce.compare({"bce": 0.1, "t_seconds": 1.0}, {"bce": 0.2, "t_seconds": 2.0})
    text = reproduce.render("02_x", rows, 1e-6)
    assert text.splitlines()[0] == "02_x: 1 differs, 1 timing"
    assert "bce" in text and "1.0e+00" in text and "rtol 1e-06" in text
    assert "t_seconds" not in text  # timings only with everything=True
    assert "t_seconds" in reproduce.render("02_x", rows, 1e-6, everything=True)


def _chapter(tmp_path: Path, value: str) -> Path:
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_markdown_cell("# A chapter"),
        v4.new_code_cell(f"from aebook import record\nrecord(result={value}, run_seconds=0.5)"),
    ]
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    execute_notebook(path, calibrate=False)  # its calibration has its own tests
    return path


def _forge(path: Path, name: str, value: float) -> None:
    """Edit a recorded number in the file, as a forger would."""
    nb = nbformat.read(path, as_version=4)
    hits = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("metadata", {}).get("scrapbook", {}).get("name") == name
    ]
    assert len(hits) == 1
    hits[0]["data"]["application/papermill.record/text/plain"] = repr(value)
    nbformat.write(nb, path)


@pytest.mark.slow  # starts kernels
def test_a_forged_record_is_caught_and_the_committed_file_is_untouched(tmp_path: Path) -> None:
    path = _chapter(tmp_path, "1 / 3")
    assert reproduce.agrees(reproduce.reproduce(path))
    _forge(path, "result", 0.3433333333333333)
    before = path.read_bytes()

    rows = reproduce.reproduce(path)

    assert {r.name: r.verdict for r in rows} == {"result": "differs", "run_seconds": "timing"}
    assert path.read_bytes() == before
    assert read_records(path)["result"] == pytest.approx(0.3433333333333333)


@pytest.mark.slow  # starts kernels
def test_the_command_exits_1_on_a_difference_and_names_it(tmp_path: Path) -> None:
    path = _chapter(tmp_path, "2.0")
    _forge(path, "result", 2.5)
    run = subprocess.run(
        [sys.executable, "-m", "booktools.reproduce", str(path), "--keep", str(tmp_path / "fresh")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "chapter: 1 differs, 1 timing" in run.stdout
    assert "0 of 1 chapter(s) reproduced" in run.stdout
    assert (tmp_path / "fresh" / "chapter.ipynb").is_file()


def test_the_command_refuses_what_is_not_a_notebook(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        reproduce._main([str(tmp_path / "missing.ipynb")])
    assert exit_.value.code == 2
    assert "is not a notebook file" in capsys.readouterr().err
