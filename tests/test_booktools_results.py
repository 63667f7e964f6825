"""The results page: generated from the chapters' recorded numbers, and kept in sync."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from aebook.glue import GLUE_PREFIX
from booktools import manifest, results
from booktools.manifest import Measure
from booktools.results import (
    Row,
    collect,
    collect_measures,
    render_chart,
    render_markdown,
    render_measures,
    rows_of,
    write,
)

ROOT = Path(__file__).resolve().parents[1]


def test_committed_generated_pages_match_the_manifest_and_notebooks() -> None:
    assert write(ROOT, check=True), (
        "a generated page (book/results.md, book/results.svg, or the chapter tables of "
        "README.md, book/index.md, book/teaching.md) disagrees with book/chapters.yml or the "
        "notebooks: run `python -m booktools.results` and commit the result"
    )


def test_results_rows_come_from_the_manifest() -> None:
    chapters = manifest.load(ROOT)
    rows = rows_of(chapters)
    page = (ROOT / "book" / "results.md").read_text(encoding="utf-8")
    measures = [m for c in chapters for m in c.measures]
    for row in rows:
        assert f"{row.model} (ch. " in page, f"{row.model!r} is missing from book/results.md"
    for m in measures:
        assert f"| {m.method} | {m.metric} |" in page, f"{m.method!r} is missing"
    assert page.count("| {doc}`") == len(rows) + len(measures), (
        "the page has rows the manifest does not"
    )


# ------------------------------------------------------------------ synthetic notebooks
def _glue(name: str, value: object):
    return v4.new_output(
        "display_data",
        data={GLUE_PREFIX + "text/plain": repr(value)},
        metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}},
    )


def _write_chapter(folder: Path, stem: str, records: dict[str, object]) -> None:
    cell = v4.new_code_cell("aebook.record(...)")
    cell.outputs = [_glue(k, v) for k, v in records.items()]
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell("# Title"), cell]
    nbformat.write(nb, folder / f"{stem}.ipynb")


ROWS_SMALL = (
    Row("mean image", "01_a", "MNIST", "bce", "baseline_bce", None, None, "baseline_psnr",
        baseline=True),
    Row("model A", "02_b", "MNIST", "bce", "test_bce", seconds_key="train_seconds"),
    Row("linear", "02_b", "MNIST", "mse", "linear_mse", params_key=None, psnr_key=None),
    Row("vae", "03_c", "MNIST", "neg_elbo", "neg_elbo", psnr_key=None),
)  # fmt: skip


@pytest.fixture
def chapters(tmp_path: Path) -> Path:
    _write_chapter(tmp_path, "01_a", {"baseline_bce": 0.2625, "baseline_psnr": 11.86,
                                      "wall_time_s": 11.0})  # fmt: skip
    _write_chapter(
        tmp_path,
        "02_b",
        {"test_bce": 0.0928, "test_psnr": 20.75, "parameters": 50992, "code_size": 32,
         "train_seconds": 64.4, "linear_mse": 0.0169, "wall_time_s": 426.0},
    )  # fmt: skip
    _write_chapter(
        tmp_path,
        "03_c",
        {"neg_elbo": 155.49, "parameters": 404244, "code_size": 2, "wall_time_s": 269.0},
    )
    return tmp_path


def test_collect_and_render(chapters: Path) -> None:
    table = collect(chapters, ROWS_SMALL)
    assert [e["loss"] for e in table] == [0.2625, 0.0928, 0.0169, 155.49]
    page = render_markdown(table)
    assert page.startswith("# Results across the book\n")
    assert (
        "| {doc}`model A (ch. 2) <../notebooks/02_b>` | MNIST | 32 | 50,992 | BCE 0.0928 " in page
    )
    assert "| 20.8 | 64 | 7.1 |" in page
    assert (
        "| {doc}`mean image (ch. 1) <../notebooks/01_a>` | MNIST | – | – | BCE 0.2625 | 11.9 |"
        in page
    )
    assert (
        "| {doc}`linear (ch. 2) <../notebooks/02_b>` |" in page
        and "MSE 0.01690 | – | – | 7.1 |" in page
    )
    assert "−ELBO 155.5 nats" in page and "| 404,244 |" in page
    assert "```{figure} results.svg" in page


def test_floor_and_other_tasks(chapters: Path) -> None:
    _write_chapter(
        chapters,
        "04_d",
        {"floor": 0.0581, "floor_nats": 45.5, "denoised": 0.1036, "wall_time_s": 60.0},
    )
    rows = (
        *ROWS_SMALL,
        Row("perfect", "04_d", "MNIST", "bce", "floor", None, None, None, floor=True),
        Row("perfect, nats", "04_d", "MNIST", "neg_elbo", "floor_nats", None, None, None,
            floor=True),
        Row("denoiser", "04_d", "MNIST", "bce", "denoised", None, None, None, task="denoising"),
    )  # fmt: skip
    table = collect(chapters, rows)
    page = render_markdown(table)
    assert "| BCE 0.0581 |" in page and "| 45.5 nats |" in page  # a floor is not an ELBO
    assert "Left out, because they solve another task and their BCE is not comparable: " in page
    assert "denoiser." in page
    chart = render_chart(table)
    assert "model A" in chart and "floor" in chart and "mean image" in chart
    assert "denoiser" not in chart and "perfect" not in chart  # a line, not a bar
    plain = render_markdown(collect(chapters, ROWS_SMALL))
    assert "Left out" not in plain


def test_measures_table(chapters: Path) -> None:
    measures = (
        Measure("search", "AE codes", "precision@10", "p10", ".1%", notebook="02_b"),
        Measure("compression", "JPEG", "bits", "bits", ".0f", notebook="03_c"),
    )
    _write_chapter(chapters, "02_b", {"p10": 0.9123})
    _write_chapter(chapters, "03_c", {"bits": 611.4})
    page = render_measures(collect_measures(chapters, measures))
    assert page.startswith("## Other tasks")
    assert "| {doc}`search (ch. 2) <../notebooks/02_b>` | AE codes | precision@10 | 91.2% |" in page
    assert "| {doc}`compression (ch. 3) <../notebooks/03_c>` | JPEG | bits | 611 |" in page
    with pytest.raises(KeyError, match="records no 'p10'"):
        collect_measures(chapters, (Measure("t", "m", "x", "p10", notebook="03_c"),))
    with pytest.raises(FileNotFoundError, match="09_z.ipynb not found"):
        collect_measures(chapters, (Measure("t", "m", "x", "p10", notebook="09_z"),))


def test_chart_is_deterministic_svg(chapters: Path) -> None:
    import matplotlib.pyplot as plt

    table = collect(chapters, ROWS_SMALL)
    first = render_chart(table)
    with plt.rc_context({"font.size": 20, "axes.facecolor": "red"}):  # a caller's style
        second = render_chart(table)
    assert first == second
    assert first.lstrip().startswith("<?xml") and "<svg" in first
    assert "model A" in first and "mean image" in first


def test_missing_record_names_the_notebook_and_the_fix(chapters: Path) -> None:
    rows = (Row("model A", "02_b", "MNIST", "bce", "no_such_key"),)
    with pytest.raises(KeyError, match=r"02_b.ipynb records no 'no_such_key'.*booktools.execute"):
        collect(chapters, rows)


def test_missing_notebook_is_named(chapters: Path) -> None:
    rows = (Row("ghost", "09_ghost", "MNIST", "bce", "test_bce"),)
    with pytest.raises(FileNotFoundError, match="09_ghost.ipynb"):
        collect(chapters, rows)


def test_unknown_loss_kind_is_rejected(chapters: Path) -> None:
    rows = (Row("model A", "02_b", "MNIST", "accuracy", "test_bce"),)
    with pytest.raises(ValueError, match="unknown loss 'accuracy'"):
        collect(chapters, rows)


def test_check_reports_stale_pages(chapters: Path, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "book").mkdir(parents=True)
    (root / "notebooks").symlink_to(chapters, target_is_directory=True)
    assert not write(root, check=True, rows=ROWS_SMALL)  # nothing written yet
    assert write(root, rows=ROWS_SMALL)
    assert write(root, check=True, rows=ROWS_SMALL)
    page = root / "book" / "results.md"
    page.write_text(page.read_text(encoding="utf-8").replace("0.0928", "0.0900"))
    assert not write(root, check=True, rows=ROWS_SMALL)


# ------------------------------------------------------------------ time to target
def _run(recipe: str, seed: int, epochs: int, seconds: float, reached: bool = True) -> dict:
    return {"recipe": recipe, "seed": seed, "target": 0.093, "reached": reached,
            "epochs": epochs, "seconds": seconds}  # fmt: skip


REPORT = {
    "machine": "x86_64, 2 CPU cores",
    "versions": {"python": "3.11.7", "tensorflow": "2.21.0"},
    "tasks": [
        {
            "key": "ch2",
            "chapter": 2,
            "task": "a 32-number code",
            "seeds": [0, 1],
            "metric": "validation BCE",
            "target": 0.093,
            "reference_model": "dense 784-32-784",
            "book_model": "dense 784-32-784",
            "reference_recipe": "Adam 0.001 constant, batch 256, up to 50 epochs",
            "book_recipe": "Adam, warm-up and cosine, batch 512 (the chapter's 30-epoch run)",
            "reference_epochs": 34,
            "reference_seconds": 57.2,
            "reference_test": 0.0925,
            "book_epochs": 18,
            "book_seconds": 22.4,
            "book_test": 0.0921,
            "ratio": 0.392,
            "runs": [
                _run("reference", 0, 34, 57.2),
                _run("book", 0, 18, 22.4),
                _run("reference", 1, 36, 60.0),
                _run("book", 1, 30, 60.5, reached=False),
            ],
        }
    ],
}


def test_time_to_target_table() -> None:
    from booktools.results import render_time_to_target

    text = render_time_to_target(REPORT)
    assert "median over the seeds listed" in text and "tensorflow 2.21.0" in text
    row = (
        "| a 32-number code (2) | validation BCE ≤ 0.093 (book missed it on 1 of 2) "
        "| 0, 1 | 34, 57 | 18, 22 | 0.39 | 0.0925 | 0.0921 |"
    )
    assert row in text
    # every seed's outcome, the missed one marked
    assert "| a 32-number code (2) | 0 | 0.093 | 34, 57 | 18, 22 | 0.39 |" in text
    assert "| a 32-number code (2) | 1 | 0.093 | 36, 60 | 30, 60 (missed) | 1.01 |" in text
    assert "Not measured yet" not in text
    report = json.loads(json.dumps(REPORT))
    report["all_tasks"] = [{"key": "ch2", "chapter": 2, "task": "a 32-number code"},
                           {"key": "ch5", "chapter": 5, "task": "a conv code"}]  # fmt: skip
    assert "Not measured yet with the chapters' current code: a conv code (chapter 5)." in (
        render_time_to_target(report)
    )
    assert (
        "- a 32-number code (chapter 2): reference dense 784-32-784, Adam 0.001 constant, "
        "batch 256, up to 50 epochs; book dense 784-32-784, Adam, warm-up" in text
    )


CPU_REPORT = {
    "sgemm_gflops": 141.0,
    "machine": "x86_64, 2 CPU cores",
    "versions": {"tensorflow": "2.21.0"},
    "families": [
        {
            "family": "dense (ch. 2)",
            "batch": 256,
            "candidates": {
                "fit defaults": {"seconds_per_epoch": 1.24, "floor_multiple": 10.56},
                "XLA": {"seconds_per_epoch": 0.71, "floor_multiple": 6.01},
            },
        }
    ],
}


def test_cpu_recipe_table() -> None:
    from booktools.results import render_cpu_recipe

    text = render_cpu_recipe(CPU_REPORT)
    assert "| model | batch | fit defaults | XLA |" in text and "(141 GFLOP/s)" in text
    assert "| dense (ch. 2) | 256 | 1.24 (10.6×) | 0.71 (6.0×) |" in text


def _repo_with_benchmark(chapters: Path, tmp_path: Path, name: str, report: dict) -> Path:
    """A repository of the test chapters with one benchmark report; the report's path."""
    root = tmp_path / "repo"
    (root / "book").mkdir(parents=True)
    (root / "notebooks").symlink_to(chapters, target_is_directory=True)
    bench = root / "benchmarks" / "results" / name
    bench.parent.mkdir(parents=True)
    bench.write_text(json.dumps(report), encoding="utf-8")
    return bench


def test_results_page_shows_the_benchmark_and_goes_stale_with_it(chapters, tmp_path) -> None:
    bench = _repo_with_benchmark(chapters, tmp_path, "time_to_target.json", REPORT)
    root = tmp_path / "repo"
    assert write(root, rows=ROWS_SMALL)
    assert "## Time to target" in (root / "book" / "results.md").read_text(encoding="utf-8")
    changed = json.loads(json.dumps(REPORT))
    changed["tasks"][0]["book_seconds"] = 30.0
    bench.write_text(json.dumps(changed), encoding="utf-8")
    assert not write(root, check=True, rows=ROWS_SMALL)
    # the CPU recipe's table too
    assert write(root, rows=ROWS_SMALL)
    cpu = bench.with_name("cpu_recipe.json")
    cpu.write_text(json.dumps(CPU_REPORT), encoding="utf-8")
    assert not write(root, check=True, rows=ROWS_SMALL)
    assert write(root, rows=ROWS_SMALL)
    assert "## Seconds per epoch" in (root / "book" / "results.md").read_text(encoding="utf-8")


# Issue 27, item 14: a record that is not a number, named with its chapter.
@pytest.mark.parametrize(
    ("key", "value"),
    [("test_bce", "oops"), ("test_psnr", "high"), ("train_seconds", True), ("parameters", "n")],
)
def test_a_record_that_is_not_a_number_names_the_chapter_and_the_record(chapters, key, value):
    records = {"test_bce": 0.0928, "test_psnr": 20.75, "parameters": 50992, "code_size": 32,
               "train_seconds": 64.4, "linear_mse": 0.0169, "wall_time_s": 426.0}  # fmt: skip
    records[key] = value
    _write_chapter(chapters, "02_b", records)
    with pytest.raises(ValueError, match=rf"02_b.ipynb: record '{key}' is {value!r}.*number"):
        collect(chapters, ROWS_SMALL)


def test_a_measure_that_is_not_a_number_names_the_chapter_and_the_record(chapters):
    from booktools.manifest import Measure
    from booktools.results import collect_measures

    _write_chapter(chapters, "09_x", {"p10": "oops", "wall_time_s": 1.0})
    measure = Measure("search", "codes", "precision@10", "p10", notebook="09_x")
    with pytest.raises(ValueError, match=r"09_x.ipynb: record 'p10' is 'oops'.*number"):
        collect_measures(chapters, [measure])
    _write_chapter(chapters, "09_x", {"p10": float("nan"), "wall_time_s": 1.0})  # text 'nan'
    with pytest.raises(ValueError, match=r"09_x.ipynb: record 'p10' is 'nan', not a number"):
        collect_measures(chapters, [measure])
    with pytest.raises(ValueError, match=r"09_x.ipynb: record 'p10' is inf.*finite"):
        results._value({"p10": float("inf")}, "p10", "09_x.ipynb")  # JSON's Infinity


def test_a_seed_report_the_page_cannot_read_is_named(chapters, tmp_path) -> None:
    old_format = {"title": "old format", "pairs": []}
    bench = _repo_with_benchmark(chapters, tmp_path, "ch9_seeds.json", old_format)
    with pytest.raises(ValueError, match=r"ch9_seeds.json: not a report of booktools.seedbench"):
        write(bench.parents[2], rows=ROWS_SMALL)
