"""The project's notebook executor: run chapters in place and stamp what produced them.

::

    python -m aebook.execute notebooks/02_undercomplete.ipynb      # full profile
    python -m aebook.execute --all                                  # every chapter
    python -m aebook.execute --smoke notebooks/01_*.ipynb           # trial run, to _build/smoke/

Before running, the Colab set-up cell (tagged ``bootstrap``) is rewritten from the
``repository`` section of ``_config.yml``. Each notebook then runs top to bottom in a fresh ``python3`` kernel, in its own folder, and
is written back with its outputs and ``metadata["aebook"]``: the profile, the sha256 of
its code cells (:func:`code_sha256`), the wall time and the library versions. The
hygiene tests compare that stamp with the code, so committed outputs that are stale or
came from the smoke profile fail the tests.

A trial run in the smoke profile (``--smoke``) never touches the committed notebook: it writes
the executed copy to ``_build/smoke/`` (:data:`SMOKE_DIR`) and says where.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from .atomic import write_text
from .profile import SMOKE_ENV, is_smoke

__all__ = [
    "BOOTSTRAP_TAG",
    "STAMP_KEY",
    "bootstrap_source",
    "code_sha256",
    "execute_notebook",
    "outputs_sha256",
    "read_repository",
    "smoke_output",
    "stamp_of",
    "sync_bootstrap",
]

STAMP_KEY = "aebook"
#: Where ``--smoke`` writes its executed copies, relative to the repository's root.
SMOKE_DIR = Path("_build") / "smoke"
#: Tag of the Colab set-up cell; it also carries ``remove-cell`` (site) and ``nbval-skip``.
BOOTSTRAP_TAG = "bootstrap"
BOOTSTRAP_TAGS = [BOOTSTRAP_TAG, "remove-cell", "nbval-skip"]

_BOOTSTRAP_TEMPLATE = """\
# Set-up for Google Colab (hidden on the book's site, skipped by the tests).
# Colab already has TensorFlow and Keras; this installs only the book's helper
# package, `aebook`, whose loose requirements never replace them.
import sys

if "google.colab" in sys.modules:
    import subprocess

    package = "aebook @ git+{url}@{branch}"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=True)"""


_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~-]+)+")
_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")


def read_repository(config: str | os.PathLike[str]) -> tuple[str, str]:
    """``(repository.url, repository.branch)`` from the book's ``_config.yml``."""
    import yaml

    with open(config, encoding="utf-8") as fh:
        repo = (yaml.safe_load(fh) or {}).get("repository") or {}
    url, branch = repo.get("url"), repo.get("branch")
    if not url or not branch:
        raise ValueError(f"{config}: repository.url and repository.branch must both be set")
    url, branch = str(url).rstrip("/"), str(branch)
    # Both are pasted into the Colab cell's Python source and into a pip requirement:
    # allow only what a GitHub-style URL and a git branch name are made of.
    if not _URL.fullmatch(url):
        raise ValueError(
            f"{config}: repository.url {url!r} is not a plain https URL "
            "(https://host/owner/name, letters, digits and . _ ~ - only)"
        )
    if not _BRANCH.fullmatch(branch) or ".." in branch:
        raise ValueError(
            f"{config}: repository.branch {branch!r} is not a plain git branch name "
            "(letters, digits and . _ / - only)"
        )
    return url, branch


def bootstrap_source(url: str, branch: str) -> str:
    """The Colab set-up cell every chapter starts with, for this repository and branch."""
    return _BOOTSTRAP_TEMPLATE.format(url=url, branch=branch)


def sync_bootstrap(nb: Any, config: str | os.PathLike[str]) -> bool:
    """Rewrite the notebook's bootstrap cell from ``_config.yml``; ``True`` if it changed.

    Raises ``ValueError`` when the notebook has no code cell tagged ``bootstrap``.
    """
    source = bootstrap_source(*read_repository(config))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and BOOTSTRAP_TAG in cell.get("metadata", {}).get(
            "tags", []
        ):
            changed = cell["source"] != source or cell["metadata"]["tags"] != BOOTSTRAP_TAGS
            cell["source"] = source
            cell["metadata"]["tags"] = list(BOOTSTRAP_TAGS)
            return changed
    raise ValueError(
        f"no code cell tagged {BOOTSTRAP_TAG!r}: every chapter needs the Colab set-up cell"
    )


def _find_config(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / "_config.yml").is_file():
            return folder / "_config.yml"
    return None


_VERSIONED = ("tensorflow", "keras", "numpy", "scikit-learn", "matplotlib")


def code_sha256(nb: dict[str, Any] | Any) -> str:
    """sha256 over the sources of a notebook's code cells, in order (outputs ignored)."""
    sources = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = cell["source"]
        sources.append("".join(src) if isinstance(src, list) else src)
    return hashlib.sha256(json.dumps(sources).encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    """JSON value with multi-line strings joined (nbformat stores them as lists of lines)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            return "".join(value)
        return [_canonical(v) for v in value]
    return value


def outputs_sha256(nb: dict[str, Any] | Any) -> str:
    """sha256 over the outputs of a notebook's code cells, in order.

    Execution counts are left out; everything a reader sees (text, images, the recorded
    numbers) is in. The stamp keeps it, so a hand-edited or deleted output fails the tests.
    """
    outputs = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        cell_outputs = []
        for out in cell.get("outputs", []):
            out = {k: v for k, v in _canonical(dict(out)).items() if k != "execution_count"}
            cell_outputs.append(out)
        outputs.append(cell_outputs)
    text = json.dumps(outputs, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamp_of(nb: dict[str, Any] | Any) -> dict[str, Any] | None:
    """The executor's stamp of a notebook, or ``None`` when it has none."""
    return nb.get("metadata", {}).get(STAMP_KEY)


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
    config = _find_config(path.parent)
    root = config.parent if config is not None else path.parent
    return root / SMOKE_DIR / path.name


def execute_notebook(
    path: str | os.PathLike[str],
    smoke: bool = False,
    timeout: int = 3600,
    output: str | os.PathLike[str] | None = None,
) -> float:
    """Execute ``path`` in a fresh kernel and stamp it; return the wall time in s.

    The full profile writes the result back to ``path``. The smoke profile writes it to
    ``output`` (default :func:`smoke_output`) and refuses to write it to ``path``, so a trial
    run can never replace the committed notebook. The kernel runs in ``path``'s folder either
    way. Raises ``nbclient.exceptions.CellExecutionError`` if any cell fails; no file is
    then written.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    target = Path(output) if output is not None else (smoke_output(path) if smoke else path)
    if smoke and target.resolve() == path.resolve():
        raise ValueError(
            f"a smoke-profile run must not overwrite {path}: its outputs would replace the "
            f"committed full-profile ones. Write it elsewhere (default {smoke_output(path)})"
        )
    nb = nbformat.read(path, as_version=4)
    config = _find_config(path.resolve().parent)
    if config is not None:
        sync_bootstrap(nb, config)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    nb.metadata.pop(STAMP_KEY, None)

    # A full run also writes the chapter's interactive figures (aebook.widgets), stamped
    # with the code hash the notebook will carry; the kernel inherits these variables.
    from .widgets import CODE_ENV, DIR_ENV

    # They go to a temporary folder first and into _static/widgets only once the notebook
    # is written, so a run that fails half-way changes neither.
    exports = {}
    staging = None
    if not smoke and config is not None:
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
    text = nbformat.writes(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text(target, text if text.endswith("\n") else text + "\n")  # as nbformat.write
    if staging is not None:
        for exported in sorted(staging.glob("*.js")):
            target = config.parent / "_static" / "widgets" / exported.name  # type: ignore[union-attr]
            target.parent.mkdir(parents=True, exist_ok=True)
            write_text(target, exported.read_text(encoding="utf-8"))
        shutil.rmtree(staging, ignore_errors=True)
    return seconds


def _not_a_notebook(path: Path) -> str | None:
    """Why ``path`` cannot be executed as a notebook, or ``None`` if it can."""
    import nbformat

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
        prog="python -m aebook.execute", description=__doc__.split("\n")[0]
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
            found = check_against_manifest(p)
            for problem in found:
                print(f"  {problem}", flush=True)
            problems += found
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
    from . import manifest
    from .record import read_records

    path = Path(path).resolve()
    config = _find_config(path.parent)
    if config is None or not (config.parent / manifest.MANIFEST).is_file():
        return []
    root = config.parent
    relative = path.relative_to(root).as_posix()
    for chapter in manifest.load(root):
        if chapter.file == relative:
            return manifest.check(chapter, read_records(path))
    return [f"{relative} is not in {manifest.MANIFEST}: add its entry"]


if __name__ == "__main__":
    sys.exit(_main())
