"""The system programs the tests need, installed through apt when this machine allows it.

::

    python -m booktools.system            # check; install what is missing if we can

- Graphviz's ``dot``: chapter 5 draws a model diagram with ``keras.utils.plot_model``.
- Chromium: the browser tests drive it with Playwright (``AEBOOK_CHROMIUM`` may name another
  Chromium binary instead).

Where a program is missing, it is installed with ``apt-get`` if this process runs as root or
may use ``sudo`` without a password; otherwise one line names the packages to install and the
command fails. Nothing is installed into Python's environment here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["PROGRAMS", "Program", "install_command", "missing"]


@dataclass(frozen=True)
class Program:
    """A program the tests need: the commands that provide it and the Debian package."""

    what: str
    commands: tuple[str, ...]
    package: str
    env: str | None = None  # a variable that may name the binary instead


PROGRAMS = (
    Program("Graphviz (`dot`, for chapter 5's model diagram)", ("dot",), "graphviz"),
    Program(
        "Chromium (the browser tests)",
        ("chromium", "chromium-browser"),
        "chromium",
        env="AEBOOK_CHROMIUM",
    ),
)


def missing(
    programs: Sequence[Program] = PROGRAMS,
    which: Callable[[str], str | None] = shutil.which,
    environ: Mapping[str, str] = os.environ,
) -> list[Program]:
    """The programs of ``programs`` that cannot be found."""
    out = []
    for program in programs:
        names = [environ[program.env]] if program.env and environ.get(program.env) else []
        if not any(which(name) for name in [*names, *program.commands]):
            out.append(program)
    return out


def install_command(
    packages: Sequence[str],
    uid: int | None = None,
    which: Callable[[str], str | None] = shutil.which,
    sudo_works: Callable[[], bool] | None = None,
) -> list[list[str]] | None:
    """The apt commands that install ``packages`` here, or ``None`` if we may not."""
    if not which("apt-get"):
        return None
    uid = os.geteuid() if uid is None else uid
    if uid == 0:
        prefix: list[str] = []
    else:
        works = sudo_works or _sudo_works
        if not which("sudo") or not works():
            return None
        prefix = ["sudo", "-n"]
    env = ["env", "DEBIAN_FRONTEND=noninteractive"]
    return [
        [*prefix, "apt-get", "update", "-qq"],
        [*prefix, *env, "apt-get", "install", "-y", "-qq", *packages],
    ]


def _sudo_works() -> bool:
    done = subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False)
    return done.returncode == 0


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m booktools.system", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check; never install")
    args = parser.parse_args(argv)
    absent = missing()
    if not absent:
        return 0
    packages = [p.package for p in absent]
    commands = None if args.check else install_command(packages)
    if commands is None:
        names = ", ".join(p.what for p in absent)
        print(
            f"error: missing {names}. Install them with `sudo apt-get install "
            f"{' '.join(packages)}` (macOS: `brew install graphviz chromium`), then run the "
            "command again",
            file=sys.stderr,
        )
        return 1
    print(f"installing {' '.join(packages)} with apt-get ...", flush=True)
    for command in commands:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    still = missing()
    if still:
        print(f"error: still missing after apt-get: {', '.join(p.what for p in still)}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main())
