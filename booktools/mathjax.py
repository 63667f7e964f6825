"""A pinned, hash-checked copy of MathJax that the site serves itself.

Sphinx's default loads MathJax from a CDN, so offline every formula stays raw TeX, and a
stalled CDN connection holds back everything that waits for the page to finish parsing.
Instead the build command fetches MathJax once from the npm registry, checks the tarball's
SHA-512 against the one pinned here (the registry's own ``dist.integrity``), and unpacks the
part the site uses into ``.mathjax/site/_static/mathjax/`` (git-ignored, never committed). The Sphinx extension
:mod:`booktools.sphinx_mathjax` copies that folder into the site as ``_static/mathjax/``.

::

    python -m booktools.mathjax            # fetch if missing, else check; print the folder
    python -m booktools.mathjax --check    # only check; exit 1 with a message if missing

Only the CommonHTML build the site loads (``tex-mml-chtml.js``) is kept, with what it loads
on demand (TeX extensions, its fonts, the menu, the accessibility and speech components):
about 8 MB of the package's 24.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "ENTRY",
    "FOLDER",
    "SHA512",
    "URL",
    "VERSION",
    "MathJaxError",
    "check",
    "fetch",
    "install_from_tarball",
]

VERSION = "3.2.2"
URL = f"https://registry.npmjs.org/mathjax/-/mathjax-{VERSION}.tgz"
#: SHA-512 of the tarball, as the npm registry publishes it (``dist.integrity``).
SHA512 = (
    "06df9249553c7811b6ef30a155ec0e89c62ced7b1db78d2a9b8f94a47c97ee4d"
    "3f3bd36588f73ec7bee4d7f144b0fb2328f64626fb5164cd6f3be81e5b43a11b"
)
#: The folder, relative to the repository's root, that the fetched copy goes into.
FOLDER = Path(".mathjax")
#: Where the site finds the script: relative to the site's ``_static/``.
ENTRY = "mathjax/es5/tex-mml-chtml.js"
#: The file that records a complete, checked install (written last).
MARKER = "installed.json"
#: What of the package's ``es5/`` folder is kept (folders are kept whole).
KEEP = ("tex-mml-chtml.js", "input/", "output/chtml/", "output/chtml.js", "a11y/", "sre/", "ui/",
        "adaptors/")  # fmt: skip


class MathJaxError(RuntimeError):
    """The local MathJax copy is missing, incomplete, or its download failed its check."""


def _static_root(root: Path) -> Path:
    """The folder whose contents Sphinx copies into the site's root (``_static/mathjax/``)."""
    return root / FOLDER / "site"


def check(root: str | os.PathLike[str] = ".") -> Path:
    """The folder to copy into the site, if a complete pinned copy is there; else raise.

    The error says how to fetch it.
    """
    root = Path(root)
    marker = root / FOLDER / MARKER
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    entry = _static_root(root) / "_static" / ENTRY
    if not recorded or recorded.get("sha512") != SHA512 or not entry.is_file():
        raise MathJaxError(
            f"no complete copy of MathJax {VERSION} in {root / FOLDER}: run `make book`, or "
            "`python -m booktools.mathjax` from the repository's root folder (it downloads "
            f"{URL} once and checks its SHA-512)"
        )
    return _static_root(root)


def _wanted(name: str) -> str | None:
    """The path under ``es5/`` to keep for tarball member ``name``, or ``None``."""
    prefix = "package/es5/"
    if not name.startswith(prefix):
        return None
    rest = name[len(prefix) :]
    if any(rest == k or (k.endswith("/") and rest.startswith(k)) for k in KEEP):
        return rest
    return None


def install_from_tarball(data: bytes, root: str | os.PathLike[str] = ".") -> Path:
    """Check ``data`` (the npm tarball) against :data:`SHA512` and unpack it under ``root``.

    The copy is unpacked into a temporary folder beside the target and moved into place
    only when complete, so an interrupted install leaves no half copy behind.
    """
    got = hashlib.sha512(data).hexdigest()
    if got != SHA512:
        raise MathJaxError(
            f"the MathJax {VERSION} download has SHA-512 {got[:16]}..., expected "
            f"{SHA512[:16]}...: the download was corrupted or altered; nothing was installed"
        )
    root = Path(root)
    target = root / FOLDER
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mathjax-", dir=target.parent))
    try:
        es5 = staging / "site" / "_static" / "mathjax" / "es5"
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar.getmembers():
                rest = _wanted(member.name)
                if rest is None or not member.isfile():
                    continue
                out = (es5 / rest).resolve()
                if es5.resolve() not in out.parents:
                    raise MathJaxError(f"unsafe path in the MathJax tarball: {member.name}")
                out.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None  # a regular file
                out.write_bytes(source.read())
            licence = tar.extractfile("package/LICENSE")
            if licence is not None:
                (es5.parent / "LICENSE").write_bytes(licence.read())
        if not (es5 / "tex-mml-chtml.js").is_file():
            raise MathJaxError("the MathJax tarball has no es5/tex-mml-chtml.js")
        (staging / MARKER).write_text(
            json.dumps({"version": VERSION, "url": URL, "sha512": SHA512}) + "\n",
            encoding="utf-8",
        )
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return _static_root(root)


def fetch(root: str | os.PathLike[str] = ".", url: str = URL, timeout: float = 120) -> Path:
    """The checked local copy under ``root``, downloading and installing it if needed."""
    try:
        return check(root)
    except MathJaxError:
        pass
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read()
    except OSError as exc:
        raise MathJaxError(
            f"could not download MathJax {VERSION} from {url} ({exc}). The site needs it to "
            "render formulas offline; check the connection to the npm registry and retry"
        ) from exc
    return install_from_tarball(data, root)


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m booktools.mathjax", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check; never download")
    parser.add_argument("--root", default=".", help="the repository's root (default: .)")
    args = parser.parse_args(argv)
    try:
        folder = check(args.root) if args.check else fetch(args.root)
    except MathJaxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"MathJax {VERSION}: {folder / '_static' / ENTRY}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
