"""The project's own promises: README, CI script and book configuration agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEST_COMMAND = "AEBOOK_SMOKE=1 python -m pytest"
BUILD_COMMAND = "jupyter-book build . -W -n --keep-going"


def test_ci_runs_the_readme_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in (TEST_COMMAND, BUILD_COMMAND):
        assert command in readme, f"README.md must give `{command}`"
        assert re.search(rf"^{re.escape(command)}$", ci, flags=re.M), (
            f".ci/run must run `{command}`"
        )
    assert "pip install" in ci and "requirements.txt" in ci, ".ci/run installs what it needs"


def test_book_config() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["only_build_toc_files"] is True
    assert config["execute"]["execute_notebooks"] == "off", "the site shows committed outputs"
    assert config["sphinx"]["config"]["nb_execution_raise_on_error"] is True
    for pattern in ("_build", ".*", "tests"):
        assert pattern in config["exclude_patterns"]
    repo = config["repository"]
    assert repo["url"].startswith("https://github.com/") and repo["branch"] == "main"
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert config["html"]["use_repository_button"] is True
    assert (ROOT / config["bibtex_bibfiles"][0]).is_file()


def _requirement_lines() -> list[str]:
    """The non-comment lines of requirements.txt."""
    return [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_requirements_are_pinned() -> None:
    lines = _requirement_lines()
    assert "-e ." in lines
    pins = dict(line.split("==", 1) for line in lines if line != "-e .")
    for name in ("tensorflow", "keras", "jupyter-book", "nbval", "pytest", "ruff", "scikit-learn"):
        assert name in pins, f"{name} must be pinned exactly"
    assert pins["tensorflow"].startswith("2.21.")
    assert pins["jupyter-book"].startswith("1."), "the book is built with Jupyter Book 1"


def test_helper_does_not_pull_tensorflow() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = [re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0].lower() for d in project["dependencies"]]
    assert "tensorflow" not in deps, "installing aebook in Colab must not replace TF"
    assert "keras" in deps
    assert project["license"] == "MIT", "an SPDX license string (no table: setuptools warns)"


def _notebook_imports() -> set[str]:
    """Top-level modules imported by the chapters' code cells."""
    import json

    modules = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            for line in "".join(cell["source"]).splitlines():
                match = re.match(r"\s*(?:from|import)\s+([A-Za-z_][\w]*)", line)
                if match:
                    modules.add(match.group(1))
    return modules


def test_every_notebook_import_is_pinned_and_in_colabs_environment() -> None:
    import sys
    from importlib.metadata import packages_distributions

    owners = packages_distributions()
    pins = {line.split("==", 1)[0].lower() for line in _requirement_lines() if "==" in line}
    colab_env = (ROOT / ".ci" / "colab-env").read_text(encoding="utf-8")
    block = re.search(r"COLAB_PACKAGES=\(([^)]*)\)", colab_env)
    assert block, ".ci/colab-env lists COLAB_PACKAGES"
    colab = {name.lower() for name in block.group(1).split()}
    third_party = sorted(
        m for m in _notebook_imports() if m not in sys.stdlib_module_names and m != "aebook"
    )
    assert {"keras", "numpy", "sklearn", "umap", "skimage"} <= set(third_party)
    for module in third_party:
        dists = {d.lower() for d in owners.get(module, [])}
        assert dists, f"{module}: imported by a chapter but not installed"
        assert dists & pins, f"{module} ({dists}) is not pinned in requirements.txt"
        assert dists & colab, f"{module} ({dists}) is not installed by .ci/colab-env"
