"""Hygiene of the committed chapters: structure, Colab cell, stamps, outputs, targets.

These tests read the notebook files; they execute nothing (nbval does that).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from aebook.execute import (
    BOOTSTRAP_TAG,
    BOOTSTRAP_TAGS,
    bootstrap_source,
    code_sha256,
    read_repository,
    stamp_of,
)
from aebook.record import read_records

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NB_IDS = [p.name for p in NOTEBOOKS]

#: Legacy Keras 1/2 and channels-first idioms that must not appear in the book.
LEGACY = re.compile(
    r"nb_epoch|border_mode|Convolution2D|activity_l1|Model\(\s*input\s*=|visualize_util"
    r"|image_dim_ordering|data_format\s*=\s*[\"']channels_first|from\s+keras\.layers\.core"
    r"|tf_keras|tf\.compat\.v1|keras\.backend\.set_image_data_format"
)

#: Sections every chapter has, in this order (the chapter skeleton; see README.md).
SKELETON = ["Learning objectives", "Set-up", "Discussion", "Exercises", "References"]

#: Headline numbers each chapter must record, and the targets the committed outputs meet.
RECORDED = {
    "01_introduction.ipynb": {"baseline_bce", "baseline_mse", "bce_floor", "wall_time_s"},
    "02_undercomplete.ipynb": {
        "test_bce",
        "baseline_bce",
        "linear_ae_mse",
        "pca_mse",
        "wall_time_s",
    },
    "03_sparse.ipynb": {
        "test_bce",
        "mean_activation",
        "mean_activation_plain",
        "baseline_bce",
        "wall_time_s",
    },
    "04_deep.ipynb": {
        "test_bce",
        "baseline_bce",
        "shallow_test_bce",
        "tied_test_bce",
        "deep_epochs",
        "wall_time_s",
    },
    "05_convolutional.ipynb": {
        "test_bce",
        "test_bce_transpose",
        "baseline_bce",
        "conv_epochs",
        "wall_time_s",
    },
    "06_denoising.ipynb": {
        "test_bce",
        "psnr_noisy",
        "psnr_denoised",
        "baseline_bce",
        "wall_time_s",
    },
    "07_variational.ipynb": {
        "test_neg_elbo",
        "test_kl",
        "baseline_nats",
        "fashion_neg_elbo",
        "fashion_kl",
        "wall_time_s",
    },
    "08_tsne.ipynb": {
        "test_bce",
        "baseline_bce",
        "tsne_codes_seconds",
        "tsne_pixels_seconds",
        "knn_acc_codes",
        "knn_acc_pixels",
        "knn_acc_pca",
        "trust_pixels",
        "trust_pca",
        "acc_pretrained",
        "acc_scratch",
        "wall_time_s",
    },
}


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("chapters", "sections", "parts"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []) + toc.get("chapters", []))
    return files


def test_there_are_chapters() -> None:
    assert len(NOTEBOOKS) >= 2


def test_toc_and_notebooks_agree() -> None:
    toc = _toc_files()
    for entry in toc:
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb", "")]
        assert any(c.is_file() for c in candidates), f"_toc.yml entry {entry!r} has no file"
    in_toc = {f"{e}.ipynb" for e in toc}
    for nb in NOTEBOOKS:
        assert f"notebooks/{nb.name}" in in_toc, f"{nb.name} is not in _toc.yml"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_title_kernel_and_skeleton(path: Path) -> None:
    nb = _load(path)
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown"
    assert re.match(r"# [^#\s]", _source(first)), "first cell must be the '# Title' heading"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    markdown = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    positions = []
    for section in SKELETON:
        match = re.search(rf"^(\*\*|##+ ){re.escape(section)}", markdown, flags=re.M)
        assert match, f"{path.name}: missing section {section!r}"
        positions.append(match.start())
    assert positions == sorted(positions), f"{path.name}: sections out of order {SKELETON}"
    assert len(re.findall(r"\*\*Exercise \d", markdown)) >= 3, "at least three exercises"
    assert len(re.findall(r"\{dropdown\} Solution", markdown)) >= 3, "solutions, hidden on the site"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_bootstrap_cell_follows_config(path: Path) -> None:
    url, branch = read_repository(ROOT / "_config.yml")
    expected = bootstrap_source(url, branch)
    code = [c for c in _load(path)["cells"] if c["cell_type"] == "code"]
    first = code[0]
    assert BOOTSTRAP_TAG in first["metadata"].get("tags", []), "first code cell: Colab set-up"
    assert first["metadata"]["tags"] == BOOTSTRAP_TAGS
    assert _source(first) == expected, "run `python -m aebook.execute` to re-sync it"
    assert f"git+{url}@{branch}" in expected
    code_lines = [ln for ln in _source(first).splitlines() if not ln.lstrip().startswith("#")]
    assert "tensorflow" not in "\n".join(code_lines).lower(), "never reinstall TensorFlow in Colab"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_setup_once_first_and_finish(path: Path) -> None:
    code = [_source(c) for c in _load(path)["cells"] if c["cell_type"] == "code"]
    joined = "\n".join(code)
    assert joined.count("aebook.setup(") == 1, "seed once, through the helper"
    setup_cell = next(i for i, src in enumerate(code) if "aebook.setup(" in src)
    assert setup_cell == 1, "aebook.setup comes right after the Colab cell"
    before = code[setup_cell].split("aebook.setup(")[0]
    assert not re.search(r"^\s*(import|from)\s+(keras|tensorflow)", before, flags=re.M), (
        "import Keras/TensorFlow after aebook.setup, which silences their start-up logs"
    )
    assert "run.finish()" in joined, "every chapter prints its wall time"
    assert "# NBVAL_CHECK_OUTPUT" in joined, "mark deterministic cells for nbval"
    assert "set_random_seed" not in joined, "seed once through aebook.setup"


@pytest.mark.parametrize(
    "path", [*NOTEBOOKS, *sorted((ROOT / "aebook").glob("*.py"))], ids=lambda p: p.name
)
def test_no_legacy_keras(path: Path) -> None:
    if path.suffix == ".ipynb":
        text = "\n".join(_source(c) for c in _load(path)["cells"] if c["cell_type"] == "code")
    else:
        text = path.read_text(encoding="utf-8")
    found = LEGACY.findall(text)
    assert not found, f"legacy Keras API in {path.name}: {found}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_committed_outputs_are_fresh_full_profile(path: Path) -> None:
    nb = _load(path)
    stamp = stamp_of(nb)
    assert stamp, f"{path.name} was not executed by `python -m aebook.execute`"
    assert stamp["profile"] == "full", f"{path.name} carries {stamp['profile']}-profile outputs"
    assert stamp["code_sha256"] == code_sha256(nb), (
        f"{path.name}: code changed since its outputs were produced; re-run "
        f"`python -m aebook.execute notebooks/{path.name}`"
    )
    assert stamp["wall_seconds"] > 0
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(code):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name}: code cell {i} has an error"
            if out["output_type"] == "stream":
                assert out["name"] != "stderr" or "Traceback" not in "".join(out["text"])
    assert all(c.get("outputs") for c in code[1:2]), "the set-up cell prints the banner"
    assert any("image/png" in o.get("data", {}) for c in code for o in c.get("outputs", [])), (
        f"{path.name} shows no figure"
    )
    banner = "".join(code[1]["outputs"][0].get("text", ""))
    assert "profile: full" in banner


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_recorded_numbers(path: Path) -> None:
    records = read_records(path)
    missing = RECORDED.get(path.name, {"wall_time_s"}) - set(records)
    assert not missing, f"{path.name} does not record {sorted(missing)}"


def test_chapter_targets_in_committed_outputs() -> None:
    intro = read_records(ROOT / "notebooks" / "01_introduction.ipynb")
    assert intro["bce_floor"] < intro["baseline_bce"]
    ch2 = read_records(ROOT / "notebooks" / "02_undercomplete.ipynb")
    assert ch2["test_bce"] <= 0.093, ch2["test_bce"]
    assert ch2["test_bce"] < ch2["baseline_bce"]
    assert abs(ch2["linear_ae_mse"] - ch2["pca_mse"]) <= 0.05 * ch2["pca_mse"]
    ch3 = read_records(ROOT / "notebooks" / "03_sparse.ipynb")
    assert ch3["test_bce"] <= 0.10, ch3["test_bce"]
    assert ch3["mean_activation_plain"] >= 3 * ch3["mean_activation"]
    ch4 = read_records(ROOT / "notebooks" / "04_deep.ipynb")
    assert ch4["test_bce"] <= 0.085, ch4["test_bce"]
    assert ch4["test_bce"] < ch4["shallow_test_bce"] < ch4["baseline_bce"]
    assert ch4["deep_epochs"] <= 100
    ch5 = read_records(ROOT / "notebooks" / "05_convolutional.ipynb")
    assert ch5["test_bce"] <= 0.095, ch5["test_bce"]
    assert ch5["test_bce_transpose"] < ch5["baseline_bce"]
    assert ch5["conv_epochs"] <= 50
    ch6 = read_records(ROOT / "notebooks" / "06_denoising.ipynb")
    assert ch6["test_bce"] < ch6["baseline_bce"]
    assert ch6["psnr_denoised"] >= ch6["psnr_noisy"] + 8, (ch6["psnr_noisy"], ch6["psnr_denoised"])
    ch7 = read_records(ROOT / "notebooks" / "07_variational.ipynb")
    assert ch7["test_neg_elbo"] < ch7["baseline_nats"], ch7["test_neg_elbo"]
    assert ch7["test_kl"] > 1.0 and ch7["fashion_kl"] > 1.0, "collapsed KL term"
    ch8 = read_records(ROOT / "notebooks" / "08_tsne.ipynb")
    assert ch8["test_bce"] < ch8["baseline_bce"]
    assert ch8["knn_acc_codes"] > ch8["knn_acc_pca"] >= 0.3, "t-SNE map of codes vs. PCA view"
    assert ch8["trust_pixels"] > ch8["trust_pca"]
    assert min(ch8["acc_pretrained"], ch8["acc_scratch"]) > 0.3
