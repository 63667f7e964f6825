"""Unit tests of booktools.execute: the code hash, the stamp and the profile the kernel sees."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from nbformat import v4

from booktools import execute, repository
from booktools.execute import execute_notebook
from booktools.stamp import code_sha256, outputs_sha256, stamp_of

SMOKE = "AEBOOK_SMOKE"
PRINT_SMOKE = 'import os; print(os.environ.get("AEBOOK_SMOKE"))'


def _notebook(*sources: str, markdown: str = "# A chapter"):
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell(markdown)] + [v4.new_code_cell(s) for s in sources]
    return nb


def _stdout(cell) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream")


# --------------------------------------------------------------------------- code_sha256
def test_code_sha256_tracks_code_cells_only():
    nb = _notebook("x = 1", "print(x)")
    base = code_sha256(nb)
    assert re.fullmatch(r"[0-9a-f]{64}", base)

    edited = copy.deepcopy(nb)
    edited.cells[2].source = "print(x + 1)"
    assert code_sha256(edited) != base

    reordered = copy.deepcopy(nb)
    reordered.cells[1], reordered.cells[2] = reordered.cells[2], reordered.cells[1]
    assert code_sha256(reordered) != base

    added = copy.deepcopy(nb)
    added.cells.append(v4.new_code_cell(""))
    assert code_sha256(added) != base

    prose = copy.deepcopy(nb)
    prose.cells[0].source = "# A different title"
    prose.cells.append(v4.new_markdown_cell("More prose."))
    assert code_sha256(prose) == base

    outputs = copy.deepcopy(nb)
    outputs.cells[2].outputs = [v4.new_output("stream", name="stdout", text="1\n")]
    outputs.cells[2].execution_count = 7
    outputs.metadata["aebook"] = {"profile": "full"}
    assert code_sha256(outputs) == base


def test_code_sha256_list_and_string_sources_agree():
    as_dict = {
        "cells": [
            {"cell_type": "code", "source": ["x = 1\n", "y = 2"]},
            {"cell_type": "raw", "source": "ignored"},
        ]
    }
    assert code_sha256(as_dict) == code_sha256(_notebook("x = 1\ny = 2"))


def test_stamp_of():
    nb = _notebook("x = 1")
    assert stamp_of(nb) is None
    nb.metadata["aebook"] = {"profile": "smoke"}
    assert stamp_of(nb) == {"profile": "smoke"}


# --------------------------------------------------------------------------- bootstrap
def _config(folder, url="https://github.com/someone/book/", branch="dev"):
    path = folder / "_config.yml"
    path.write_text(f"title: T\nrepository:\n  url: {url}\n  branch: {branch}\n", encoding="utf-8")
    return path


def test_sync_bootstrap_rewrites_the_tagged_cell(tmp_path):
    config = _config(tmp_path)
    assert repository.read_repository(config) == ("https://github.com/someone/book", "dev")
    nb = _notebook("old set-up", "x = 1")
    nb.cells[1].metadata["tags"] = ["bootstrap"]
    assert repository.sync_bootstrap(nb, config) is True
    source = nb.cells[1].source
    assert "git+https://github.com/someone/book@dev" in source
    assert source == repository.bootstrap_source("https://github.com/someone/book", "dev")
    assert nb.cells[1].metadata["tags"] == ["bootstrap", "remove-cell", "nbval-skip"]
    assert nb.cells[2].source == "x = 1"
    assert repository.sync_bootstrap(nb, config) is False  # already in sync


def test_the_colab_cell_installs_the_library_from_the_repository(monkeypatch):
    """Run the cell's code as Colab would: it asks pip for the library at the configured
    branch, and for nothing else; outside Colab it does nothing."""
    import types

    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kw: calls.append((command, kw)))
    source = repository.bootstrap_source("https://github.com/someone/book", "dev")
    exec(compile(source, "colab-cell", "exec"), {})
    assert calls == [], "outside Colab the cell must do nothing"
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(compile(source, "colab-cell", "exec"), {})
    assert calls == [
        (
            [sys.executable, "-m", "pip", "install", "-q",
             "aebook @ git+https://github.com/someone/book@dev"],
            {"check": True},
        )
    ]  # fmt: skip


def test_sync_bootstrap_errors(tmp_path):
    with pytest.raises(ValueError, match="no code cell tagged 'bootstrap'"):
        repository.sync_bootstrap(_notebook("x = 1"), _config(tmp_path))
    bad = tmp_path / "bad.yml"
    bad.write_text("repository:\n  url: https://example.org/x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="branch must both be set"):
        repository.read_repository(bad)


# --------------------------------------------------------------------------- execute_notebook
@pytest.fixture(autouse=True)
def fake_calibration(monkeypatch):
    """The calibration workload's times, 0.3 s then 0.5 s, without running it (its own tests
    run it); the list collects every call."""
    calls: list[float] = []

    def measure() -> float:
        calls.append(0.3 if not calls else 0.5)
        return calls[-1]

    monkeypatch.setattr(execute.calibration, "measure", measure)
    return calls


@pytest.mark.slow  # starts a kernel or a Python process
def test_execute_notebook_full_profile(tmp_path, monkeypatch, fake_calibration):
    monkeypatch.setenv(SMOKE, "1")  # the caller's setting must not leak into a full run
    nb = _notebook(PRINT_SMOKE, "print(6 * 7)")
    nb.cells[2].outputs = [v4.new_output("stream", name="stdout", text="stale\n")]
    nb.cells[2].execution_count = 99
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)

    seconds = execute_notebook(path)

    assert os.environ[SMOKE] == "1"  # restored afterwards
    assert seconds > 0
    done = nbformat.read(path, as_version=4)
    assert _stdout(done.cells[1]) == "None\n"
    assert _stdout(done.cells[2]) == "42\n"
    assert [c.execution_count for c in done.cells[1:]] == [1, 2]
    stamp = stamp_of(done)
    assert stamp["profile"] == "full"
    assert stamp["code_sha256"] == code_sha256(nb) == code_sha256(done)
    # the outputs hash, read back from the file as the hygiene tests read it
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert stamp["outputs_sha256"] == outputs_sha256(on_disk) == outputs_sha256(done)
    assert stamp["wall_seconds"] > 0
    assert stamp["wall_seconds"] == pytest.approx(seconds, abs=0.051)
    assert stamp["executed"].endswith("Z") and len(stamp["executed"]) == 20
    versions = stamp["versions"]
    assert versions["tensorflow"] == metadata.version("tensorflow")
    assert versions["keras"] == metadata.version("keras")
    assert {"python", "numpy", "matplotlib", "scikit-learn"} <= set(versions)
    assert "not installed" not in (versions["tensorflow"], versions["keras"])
    assert "CPU cores" in stamp["machine"]
    # timed before and after the notebook, outside its wall time
    assert fake_calibration == [0.3, 0.5]
    assert stamp["calibration"] == {
        "workload": "dense-ae-v1", "seconds_per_epoch": 0.3, "runs": [0.3, 0.5]
    }  # fmt: skip


@pytest.mark.slow  # starts a kernel or a Python process
def test_execute_notebook_smoke_profile_runs_in_the_notebook_folder(
    tmp_path, monkeypatch, fake_calibration
):
    monkeypatch.delenv(SMOKE, raising=False)
    folder = tmp_path / "chapters"
    folder.mkdir()
    (folder / "marker.txt").write_text("here", encoding="utf-8")
    nb = _notebook(PRINT_SMOKE, "print(open('marker.txt').read())")
    path = folder / "chapter.ipynb"
    nbformat.write(nb, path)
    monkeypatch.chdir(tmp_path)  # the kernel must still start in the notebook's folder

    before = path.read_bytes()
    execute_notebook(path, smoke=True)

    assert SMOKE not in os.environ  # restored afterwards
    assert path.read_bytes() == before, "a trial run must never touch the notebook"
    written = folder / "_build" / "smoke" / "chapter.ipynb"  # no repository: beside it
    assert execute.smoke_output(path) == written
    done = nbformat.read(written, as_version=4)
    assert stamp_of(done)["profile"] == "smoke"
    assert "calibration" not in stamp_of(done) and fake_calibration == []  # nothing to convert
    assert _stdout(done.cells[1]) == "1\n"
    assert _stdout(done.cells[2]) == "here\n"


def test_a_smoke_run_refuses_to_overwrite_the_notebook(tmp_path):
    path = tmp_path / "chapter.ipynb"
    nbformat.write(_notebook("print(1)"), path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="must not overwrite"):
        execute_notebook(path, smoke=True, output=path)
    assert path.read_bytes() == before


def test_smoke_runs_of_the_book_go_to_its_build_folder():
    chapter = ROOT / "notebooks" / "01_introduction.ipynb"
    assert execute.smoke_output(chapter) == ROOT / "_build" / "smoke" / chapter.name


@pytest.mark.slow  # starts a kernel or a Python process
def test_execute_notebook_failing_cell_leaves_file_unchanged(tmp_path, monkeypatch):
    monkeypatch.setenv(SMOKE, "0")
    nb = _notebook("x = 1", 'raise RuntimeError("boom in cell")', "print('never')")
    nb.cells[1].outputs = [v4.new_output("stream", name="stdout", text="old output\n")]
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()

    with pytest.raises(CellExecutionError, match="boom in cell"):
        execute_notebook(path, timeout=60)

    assert path.read_bytes() == before
    assert os.environ[SMOKE] == "0"


# --------------------------------------------------------------------------- outputs_sha256
def test_outputs_sha256_sees_edited_and_deleted_outputs_not_execution_counts():
    nb = _notebook("x = 1", "print(x)")
    nb.cells[2].outputs = [v4.new_output("stream", name="stdout", text="1\n")]
    base = outputs_sha256(nb)
    as_lines = json.loads(nbformat.writes(nb))  # nbformat may store text as a list of lines
    as_lines["cells"][2]["outputs"][0]["text"] = ["1\n"]
    assert outputs_sha256(as_lines) == base
    forged = copy.deepcopy(nb)
    forged.cells[2].outputs[0].text = "2\n"
    assert outputs_sha256(forged) != base
    deleted = copy.deepcopy(nb)
    deleted.cells[2].outputs = []
    assert outputs_sha256(deleted) != base
    counted = copy.deepcopy(nb)
    counted.cells[2].execution_count = 7
    assert outputs_sha256(counted) == base


# --------------------------------------------------------------------------- atomic writes
_FULL_DISK = """
import resource, signal, sys
from booktools.atomic import write_text
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # as `ulimit -f 4`: a full disk
try:
    write_text(sys.argv[1], "x" * 100_000)
except OSError as exc:
    print(type(exc).__name__)
"""


def test_write_text_on_a_full_disk_leaves_the_old_file(tmp_path):
    path = tmp_path / "chapter.ipynb"
    path.write_text('{"old": "notebook"}', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(path)], capture_output=True, text=True, check=True
    )
    assert "Error" in done.stdout, done.stdout + done.stderr
    assert path.read_text(encoding="utf-8") == '{"old": "notebook"}'
    assert [p.name for p in tmp_path.iterdir()] == ["chapter.ipynb"], "temporary file left"


@pytest.mark.slow  # starts a kernel or a Python process
def test_execute_notebook_writes_atomically(tmp_path, monkeypatch):
    nb = _notebook("print(1)")
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()

    def fail_midway(target, text, encoding="utf-8"):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(execute, "write_text", fail_midway)
    with pytest.raises(OSError, match="No space"):
        execute_notebook(path, smoke=True, timeout=60, output=tmp_path / "out.ipynb")
    assert path.read_bytes() == before
    assert not (tmp_path / "out.ipynb").exists()


# --------------------------------------------------------------------------- command line
ROOT = Path(__file__).resolve().parents[1]


def _cli(*args, env=None, cwd=None):
    environ = {k: v for k, v in os.environ.items() if k != SMOKE}
    environ["PYTHONPATH"] = str(ROOT)  # this checkout's aebook, from any folder
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "booktools.execute", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
    )


@pytest.mark.slow  # starts a kernel or a Python process
def test_cli_refuses_the_smoke_variable_without_smoke_flag(tmp_path):
    path = tmp_path / "chapter.ipynb"
    nbformat.write(_notebook("print(1)"), path)
    done = _cli(str(path), env={SMOKE: "1"})
    assert done.returncode == 2
    assert "runs the full profile" in done.stderr and "--smoke" in done.stderr
    assert stamp_of(nbformat.read(path, as_version=4)) is None, "nothing was executed"
    done = _cli(str(path), env={SMOKE: "maybe"})
    assert done.returncode == 2 and "not understood" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow  # starts a kernel or a Python process
def test_cli_says_what_is_wrong_with_a_file_that_is_not_a_notebook(tmp_path):
    for name, text in [("notes.txt", "hello"), ("empty.ipynb", "{}"), ("list.ipynb", "[1]")]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        done = _cli(str(path))
        assert done.returncode == 2, done.stderr
        assert f"{path} is not a Jupyter notebook" in done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.slow  # starts a kernel or a Python process
def test_cli_all_outside_the_repository(tmp_path):
    done = _cli("--all", cwd=tmp_path)
    assert done.returncode == 2
    assert "--all found no notebooks/*.ipynb" in done.stderr and "root folder" in done.stderr


def test_python_m_aebook_data_warns_nothing(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::RuntimeWarning",
            "-m",
            "aebook.data",
            "verify",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert "RuntimeWarning" not in done.stderr and "sys.modules" not in done.stderr, done.stderr
    assert "not found" in done.stderr + done.stdout


@pytest.mark.parametrize(
    "url, branch, problem",
    [
        ('https://github.com/x/y"; import os; os.system("rm -rf ~") #', "main", "url"),
        ("http://github.com/x/y", "main", "url"),
        ("https://github.com/x/y", 'main"', "branch"),
        ("https://github.com/x/y", "-main", "branch"),
        ("https://github.com/x/y", "a..b", "branch"),
    ],
)
def test_read_repository_refuses_what_would_break_the_colab_cell(tmp_path, url, branch, problem):
    config = tmp_path / "_config.yml"
    config.write_text(f"repository:\n  url: '{url}'\n  branch: '{branch}'\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"repository.{problem}"):
        repository.read_repository(config)


@pytest.mark.parametrize("timeout", ["0", "-5"])
def test_the_timeout_must_be_positive(timeout, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:  # refused before it looks at the notebook
        execute._main(["--timeout", timeout, str(tmp_path / "chapter.ipynb")])
    assert exit_.value.code == 2
    assert f"--timeout {timeout}: give the seconds a cell may take" in capsys.readouterr().err
