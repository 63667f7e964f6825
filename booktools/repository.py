"""The repository's one place for its address, and the Colab cell every chapter starts with.

``_config.yml`` names the repository (``repository.url`` and ``.branch``); the first code cell
of every chapter (tagged ``bootstrap``) installs the reader's library from there in Colab. The
executor rewrites that cell from the configuration before each run (:func:`sync_bootstrap`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from .jsontypes import Json

__all__ = [
    "BOOTSTRAP_TAG",
    "BOOTSTRAP_TAGS",
    "bootstrap_source",
    "find_config",
    "read_repository",
    "sync_bootstrap",
]

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


def sync_bootstrap(nb: Json, config: str | os.PathLike[str]) -> bool:
    """Rewrite the notebook's bootstrap cell from ``_config.yml``; ``True`` if it changed.

    Raises ``ValueError`` when the notebook has no code cell tagged ``bootstrap``.
    """
    source = bootstrap_source(*read_repository(config))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and BOOTSTRAP_TAG in cell.get("metadata", {}).get(
            "tags", []
        ):
            changed = bool(cell["source"] != source or cell["metadata"]["tags"] != BOOTSTRAP_TAGS)
            cell["source"] = source
            cell["metadata"]["tags"] = list(BOOTSTRAP_TAGS)
            return changed
    raise ValueError(
        f"no code cell tagged {BOOTSTRAP_TAG!r}: every chapter needs the Colab set-up cell"
    )


def find_config(start: Path) -> Path | None:
    """The ``_config.yml`` of the book that folder ``start`` is in, or ``None``."""
    for folder in (start, *start.parents):
        if (folder / "_config.yml").is_file():
            return folder / "_config.yml"
    return None
