"""The book's generated pages: the results page and the chapter tables.

Every number on ``book/results.md`` (and in its chart, ``book/results.svg``) is read with
:func:`aebook.read_records` from the executed notebooks; nothing is typed by hand. After
re-executing a chapter, regenerate the page::

    python -m booktools.results          # writes book/results.md, book/results.svg and the
                                      # chapter tables of README.md, book/index.md and
                                      # book/teaching.md (from book/chapters.yml)
    python -m booktools.results --check  # exit 1 if any of them is stale

``tests/test_results.py`` fails when the committed page and the notebooks disagree.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, never a window: before pyplot
import matplotlib.pyplot as plt  # noqa: E402

from . import seedbench
from .atomic import write_text
from .jsontypes import Json, JsonObject
from .manifest import (
    Chapter,
    Measure,
    ResultRow,
    chapter_table,
    replace_generated,
    teaching_table,
)
from .manifest import load as load_manifest
from .records import read_records

__all__ = [
    "Row",
    "collect",
    "collect_measures",
    "render_chart",
    "render_markdown",
    "render_measures",
    "rows_of",
    "write",
]


#: One model on the results page (the manifest's results rows).
Row = ResultRow


def rows_of(chapters: Sequence[Chapter]) -> tuple[Row, ...]:
    """The results rows of every chapter, in the manifest's order."""
    return tuple(row for chapter in chapters for row in chapter.results)


_LOSS_TEXT = {"bce": "BCE {:.4f}", "mse": "MSE {:.5f}", "neg_elbo": "−ELBO {:.1f} nats"}
#: A floor row is not a model: its neg_elbo column is a plain number of nats.
_FLOOR_TEXT = {**_LOSS_TEXT, "neg_elbo": "{:.1f} nats"}
_DASH = "–"


def _value(records: Mapping[str, Json], key: str | None, where: str) -> float | int | None:
    """The number recorded under ``key`` in the notebook ``where`` (``None`` for no key)."""
    if key is None:
        return None
    if key not in records:
        raise KeyError(
            f"{where} records no {key!r}: re-execute it with `python -m booktools.execute`"
        )
    value = records[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(
            f"{where}: record {key!r} is {value!r}, not a number; the results page needs a "
            f"number there: fix the chapter's aebook.record({key!r}, ...) call and re-execute "
            "it with `python -m booktools.execute`"
        )
    if not math.isfinite(value):
        raise ValueError(
            f"{where}: record {key!r} is {value!r}; the results page needs a finite number"
        )
    return value


def _required(records: Mapping[str, Json], key: str, where: str) -> float:
    """:func:`_value` for a key every row has."""
    return float(_value(records, key, where))  # type: ignore[arg-type]  # never None: key given


class _RecordsCache:
    """Each notebook's records, read once: ``cache(stem)`` gives ``(records, file name)``."""

    def __init__(self, notebooks: str | os.PathLike[str]) -> None:
        self.folder = Path(notebooks)
        self.records: dict[str, JsonObject] = {}

    def __call__(self, stem: str) -> tuple[JsonObject, str]:
        path = self.folder / f"{stem}.ipynb"
        if stem not in self.records:
            if not path.is_file():
                raise FileNotFoundError(f"{path} not found: the results page needs it")
            self.records[stem] = read_records(path)
        return self.records[stem], path.name


def collect(notebooks: str | os.PathLike[str], rows: Sequence[Row]) -> list[JsonObject]:
    """The numbers of every row, read from the executed notebooks in ``notebooks``."""
    records_of = _RecordsCache(notebooks)
    table = []
    for row in rows:
        if row.loss not in _LOSS_TEXT:
            raise ValueError(f"unknown loss {row.loss!r} for {row.model!r}")
        records, where = records_of(row.notebook)
        table.append(
            {
                "row": row,
                "loss": _required(records, row.loss_key, where),
                "code": _value(records, row.code_key, where),
                "params": _value(records, row.params_key, where),
                "psnr": _value(records, row.psnr_key, where),
                "seconds": _value(records, row.seconds_key, where),
                "wall": _required(records, "wall_time_s", where),
            }
        )
    return table


def collect_measures(
    notebooks: str | os.PathLike[str], measures: Sequence[Measure]
) -> list[JsonObject]:
    """The value of every measure, read from the executed notebooks in ``notebooks``."""
    records_of = _RecordsCache(notebooks)
    out = []
    for m in measures:
        records, where = records_of(m.notebook)
        out.append({"measure": m, "value": _required(records, m.key, where)})
    return out


def render_measures(values: Sequence[Mapping[str, Json]]) -> str:
    """The results page's table of other tasks: one row per method and metric."""
    lines = [
        "## Other tasks: autoencoders at work and their alternatives",
        "",
        "Each task with the autoencoder and the alternatives a practitioner would try first,",
        "measured on the same test images in the same chapter. The chapter gives the set-up",
        "and the numbers behind each mean.",
        "",
        "| task | method | metric | value |",
        "| --- | --- | --- | ---: |",
    ]
    for entry in values:
        m: Measure = entry["measure"]
        number = m.notebook[:2].lstrip("0")
        task = f"{{doc}}`{m.task} (ch. {number}) <../notebooks/{m.notebook}>`"
        lines.append(f"| {task} | {m.method} | {m.metric} | {format(entry['value'], m.format)} |")
    return "\n".join(lines) + "\n"


def _fmt(value: Json, spec: str) -> str:
    return _DASH if value is None else format(value, spec)


def render_markdown(table: Sequence[Mapping[str, Json]]) -> str:
    """The results page in MyST Markdown."""
    lines = [
        "# Results across the book",
        "",
        "% Generated by `python -m booktools.results` from the numbers the executed chapters",
        "% recorded. Do not edit by hand: re-execute the chapters and regenerate.",
        "",
        "One row per model of the book, each measured on the test set of its data set in the",
        "full profile on a 2-core CPU; each model links to its chapter. BCE is the binary",
        "cross-entropy per pixel, MSE the mean squared error per pixel, −ELBO the VAE's negative",
        "evidence lower bound in nats per image (a sum over pixels, so not comparable with the",
        "per-pixel BCE; the *perfect reconstruction* rows give its floor, the part of the",
        "number no model can remove, because the pixels are grey rather than black or white),",
        "PSNR the peak signal-to-noise ratio of the reconstructions, *weights*",
        "the number of parameters, *fit* the time of the model's `fit` call, and *chapter* the",
        "wall time of the whole chapter, which trains other models as well. A dash means the",
        "column does not apply.",
        "",
        "| model | data | code | weights | test loss | PSNR (dB) | fit (s) | chapter (min) |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for entry in table:
        row: Row = entry["row"]
        number = row.notebook[:2].lstrip("0")
        model = f"{{doc}}`{row.model} (ch. {number}) <../notebooks/{row.notebook}>`"
        loss = (_FLOOR_TEXT if row.floor else _LOSS_TEXT)[row.loss].format(entry["loss"])
        lines.append(
            f"| {model} | {row.data} | {_fmt(entry['code'], ',')} "
            f"| {_fmt(entry['params'], ',')} | {loss} | {_fmt(entry['psnr'], '.1f')} "
            f"| {_fmt(entry['seconds'], '.0f')} | {entry['wall'] / 60:.1f} |"
        )
    lines += [
        "",
        "```{figure} results.svg",
        ":name: fig-results",
        ":alt: Horizontal bars of test BCE per pixel for each MNIST model of the book.",
        "",
        *_chart_caption(table),
        "```",
        "",
    ]
    return "\n".join(lines)


#: The benchmarks' outputs, which the results page shows when they exist.
TIME_TO_TARGET = Path("benchmarks") / "results" / "time_to_target.json"
CPU_RECIPE = Path("benchmarks") / "results" / "cpu_recipe.json"
#: Paired-seed benchmarks (booktools.seedbench), one section each, in file-name order.
SEED_REPORTS = "*_seeds.json"


def _seed_cell(run: Mapping[str, Json]) -> str:
    """One run as ``epochs, seconds`` (and a mark when it missed the target)."""
    missed = "" if run["reached"] else " (missed)"
    return f"{run['epochs']:g}, {run['seconds']:.0f}{missed}"


def render_time_to_target(report: Mapping[str, Json]) -> str:
    """The results page's section on time to target, from the benchmark's JSON."""
    versions = ", ".join(f"{k} {v}" for k, v in report["versions"].items())
    lines = [
        "## Time to target: a constant learning rate and the book's recipe",
        "",
        "Each headline task trained twice on the same data: with a **reference** recipe, Adam",
        "at Keras's default constant rate of 0.001, `fit`'s defaults and the batch size listed",
        "below (for the models the Keras blog post {cite}`chollet2016building` trains, its",
        "model and batch size), and with the **book's** recipe: the model, optimiser, schedule,",
        "batch size and `steps_per_execution` of the chapter's headline run, taken from the",
        "chapter's own code. Where both train the same model they start from the same",
        "weights. Each run stops at the first epoch whose validation metric reaches the",
        "target: the chapter's own if the reference reaches it on the validation set, or else",
        "the validation value the reference reaches in its epochs. A book run that has used",
        "the reference's time without reaching the target stops there and counts as missed.",
        "Times are seconds of `fit` (validation included), the median over the seeds listed,",
        "run back to back in one process by `benchmarks/time_to_target.py` on "
        f"{report['machine'].strip(', ')} ({versions}); *ratio* is the book's median time over",
        "the reference's. The test metric is measured once training stopped.",
        "",
        "| task (ch.) | target (validation) | seeds | reference: epochs, s "
        "| book: epochs, s | ratio | test, reference | test, book |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t in report["tasks"]:
        missed = []
        for recipe in ("reference", "book"):
            runs = [r for r in t["runs"] if r["recipe"] == recipe]
            failed = [r for r in runs if not r["reached"]]
            if failed:
                missed.append(f"{recipe} missed it on {len(failed)} of {len(runs)}")
        flag = f" ({'; '.join(missed)})" if missed else ""
        lines.append(
            f"| {t['task']} ({t['chapter']}) | {t['metric']} ≤ {t['target']:.4g}{flag} "
            f"| {', '.join(map(str, t['seeds']))} "
            f"| {t['reference_epochs']:g}, {t['reference_seconds']:.0f} "
            f"| {t['book_epochs']:g}, {t['book_seconds']:.0f} | {t['ratio']:.2f} "
            f"| {t['reference_test']:.4f} | {t['book_test']:.4f} |"
        )
    lines += [
        "",
        "Every seed (epochs, seconds; the target is per seed where it is the reference's value):",
        "",
        "| task (ch.) | seed | target | reference | book | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t in report["tasks"]:
        for seed in t["seeds"]:
            ref, book = (
                next(r for r in t["runs"] if r["recipe"] == side and r["seed"] == seed)
                for side in ("reference", "book")
            )
            lines.append(
                f"| {t['task']} ({t['chapter']}) | {seed} | {ref['target']:.4g} "
                f"| {_seed_cell(ref)} | {_seed_cell(book)} "
                f"| {book['seconds'] / ref['seconds']:.2f} |"
            )
    measured = {t["key"] for t in report["tasks"]}
    missing = [t for t in report.get("all_tasks", []) if t["key"] not in measured]
    if missing:
        names = ", ".join(f"{t['task']} (chapter {t['chapter']})" for t in missing)
        lines += [
            "",
            f"Not measured yet with the chapters' current code: {names}. Their rows appear",
            "when `benchmarks/time_to_target.py --tasks ... --merge` has run them.",
        ]
    lines += ["", "The recipes:", ""]
    for t in report["tasks"]:
        lines.append(
            f"- {t['task']} (chapter {t['chapter']}): reference {t['reference_model']}, "
            f"{t['reference_recipe']}; book {t['book_model']}, {t['book_recipe']}."
        )
    return "\n".join(lines) + "\n"


def render_cpu_recipe(report: Mapping[str, Json]) -> str:
    """The results page's section on seconds per epoch, from ``benchmarks/cpu_recipe.py``."""
    versions = ", ".join(f"{k} {v}" for k, v in report["versions"].items())
    families = report["families"]
    candidates = list(families[0]["candidates"])
    lines = [
        "## Seconds per epoch and the compute floor",
        "",
        "Seconds per training epoch on 55,000 MNIST images for each chapter's model, under",
        "each setting, measured side by side in one process by `benchmarks/cpu_recipe.py` on",
        f"{report['machine']} ({versions}). In brackets: the multiple of the model's compute",
        "floor, its floating-point operations per epoch over the single-precision matrix",
        f"product rate measured in the same run ({report['sgemm_gflops']:.0f} GFLOP/s).",
        "",
        "| model | batch | " + " | ".join(candidates) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in candidates) + " |",
    ]
    for f in families:
        cells = [
            f"{c['seconds_per_epoch']:.2f} ({c['floor_multiple']:.1f}×)"
            for c in (f["candidates"][name] for name in candidates)
        ]
        lines.append(f"| {f['family']} | {f['batch']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _in_chart(row: Row) -> bool:
    """The chart shows MNIST reconstructions scored by BCE, and their reference lines."""
    return row.data == "MNIST" and row.loss == "bce" and row.task == "reconstruction"


def _chart_caption(table: Sequence[Mapping[str, Json]]) -> list[str]:
    left_out = sorted(
        {
            e["row"].model
            for e in table
            if e["row"].data == "MNIST" and e["row"].loss == "bce" and not _in_chart(e["row"])
        }
    )
    lines = [
        "Test BCE per pixel of the MNIST models trained with BCE (lower is better); the",
        "dashed line is the mean image, the dotted line the BCE of a perfect reconstruction",
        "(the floor no model can go below, since the pixels are grey, not black and white).",
    ]
    if left_out:
        lines.append(
            "Left out, because they solve another task and their BCE is not comparable: "
            + "; ".join(left_out)
            + "."
        )
    return lines


def render_chart(table: Sequence[Mapping[str, Json]]) -> str:
    """The chart as SVG text, deterministic for a given matplotlib version."""
    bars = [e for e in table if _in_chart(e["row"])]
    baseline = [e for e in bars if e["row"].baseline]
    floor = [e for e in bars if e["row"].floor]
    models = [e for e in bars if not (e["row"].baseline or e["row"].floor)]
    # Matplotlib's defaults, whatever style the calling process set (aebook.setup sets one).
    with (
        plt.style.context("default"),
        plt.rc_context({"svg.hashsalt": "aebook-results", "svg.fonttype": "none"}),
    ):
        fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(models) + 1.2))
        names = [e["row"].model for e in models]
        values = [e["loss"] for e in models]
        ax.barh(range(len(models)), values, color="0.45")
        for i, value in enumerate(values):
            ax.text(value, i, f" {value:.4f}", va="center", fontsize=8)
        for e in baseline:
            ax.axvline(e["loss"], color="0.2", linestyle="--", linewidth=1)
            ax.text(e["loss"], len(models) - 0.4, " mean image", fontsize=8, va="bottom")
        for e in floor:
            ax.axvline(e["loss"], color="0.2", linestyle=":", linewidth=1.2)
            ax.text(e["loss"], len(models) - 0.4, " floor", fontsize=8, va="bottom")
        ax.set_yticks(range(len(models)), names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("test BCE per pixel (MNIST)")
        ax.set_xlim(0, max(values + [e["loss"] for e in baseline]) * 1.18)
        ax.set_title("Test BCE of the book's MNIST autoencoders")
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        plt.close(fig)
    return buffer.getvalue()


def write(
    root: str | os.PathLike[str], check: bool = False, rows: Sequence[Row] | None = None
) -> bool:
    """Write (or with ``check``, compare) every generated page of the book.

    These are ``book/results.md`` and ``book/results.svg`` and, when ``rows`` is not
    given, the chapter tables between the ``generated`` markers of ``README.md``,
    ``book/index.md`` and ``book/teaching.md``, all from ``book/chapters.yml`` and the
    notebooks. Returns ``True`` when the files on disk are up to date (always, after
    writing). Every write is atomic.
    """
    base = Path(root)
    chapters = load_manifest(base) if rows is None else None
    if rows is None:
        assert chapters is not None
        rows = rows_of(chapters)
    table = collect(base / "notebooks", rows)
    page = render_markdown(table)
    measures = [m for c in chapters for m in c.measures] if chapters is not None else []
    if measures:
        page += "\n" + render_measures(collect_measures(base / "notebooks", measures))
    renderers = (
        (TIME_TO_TARGET, render_time_to_target),
        (CPU_RECIPE, render_cpu_recipe),
    )
    for path, render in renderers:
        if (base / path).is_file():
            page += "\n" + render(json.loads((base / path).read_text(encoding="utf-8")))
    for path in sorted((base / TIME_TO_TARGET.parent).glob(SEED_REPORTS)):
        try:
            page += "\n" + seedbench.render(json.loads(path.read_text(encoding="utf-8")))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"{path}: not a report of booktools.seedbench ({error!r}); re-make it by "
                "running its script in benchmarks/"
            ) from error
    wanted = {
        base / "book" / "results.md": page,
        base / "book" / "results.svg": render_chart(table),
    }
    if chapters is not None:
        blocks = {
            base / "README.md": [("chapters", chapter_table(chapters, base, link="readme"))],
            base / "book" / "index.md": [("chapters", chapter_table(chapters, base, link="book"))],
            base / "book" / "teaching.md": [("run times", teaching_table(chapters, base))],
        }
        for path, parts in blocks.items():
            text = path.read_text(encoding="utf-8")
            for name, content in parts:
                text = replace_generated(text, name, content, where=str(path))
            wanted[path] = text
    if check:
        return all(
            p.is_file() and p.read_text(encoding="utf-8") == text for p, text in wanted.items()
        )
    for path, text in wanted.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_text(path, text)
    return True


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booktools.results", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--root", default=".", help="the repository (default: .)")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    ok = write(args.root, check=args.check)
    if args.check and not ok:
        print(
            "a generated page is stale (results page, or the chapter tables of README.md, "
            "book/index.md, book/teaching.md): run `python -m booktools.results`"
        )
        return 1
    print(
        "generated pages up to date"
        if args.check
        else "wrote book/results.md, results.svg and the chapter tables"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main())
