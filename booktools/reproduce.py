"""Prove a chapter's numbers by running it again: ``python -m booktools.reproduce``.

A stamp's hashes catch accidents, not forgery: anyone can edit a recorded number and recompute
them. The proof is re-execution. This command runs each chapter again in the full profile in
a fresh kernel, writes the run to a scratch folder (the committed notebook and the site's
widget files are never touched), and compares every record with the committed one:

- numbers agree when ``|fresh - committed| <= rtol * |committed| + atol``; strings must be
  equal;
- timings (names ending in ``_seconds`` or ``_s``, and ``*speedup*`` ratios of timings)
  are listed but not compared: they are measurements of the machine, not of the model;
- a record missing from the fresh run, or new in it, is a difference.

On the machine that executed the book, the same code gives the same numbers: TensorFlow's op
determinism is on (``aebook.setup``), so expect agreement to about 1e-6 relative. Another
machine (another CPU's instruction set, another thread count, another TensorFlow build) can
change the last digits of every trained model's results, and more for long training runs:
compare across machines with a looser ``--rtol`` and read the table.

Exit status 0 when every compared record agrees, 1 when one does not, 2 on bad input.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .jsontypes import Json
from .records import read_records

__all__ = ["Row", "agrees", "compare", "is_timing", "render", "reproduce"]

#: The relative tolerance on the machine that executed the book.
DEFAULT_RTOL = 1e-6
#: The absolute tolerance, for numbers recorded as (near) zero.
DEFAULT_ATOL = 1e-9


def is_timing(name: str) -> bool:
    """``True`` for a record that measures the machine (a time, or a ratio of times)."""
    return name.endswith(("_seconds", "_s")) or "speedup" in name


@dataclass(frozen=True)
class Row:
    """One record, committed against fresh, and the verdict."""

    name: str
    committed: Json
    fresh: Json
    verdict: str  # "agrees", "differs", "timing", "missing", "new"

    @property
    def relative(self) -> float | None:
        """``|fresh - committed| / |committed|`` for two numbers, else ``None``."""
        a, b = self.committed, self.fresh
        if not (_is_number(a) and _is_number(b)):
            return None
        if a == b:
            return 0.0
        return abs(b - a) / abs(a) if a != 0 else math.inf


def _is_number(value: Json) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def compare(
    committed: Mapping[str, Json],
    fresh: Mapping[str, Json],
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> list[Row]:
    """Every record of either run, in the committed run's order, with its verdict."""
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"tolerances must be >= 0, got rtol={rtol}, atol={atol}")
    rows = []
    for name in [*committed, *(n for n in fresh if n not in committed)]:
        if name not in fresh:
            rows.append(Row(name, committed[name], None, "missing"))
            continue
        if name not in committed:
            rows.append(Row(name, None, fresh[name], "new"))
            continue
        a, b = committed[name], fresh[name]
        if is_timing(name):
            verdict = "timing"
        elif _is_number(a) and _is_number(b):
            verdict = "agrees" if abs(b - a) <= rtol * abs(a) + atol else "differs"
        else:
            verdict = "agrees" if a == b else "differs"
        rows.append(Row(name, a, b, verdict))
    return rows


def agrees(rows: Sequence[Row]) -> bool:
    """``True`` when no record differs, is missing or is new (timings aside)."""
    return not any(r.verdict in ("differs", "missing", "new") for r in rows)


def render(stem: str, rows: Sequence[Row], rtol: float, everything: bool = False) -> str:
    """A plain-text table: the differences (every row with ``everything``) and a summary."""
    counts = {
        v: sum(r.verdict == v for r in rows)
        for v in ("agrees", "differs", "missing", "new", "timing")
    }
    shown = [r for r in rows if everything or r.verdict in ("differs", "missing", "new")]
    lines = [f"{stem}: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n)]
    if shown:
        lines.append(f"  {'record':<34} {'committed':>14} {'fresh':>14} {'rel. diff':>10}  verdict")
        for r in shown:
            rel = r.relative
            rel_text = "" if rel is None else ("inf" if math.isinf(rel) else f"{rel:.1e}")
            lines.append(
                f"  {r.name:<34} {_cell(r.committed):>14} {_cell(r.fresh):>14} {rel_text:>10}  "
                f"{r.verdict}"
            )
    lines.append(
        f"  (numbers compared to rtol {rtol:g}; timings listed, not compared)"
        if counts["timing"]
        else f"  (numbers compared to rtol {rtol:g})"
    )
    return "\n".join(lines)


def _cell(value: Json) -> str:
    if value is None:
        return "-"
    if _is_number(value):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 14 else text[:13] + "…"


def reproduce(
    path: str | Path,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    timeout: int = 3600,
    scratch: str | Path | None = None,
) -> list[Row]:
    """Run notebook ``path`` again in the full profile into ``scratch`` (a temporary folder
    by default) and compare its records with the committed ones."""
    from .execute import execute_notebook  # lazy: starts kernels; the comparison needs none

    path = Path(path)
    committed = read_records(path)
    if not committed:
        raise ValueError(f"{path} has no records to compare: execute it first")
    if scratch is not None:
        fresh_path = Path(scratch) / path.name
        execute_notebook(path, smoke=False, timeout=timeout, output=fresh_path)
        return compare(committed, read_records(fresh_path), rtol, atol)
    with tempfile.TemporaryDirectory(prefix="aebook-reproduce-") as tmp:
        return reproduce(path, rtol, atol, timeout, scratch=tmp)


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booktools.reproduce",
        description="Run chapters again in the full profile (never touching the committed "
        "files) and compare every record with the committed one.",
    )
    parser.add_argument(
        "notebooks", nargs="+", help="notebook files, e.g. notebooks/01_introduction.ipynb"
    )
    parser.add_argument(
        "--rtol",
        type=float,
        default=DEFAULT_RTOL,
        help=f"relative tolerance (default {DEFAULT_RTOL:g})",
    )
    parser.add_argument(
        "--atol",
        type=float,
        default=DEFAULT_ATOL,
        help=f"absolute tolerance (default {DEFAULT_ATOL:g})",
    )
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell (default 3600)")
    parser.add_argument(
        "--keep", metavar="DIR", help="write the fresh runs to DIR instead of a temporary folder"
    )
    parser.add_argument(
        "--all-rows", action="store_true", help="list every record, not only the differences"
    )
    args = parser.parse_args(argv)
    if not (args.rtol >= 0 and args.atol >= 0):
        parser.error("--rtol and --atol must be >= 0")
    paths = [Path(p) for p in args.notebooks]
    for p in paths:
        if not (p.is_file() and p.suffix == ".ipynb"):
            parser.error(f"{p} is not a notebook file")
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
    failed = 0
    for p in paths:
        rows = reproduce(p, args.rtol, args.atol, args.timeout, args.keep)
        print(render(p.stem, rows, args.rtol, args.all_rows), flush=True)
        failed += not agrees(rows)
    print(f"{len(paths) - failed} of {len(paths)} chapter(s) reproduced their records")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(_main())
