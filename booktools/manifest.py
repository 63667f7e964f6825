"""The chapter manifest, ``book/chapters.yml``: each chapter's facts in one place.

A chapter's number, file, title, summary, reading time, its full-profile targets and its
rows on the results page (models, and measures of other tasks) live in the manifest; the
numbers it must record follow from those and from the names its prose quotes; its run time
lives in the stamp the executor writes into the notebook. Everything else is generated
from the two (:mod:`booktools.results` writes the pages) and checked by the tests:

* :func:`load` reads and validates the manifest;
* :func:`check` compares a notebook's recorded numbers with what its chapter needs (targets,
  results rows, measures, the prose's glue: :func:`glue_keys`) and with its targets (the
  executor and the hygiene tests call it);
* :func:`chapter_table`, :func:`teaching_table` and :func:`replace_generated` build the
  chapter tables of ``README.md``, ``book/index.md`` and ``book/teaching.md``.

This is tooling for the repository: the notebooks themselves never read the manifest, so
a chapter opened in Colab needs nothing but the helper's loading and plotting code.
"""

from __future__ import annotations

import json
import math
import operator
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import yaml

from .jsontypes import Json
from .records import records_of
from .stamp import stamp_of

__all__ = [
    "MANIFEST",
    "Chapter",
    "ManifestError",
    "Measure",
    "ResultRow",
    "Target",
    "chapter_table",
    "check",
    "load",
    "replace_generated",
    "run_time",
    "teaching_table",
]

#: Where the manifest lives, relative to the repository's root.
MANIFEST = Path("book") / "chapters.yml"

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_LOSSES = ("bce", "mse", "neg_elbo")
_TASKS = ("reconstruction", "denoising")


class ManifestError(ValueError):
    """The manifest is malformed; the message names the chapter and the field."""


@dataclass(frozen=True)
class Target:
    """``record op value``, or ``record op ref * factor + offset`` with another record."""

    record: str
    op: str
    value: float | None = None
    ref: str | None = None
    factor: float = 1.0
    offset: float = 0.0

    def threshold(self, records: Mapping[str, Json]) -> float:
        if self.ref is None:
            return float(self.value)  # type: ignore[arg-type]
        return float(records[self.ref]) * self.factor + self.offset

    def __str__(self) -> str:
        if self.ref is None:
            return f"{self.record} {self.op} {self.value:g}"
        rhs = self.ref
        if self.factor != 1.0:
            rhs = f"{self.factor:g} × {rhs}"
        if self.offset:
            rhs = f"{rhs} + {self.offset:g}"
        return f"{self.record} {self.op} {rhs}"


@dataclass(frozen=True)
class ResultRow:
    """One model on the results page, and the record behind each of its columns."""

    model: str
    notebook: str  # the notebook's stem, e.g. "02_undercomplete"
    data: str
    loss: str
    loss_key: str
    code_key: str | None = "code_size"
    params_key: str | None = "parameters"
    psnr_key: str | None = "test_psnr"
    seconds_key: str | None = None
    baseline: bool = False  # a reference to beat (the mean image): a dashed line in the chart
    floor: bool = False  # the loss of a perfect reconstruction: a dotted line in the chart
    task: str = "reconstruction"  # or "denoising" (noisy in, clean out): not in the chart

    def keys(self) -> list[str]:
        """Every record this row reads."""
        keys = (self.loss_key, self.code_key, self.params_key, self.psnr_key, self.seconds_key)
        return [k for k in keys if k is not None]


@dataclass(frozen=True)
class Measure:
    """One number of a task other than reconstruction, for the results page's second table:
    a method scored on a task (anomaly detection, retrieval, compression) by a metric."""

    task: str
    method: str
    metric: str
    key: str  # the record behind the value
    format: str = ".3f"  # how the value is printed (a format spec)
    notebook: str = ""  # the notebook's stem, set from the chapter


@dataclass(frozen=True)
class Chapter:
    number: int
    file: str
    title: str
    summary: str
    reading_minutes: int
    targets: tuple[Target, ...] = ()
    results: tuple[ResultRow, ...] = field(default_factory=tuple)
    measures: tuple[Measure, ...] = field(default_factory=tuple)

    @property
    def stem(self) -> str:
        return Path(self.file).stem

    def required_records(self, glued: Iterable[str] = ()) -> set[str]:
        """What the notebook must record: ``wall_time_s``, every name a target, a results row
        or a measure reads, and ``glued``, the names its prose quotes (:func:`glue_keys`)."""
        needed = {"wall_time_s", *glued}
        for t in self.targets:
            needed.add(t.record)
            if t.ref:
                needed.add(t.ref)
        for row in self.results:
            needed.update(row.keys())
        needed.update(m.key for m in self.measures)
        return needed


#: A glue role or directive of the prose: {glue:text}`name:.4f`, {glue}`name`, ```{glue} name
_GLUE = re.compile(r"\{glue(?::\w*)?\}(?:`|\s+)([A-Za-z_]\w*)")


def glue_keys(notebook: Mapping[str, Json]) -> set[str]:
    """The record names the markdown cells of ``notebook`` (a parsed .ipynb) quote."""
    found: set[str] = set()
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            found.update(_GLUE.findall("".join(source) if isinstance(source, list) else source))
    return found


# --------------------------------------------------------------------------- reading
def _require(
    entry: Mapping[str, Json], key: str, kind: type | tuple[type, ...], where: str
) -> Json:
    if key not in entry:
        raise ManifestError(f"{where}: missing field {key!r}")
    value = entry[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ManifestError(f"{where}: field {key!r} must be {kind}, got {value!r}")
    return value


def _number(raw: Mapping[str, Json], key: str, where: str) -> float:
    """``raw[key]``: a finite number (YAML's ``.nan``, ``.inf``, ``null`` and text refused)."""
    value = raw[key]
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ManifestError(f"{where}: {key} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ManifestError(f"{where}: {key} must be finite, got {value!r}")
    return float(value)


def _target(raw: Json, where: str) -> Target:
    if not isinstance(raw, Mapping):
        raise ManifestError(f"{where}: a target must be a mapping, got {raw!r}")
    unknown = set(raw) - {"record", "op", "value", "ref", "factor", "offset"}
    if unknown:
        raise ManifestError(f"{where}: unknown target fields {sorted(unknown)}")
    record = _require(raw, "record", str, where)
    op = _require(raw, "op", str, where)
    if op not in _OPS:
        raise ManifestError(f"{where}: target op {op!r} is not one of {sorted(_OPS)}")
    if ("value" in raw) == ("ref" in raw):
        raise ManifestError(f"{where}: target on {record!r} needs exactly one of value, ref")
    where = f"{where}: target on {record!r}"
    if "value" in raw and ("factor" in raw or "offset" in raw):
        raise ManifestError(f"{where}: factor and offset go with ref, not value")
    if "value" in raw:
        return Target(record=record, op=op, value=_number(raw, "value", where))
    ref = raw["ref"]
    if not isinstance(ref, str) or not ref:
        raise ManifestError(f"{where}: ref must name a record, got {ref!r}")
    return Target(
        record=record,
        op=op,
        ref=ref,
        factor=_number(raw, "factor", where) if "factor" in raw else 1.0,
        offset=_number(raw, "offset", where) if "offset" in raw else 0.0,
    )


def _row(raw: Json, stem: str, where: str) -> ResultRow:
    if not isinstance(raw, Mapping):
        raise ManifestError(f"{where}: a results row must be a mapping, got {raw!r}")
    allowed = {f for f in ResultRow.__dataclass_fields__ if f != "notebook"}
    unknown = set(raw) - allowed
    if unknown:
        raise ManifestError(f"{where}: unknown results fields {sorted(unknown)}")
    for key in ("model", "data", "loss", "loss_key"):
        _require(raw, key, str, where)
    for key in ("code_key", "params_key", "psnr_key", "seconds_key"):
        if key in raw and raw[key] is not None and not isinstance(raw[key], str):
            raise ManifestError(f"{where}: {key} must name a record or be null, got {raw[key]!r}")
    if raw["loss"] not in _LOSSES:
        raise ManifestError(f"{where}: loss {raw['loss']!r} is not one of {_LOSSES}")
    for key in ("baseline", "floor"):
        if key in raw and not isinstance(raw[key], bool):
            raise ManifestError(f"{where}: {key} must be true or false, got {raw[key]!r}")
    if raw.get("task", "reconstruction") not in _TASKS:
        raise ManifestError(f"{where}: task {raw['task']!r} is not one of {_TASKS}")
    if raw.get("baseline") and raw.get("floor"):
        raise ManifestError(f"{where}: a row is a baseline or a floor, not both")
    return ResultRow(notebook=stem, **raw)


def _measure(raw: Json, stem: str, where: str) -> Measure:
    if not isinstance(raw, Mapping):
        raise ManifestError(f"{where}: a measure must be a mapping, got {raw!r}")
    allowed = {"task", "method", "metric", "key", "format"}
    unknown = set(raw) - allowed
    if unknown:
        raise ManifestError(f"{where}: unknown measure fields {sorted(unknown)}")
    fields = {key: _require(raw, key, str, where) for key in ("task", "method", "metric", "key")}
    spec = raw.get("format", ".3f")
    try:
        format(1.0, spec)
    except (TypeError, ValueError):
        raise ManifestError(f"{where}: measure format {spec!r} is not a format spec") from None
    return Measure(**fields, format=spec, notebook=stem)


def _check_file(file: str, where: str) -> None:
    """A chapter's notebook: a relative path inside the repository, ending in ``.ipynb``."""
    pure = PurePosixPath(file)
    if pure.is_absolute() or PureWindowsPath(file).is_absolute() or ".." in pure.parts:
        raise ManifestError(
            f"{where}: file {file!r} must be a relative path inside the repository, "
            "such as notebooks/01_introduction.ipynb"
        )
    if pure.suffix != ".ipynb":
        raise ManifestError(f"{where}: file {file!r} must be a notebook (.ipynb)")


def _minutes_field(entry: Mapping[str, Json], where: str) -> int:
    minutes: int = _require(entry, "reading_minutes", int, where)
    if minutes < 1:
        raise ManifestError(f"{where}: reading_minutes must be at least 1, got {minutes}")
    return minutes


def load(root: str | os.PathLike[str] = ".") -> list[Chapter]:
    """The chapters of ``root/book/chapters.yml``, validated, in order."""

    path = Path(root) / MANIFEST
    if not path.is_file():
        raise ManifestError(f"{path} not found: the chapter manifest is missing")
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh) or {}
    entries = doc.get("chapters") if isinstance(doc, Mapping) else None
    if not isinstance(entries, list) or not entries:
        raise ManifestError(f"{path}: needs a non-empty list under 'chapters'")
    chapters = []
    for i, entry in enumerate(entries, start=1):
        where = f"{path}, chapter entry {i}"
        if not isinstance(entry, Mapping):
            raise ManifestError(f"{where}: must be a mapping")
        known = set(Chapter.__dataclass_fields__)
        unknown = set(entry) - known
        if unknown:
            raise ManifestError(f"{where}: unknown fields {sorted(unknown)}")
        file = _require(entry, "file", str, where)
        _check_file(file, where)
        where = f"{path}, {file}"
        number = _require(entry, "number", int, where)
        if number != i:
            raise ManifestError(f"{where}: number {number}, but it is entry {i}")
        stem = Path(file).stem
        chapters.append(
            Chapter(
                number=number,
                file=file,
                title=_require(entry, "title", str, where),
                summary=" ".join(_require(entry, "summary", str, where).split()),
                reading_minutes=_minutes_field(entry, where),
                targets=tuple(_target(t, where) for t in entry.get("targets") or []),
                results=tuple(_row(r, stem, where) for r in entry.get("results") or []),
                measures=tuple(_measure(m, stem, where) for m in entry.get("measures") or []),
            )
        )
    files = [c.file for c in chapters]
    if len(set(files)) != len(files):
        raise ManifestError(f"{path}: a notebook is listed twice")
    return chapters


# --------------------------------------------------------------------------- checking
def check(chapter: Chapter, records: Mapping[str, Json], glued: Iterable[str] = ()) -> list[str]:
    """What is wrong with a notebook's records for ``chapter``: missing names, missed targets.

    ``glued`` are the names the chapter's prose quotes (:func:`glue_keys`). Returns an empty
    list when every required record is there and every target holds.
    """
    problems = [
        f"{chapter.file} does not record {name!r}"
        for name in sorted(chapter.required_records(glued) - set(records))
    ]
    for target in chapter.targets:
        names = [target.record] + ([target.ref] if target.ref else [])
        if any(n not in records for n in names):
            continue  # already reported as missing
        value = float(records[target.record])
        threshold = target.threshold(records)
        if not (math.isfinite(value) and _OPS[target.op](value, threshold)):
            problems.append(
                f"{chapter.file}: target {target} missed: {target.record} = {value:.6g}, "
                f"needs {target.op} {threshold:.6g}"
            )
    return problems


def check_notebook(chapter: Chapter, path: str | os.PathLike[str]) -> list[str]:
    """:func:`check` on the executed notebook at ``path``: its records and its prose's glue."""
    with open(path, encoding="utf-8") as fh:
        notebook = json.load(fh)
    return check(chapter, records_of(notebook), glue_keys(notebook))


# --------------------------------------------------------------------------- run times
def run_time(notebook: str | os.PathLike[str]) -> float | None:
    """The full-profile wall time in seconds from a notebook's stamp, or ``None``."""

    with open(notebook, encoding="utf-8") as fh:
        stamp = stamp_of(json.load(fh)) or {}
    if stamp.get("profile") != "full":
        return None
    return float(stamp["wall_seconds"])


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "not yet executed"
    if seconds < 60:
        return "under a minute"
    return f"{seconds / 60:.1f} min"


# --------------------------------------------------------------------------- tables
def chapter_table(
    chapters: Sequence[Chapter], root: str | os.PathLike[str], link: str = "readme"
) -> str:
    """The chapter table: number and title (linked), summary, full-profile run time.

    ``link="readme"`` links the notebook files (for GitHub); ``link="book"`` uses MyST
    ``{doc}`` roles for the site's front page.
    """
    lines = [
        "| # | chapter | what it covers | full-profile run (2-core CPU) |",
        "| -: | --- | --- | --- |",
    ]
    for c in chapters:
        if link == "book":
            title = f"{{doc}}`{c.title} <../notebooks/{c.stem}>`"
        else:
            title = f"[{c.title}]({c.file})"
        seconds = run_time(Path(root) / c.file) if (Path(root) / c.file).is_file() else None
        lines.append(f"| {c.number} | {title} | {c.summary} | {_minutes(seconds)} |")
    return "\n".join(lines)


def teaching_table(chapters: Sequence[Chapter], root: str | os.PathLike[str]) -> str:
    """The instructors' table: reading time and full-profile run time per chapter."""
    lines = [
        "| chapter | reading | full-profile run, 2-core CPU |",
        "| --- | --- | --- |",
    ]
    total = 0.0
    for c in chapters:
        path = Path(root) / c.file
        seconds = run_time(path) if path.is_file() else None
        total += seconds or 0.0
        lines.append(f"| {c.number}. {c.title} | {c.reading_minutes} min | {_minutes(seconds)} |")
    lines.append(
        f"| all chapters | {sum(c.reading_minutes for c in chapters)} min | {_minutes(total)} |"
    )
    return "\n".join(lines)


def _markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- generated: {name} (python -m booktools.results; do not edit) -->",
        f"<!-- end generated: {name} -->",
    )


def replace_generated(text: str, name: str, content: str, where: str = "") -> str:
    """``text`` with the block between the ``name`` markers replaced by ``content``."""
    begin, end = _markers(name)
    if text.count(begin) != 1 or text.count(end) != 1:
        raise ManifestError(
            f"{where or 'text'}: needs exactly one pair of markers:\n{begin}\n{end}"
        )
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    return f"{head}{begin}\n{content}\n{end}{tail}"
