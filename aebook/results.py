"""The book's results page, generated from the numbers the chapters recorded.

Every number on ``book/results.md`` (and in its chart, ``book/results.svg``) is read with
:func:`aebook.read_records` from the executed notebooks; nothing is typed by hand. After
re-executing a chapter, regenerate the page::

    python -m aebook.results          # writes book/results.md and book/results.svg
    python -m aebook.results --check  # exit 1 if the committed page is stale

``tests/test_results.py`` fails when the committed page and the notebooks disagree.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import write_text
from .record import read_records

__all__ = ["ROWS", "Row", "collect", "render_chart", "render_markdown", "write"]


@dataclass(frozen=True)
class Row:
    """One model of the book and where its numbers are recorded.

    Each ``*_key`` names a value recorded in ``notebook``; ``None`` means the column does
    not apply to this model (shown as a dash). ``loss`` is ``"bce"``, ``"mse"`` or
    ``"neg_elbo"`` and says what ``loss_key`` measures.
    """

    model: str
    notebook: str
    data: str
    loss: str
    loss_key: str
    code_key: str | None = "code_size"
    params_key: str | None = "parameters"
    psnr_key: str | None = "test_psnr"
    seconds_key: str | None = None
    baseline: bool = False


#: The models of the book, in reading order.
ROWS: tuple[Row, ...] = (
    Row(
        "mean image (baseline)",
        "01_introduction",
        "MNIST",
        "bce",
        "baseline_bce",
        None,
        None,
        "baseline_psnr",
        baseline=True,
    ),
    Row(
        "undercomplete, 784-32-784",
        "02_undercomplete",
        "MNIST",
        "bce",
        "test_bce",
        seconds_key="train_seconds",
    ),
    Row(
        "linear autoencoder",
        "02_undercomplete",
        "MNIST",
        "mse",
        "linear_ae_mse",
        params_key="linear_parameters",
        psnr_key=None,
        seconds_key="linear_seconds",
    ),
    Row(
        "PCA, 32 components",
        "02_undercomplete",
        "MNIST",
        "mse",
        "pca_mse",
        params_key=None,
        psnr_key=None,
    ),
    Row(
        "sparse (L1 on the code)",
        "03_sparse",
        "MNIST",
        "bce",
        "test_bce",
        seconds_key="train_seconds",
    ),
    Row("deep, 784-128-64-32", "04_deep", "MNIST", "bce", "test_bce", seconds_key="deep_seconds"),
    Row(
        "convolutional, upsampling",
        "05_convolutional",
        "MNIST",
        "bce",
        "test_bce",
        seconds_key="conv_seconds",
    ),
    Row(
        "convolutional, Conv2DTranspose",
        "05_convolutional",
        "MNIST",
        "bce",
        "test_bce_transpose",
        params_key="parameters_transpose",
        psnr_key="test_psnr_transpose",
        seconds_key="transpose_seconds",
    ),
    Row(
        "denoising (noise 0.5 in, clean out)",
        "06_denoising",
        "MNIST",
        "bce",
        "test_bce",
        psnr_key="psnr_denoised",
        seconds_key="denoiser_seconds",
    ),
    Row(
        "VAE, 2-D code",
        "07_variational",
        "MNIST",
        "neg_elbo",
        "test_neg_elbo",
        psnr_key=None,
        seconds_key="train_seconds",
    ),
    Row(
        "mean image (baseline)",
        "01_introduction",
        "Fashion-MNIST",
        "bce",
        "fashion_baseline_bce",
        None,
        None,
        None,
        baseline=True,
    ),
    Row(
        "stacked 784-100-30 (for t-SNE)",
        "08_tsne",
        "Fashion-MNIST",
        "bce",
        "test_bce",
        seconds_key="ae_seconds",
    ),
)

_LOSS_TEXT = {"bce": "BCE {:.4f}", "mse": "MSE {:.5f}", "neg_elbo": "−ELBO {:.1f} nats"}
_DASH = "–"


def _value(records: Mapping[str, Any], key: str | None, where: str) -> Any:
    if key is None:
        return None
    if key not in records:
        raise KeyError(f"{where} records no {key!r}: re-execute it with `python -m aebook.execute`")
    return records[key]


def collect(notebooks: str | os.PathLike[str], rows: Sequence[Row] = ROWS) -> list[dict[str, Any]]:
    """The numbers of every row, read from the executed notebooks in ``notebooks``."""
    folder = Path(notebooks)
    cache: dict[str, dict[str, Any]] = {}
    table = []
    for row in rows:
        if row.loss not in _LOSS_TEXT:
            raise ValueError(f"unknown loss {row.loss!r} for {row.model!r}")
        path = folder / f"{row.notebook}.ipynb"
        if row.notebook not in cache:
            if not path.is_file():
                raise FileNotFoundError(f"{path} not found: the results table needs it")
            cache[row.notebook] = read_records(path)
        records = cache[row.notebook]
        where = path.name
        table.append(
            {
                "row": row,
                "loss": float(_value(records, row.loss_key, where)),
                "code": _value(records, row.code_key, where),
                "params": _value(records, row.params_key, where),
                "psnr": _value(records, row.psnr_key, where),
                "seconds": _value(records, row.seconds_key, where),
                "wall": float(_value(records, "wall_time_s", where)),
            }
        )
    return table


def _fmt(value: Any, spec: str) -> str:
    return _DASH if value is None else format(value, spec)


def render_markdown(table: Sequence[Mapping[str, Any]]) -> str:
    """The results page in MyST Markdown."""
    lines = [
        "# Results across the book",
        "",
        "% Generated by `python -m aebook.results` from the numbers the executed chapters",
        "% recorded. Do not edit by hand: re-execute the chapters and regenerate.",
        "",
        "One row per model of the book, each measured on the test set of its data set in the",
        "full profile on a 2-core CPU; each model links to its chapter. BCE is the binary",
        "cross-entropy per pixel, MSE the mean squared error per pixel, −ELBO the VAE's negative",
        "evidence lower bound in nats per image (a sum over pixels, so not comparable with the",
        "per-pixel BCE), PSNR the peak signal-to-noise ratio of the reconstructions, *weights*",
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
        loss = _LOSS_TEXT[row.loss].format(entry["loss"])
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
        "Test BCE per pixel of the MNIST models trained with BCE (lower is better); the",
        "dashed line is the mean image.",
        "```",
        "",
    ]
    return "\n".join(lines)


def render_chart(table: Sequence[Mapping[str, Any]]) -> str:
    """The chart as SVG text, deterministic for a given matplotlib version."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [e for e in table if e["row"].data == "MNIST" and e["row"].loss == "bce"]
    baseline = [e for e in bars if e["row"].baseline]
    models = [e for e in bars if not e["row"].baseline]
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


def write(root: str | os.PathLike[str], check: bool = False, rows: Sequence[Row] = ROWS) -> bool:
    """Write (or with ``check``, compare) ``book/results.md`` and ``book/results.svg``.

    Returns ``True`` when the files on disk are up to date (always, after writing).
    """
    base = Path(root)
    table = collect(base / "notebooks", rows)
    wanted = {
        base / "book" / "results.md": render_markdown(table),
        base / "book" / "results.svg": render_chart(table),
    }
    if check:
        return all(
            p.is_file() and p.read_text(encoding="utf-8") == text for p, text in wanted.items()
        )
    for path, text in wanted.items():
        write_text(path, text)
    return True


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aebook.results", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--root", default=".", help="the repository (default: .)")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    ok = write(args.root, check=args.check)
    if args.check and not ok:
        print("book/results.md or results.svg is stale: run `python -m aebook.results`")
        return 1
    print("results page up to date" if args.check else "wrote book/results.md, results.svg")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main())
