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


def test_requirements_are_pinned() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
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
