"""The project's notebook executor: run chapters in place and stamp what produced them.

::

    python -m booktools.execute notebooks/02_undercomplete.ipynb      # full profile
    python -m booktools.execute --all                                  # every chapter
    python -m booktools.execute --smoke notebooks/01_*.ipynb           # trial run, to _build/smoke/

Before running, the Colab set-up cell (tagged ``bootstrap``) is rewritten from the
``repository`` section of ``_config.yml`` (:mod:`booktools.repository`). Each notebook then
runs top to bottom in a fresh ``python3`` kernel, in its own folder, and is written back with
its outputs and the stamp of :mod:`booktools.stamp`. A full run also publishes the chapter's
interactive figures (:mod:`booktools.widgets`) once the notebook is written.

A trial run in the smoke profile (``--smoke``) never touches the committed notebook: it writes
the executed copy to ``_build/smoke/`` (:data:`SMOKE_DIR`) and says where.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from aebook.profile import SMOKE_ENV, is_smoke
from aebook.widgets import CODE_ENV, DIR_ENV

from . import calibrate as calibration
from . import manifest, widgets
from .atomic import write_text
from .repository import find_config, sync_bootstrap
from .stamp import STAMP_KEY, code_sha256, outputs_sha256

__all__ = ["SMOKE_DIR", "check_against_manifest", "execute_notebook", "smoke_output"]

#: Where ``--smoke`` writes its executed copies, relative to the repository's root.
SMOKE_DIR = Path("_build") / "smoke"
_VERSIONED = ("tensorflow", "keras", "numpy", "scikit-learn", "matplotlib")


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def smoke_output(path: str | os.PathLike[str]) -> Path:
    """Where a smoke-profile trial run of notebook ``path`` is written: ``_build/smoke/`` of
    its repository (or, outside one, ``_build/smoke/`` beside the notebook)."""
    path = Path(path).resolve()
    config = find_config(path.parent)
    root = config.parent if config is not None else path.parent
    return root / SMOKE_DIR / path.name


def execute_notebook(
    path: str | os.PathLike[str],
    smoke: bool = False,
    timeout: int = 3600,
    output: str | os.PathLike[str] | None = None,
    calibrate: bool | None = None,
) -> float:
    """Execute ``path`` in a fresh kernel and stamp it; return the wall time in s.

    The full profile writes the result back to ``path``. The smoke profile writes it to
    ``output`` (default :func:`smoke_output`) and refuses to write it to ``path``, so a trial
    run can never replace the committed notebook. The kernel runs in ``path``'s folder either
    way. Raises ``nbclient.exceptions.CellExecutionError`` if any cell fails; no file is
    then written.

    ``calibrate`` (default: for a full run written back to ``path``) times
    :mod:`booktools.calibrate`'s workload before and after the notebook, outside the
    notebook's wall time, and stamps it, so that runs on different machines can be compared
    (:func:`booktools.calibrate.reference_seconds`).
    """
    path = Path(path)
    target = Path(output) if output is not None else (smoke_output(path) if smoke else path)
    if smoke and target.resolve() == path.resolve():
        raise ValueError(
            f"a smoke-profile run must not overwrite {path}: its outputs would replace the "
            f"committed full-profile ones. Write it elsewhere (default {smoke_output(path)})"
        )
    if calibrate is None:
        calibrate = not smoke and target.resolve() == path.resolve()
    nb = nbformat.read(path, as_version=4)
    config = find_config(path.resolve().parent)
    if config is not None:
        sync_bootstrap(nb, config)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    nb.metadata.pop(STAMP_KEY, None)

    # A full run of the committed notebook also writes the chapter's interactive figures
    # (aebook.widgets), stamped with the code hash the notebook will carry; the kernel
    # inherits these variables. They go to a temporary folder first and into _static/widgets
    # only once the notebook is written, so a run that fails half-way changes neither. A run
    # written elsewhere (booktools.reproduce) leaves the site's figures alone.
    exports = {}
    staging = None
    if not smoke and config is not None and target.resolve() == path.resolve():
        staging = Path(tempfile.mkdtemp(prefix="aebook-widgets-"))
        exports = {CODE_ENV: code_sha256(nb), DIR_ENV: str(staging)}
    saved = {name: os.environ.get(name) for name in (SMOKE_ENV, CODE_ENV, DIR_ENV)}
    if smoke:
        os.environ[SMOKE_ENV] = "1"
    else:
        os.environ.pop(SMOKE_ENV, None)
    for name in (CODE_ENV, DIR_ENV):
        os.environ.pop(name, None)
    os.environ.update(exports)
    runs = [calibration.measure()] if calibrate else []
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent.resolve())}},
            record_timing=False,
        )
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
        if calibrate:
            runs.append(calibration.measure())
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    nb.metadata[STAMP_KEY] = {
        "profile": "smoke" if smoke else "full",
        "code_sha256": code_sha256(nb),
        "outputs_sha256": outputs_sha256(nb),
        "wall_seconds": round(seconds, 1),
        "executed": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "versions": _versions(),
    }
    if runs:
        nb.metadata[STAMP_KEY][calibration.CALIBRATION_KEY] = calibration.stamp_entry(runs)
    text = nbformat.writes(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text(target, text if text.endswith("\n") else text + "\n")  # as nbformat.write
    if staging is not None and config is not None:
        widgets.publish(staging, config.parent / "_static" / "widgets")
        shutil.rmtree(staging, ignore_errors=True)
    return seconds


def _not_a_notebook(path: Path) -> str | None:
    """Why ``path`` cannot be executed as a notebook, or ``None`` if it can."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - nbformat raises several kinds of errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{type(exc).__name__}: {first}"
    return None


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booktools.execute", description=__doc__.split("\n")[0]
    )
    parser.add_argument("notebooks", nargs="*", help="notebook files to execute in place")
    parser.add_argument("--all", action="store_true", help="every notebooks/*.ipynb")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"trial run in the smoke profile ({SMOKE_ENV}=1), written to {SMOKE_DIR}/; the "
        "committed notebooks are never touched",
    )
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell (default 3600)")
    args = parser.parse_args(argv)
    if args.timeout < 1:
        parser.error(f"--timeout {args.timeout}: give the seconds a cell may take, at least 1")
    try:
        smoke_env = is_smoke()
    except ValueError as exc:
        parser.error(str(exc))
    if smoke_env and not args.smoke:
        parser.error(
            f"{SMOKE_ENV} is set, but the executor runs the full profile, which is what gets "
            f"committed. Unset {SMOKE_ENV}, or pass --smoke for a trial run (not for commits)."
        )
    paths = [Path(p) for p in args.notebooks]
    if args.all:
        found = sorted(Path("notebooks").glob("*.ipynb"))
        if not found:
            parser.error(
                f"--all found no notebooks/*.ipynb under {Path.cwd()}: run it from the "
                "repository's root folder"
            )
        paths += found
    if not paths:
        parser.error("name notebooks or pass --all")
    for p in paths:
        if not p.is_file():
            parser.error(f"no such notebook: {p}")
        problem = _not_a_notebook(p)
        if problem:
            parser.error(f"{p} is not a Jupyter notebook ({problem})")
    total = 0.0
    problems: list[str] = []
    for p in paths:
        print(f"executing {p} ({'smoke' if args.smoke else 'full'} profile) ...", flush=True)
        seconds = execute_notebook(p, smoke=args.smoke, timeout=args.timeout)
        total += seconds
        where = f", written to {smoke_output(p)} (not committed)" if args.smoke else ""
        print(f"  done in {seconds:.0f} s{where}", flush=True)
        if not args.smoke:
            missed = check_against_manifest(p)
            for problem in missed:
                print(f"  {problem}", flush=True)
            problems += missed
    print(f"total {total:.0f} s for {len(paths)} notebook(s)")
    if problems:
        print(
            f"{len(problems)} problem(s) with the chapters' records or targets "
            "(book/chapters.yml): the outputs were written, but the tests will fail"
        )
        return 1
    return 0


def check_against_manifest(path: str | os.PathLike[str]) -> list[str]:
    """The manifest's complaints about an executed notebook: missing records, missed targets.

    Notebooks outside a repository with ``book/chapters.yml`` are not checked; a notebook
    of the repository that the manifest does not list is a problem.
    """
    path = Path(path).resolve()
    config = find_config(path.parent)
    if config is None or not (config.parent / manifest.MANIFEST).is_file():
        return []
    root = config.parent
    relative = path.relative_to(root).as_posix()
    for chapter in manifest.load(root):
        if chapter.file == relative:
            return manifest.check_notebook(chapter, path)
    return [f"{relative} is not in {manifest.MANIFEST}: add its entry"]


if __name__ == "__main__":
    sys.exit(_main())
