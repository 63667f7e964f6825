"""The time-to-target benchmark's bookkeeping, without training anything.

The benchmark itself never runs in the tests (it takes tens of minutes); these check the parts
that decide what it reports: when a run stops, and how runs become a summary row.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location(
        "time_to_target", ROOT / "benchmarks" / "time_to_target.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["time_to_target"] = module  # dataclasses look their module up here
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["time_to_target"]


def _epochs(bench, monkeypatch, stop, losses, seconds):
    """Feed StopAt epochs with these val losses, ending at these times; epochs run."""
    stop.set_model(SimpleNamespace(stop_training=False))
    clock = iter([0.0, *seconds])
    monkeypatch.setattr(bench.time, "perf_counter", lambda: next(clock))
    stop.on_train_begin()
    for epoch, loss in enumerate(losses):
        stop.on_epoch_end(epoch, {"val_loss": loss})
        if stop.model.stop_training:
            return epoch + 1
    return len(losses)


def test_stop_at_target(bench, monkeypatch):
    stop = bench.StopAt(0.1)
    assert _epochs(bench, monkeypatch, stop, [0.3, 0.2, 0.1, 0.05], [1, 2, 3, 4]) == 3
    assert stop.reached_at == 3 and stop.val == [0.3, 0.2, 0.1]


def test_stop_at_time_limit_counts_as_not_reached(bench, monkeypatch):
    stop = bench.StopAt(0.1, time_limit=2.5)
    assert _epochs(bench, monkeypatch, stop, [0.3, 0.2, 0.15, 0.05], [1, 2, 3, 4]) == 3
    assert stop.reached_at is None and stop.seconds == [1, 2, 3]


def test_stop_at_without_target_runs_every_epoch(bench, monkeypatch):
    stop = bench.StopAt(None)
    assert _epochs(bench, monkeypatch, stop, [0.3, 0.2, 0.1], [1, 2, 3]) == 3
    assert stop.reached_at is None


def test_summary_is_the_median_over_seeds(bench):
    task = next(t for t in bench.TASKS if t.key == "ch8")
    runs = []
    for seed, (ref_s, book_s, reached) in enumerate(
        [(30, 10, True), (32, 33, False), (34, 12, True)]
    ):
        common = {"seed": seed, "target": 0.28, "test": 0.281, "schedule_epochs": 12}
        runs.append(
            common
            | {"recipe": "reference", "reached": True, "epochs": 20, "seconds": ref_s,
               "target_source": "x", "description": "Adam 0.001 constant, batch 256"}
        )  # fmt: skip
        runs.append(
            common
            | {"recipe": "book", "reached": reached, "epochs": 9, "seconds": book_s,
               "description": "Adam, warm-up"}
        )  # fmt: skip
    row = bench.summary(task, runs)
    assert row["seeds"] == [0, 1, 2]
    assert row["reference_seconds"] == 32 and row["book_seconds"] == 12
    assert row["ratio"] == round(12 / 32, 3)
    assert row["all_reached"] is False
    assert row["book_recipe"] == "Adam, warm-up (the chapter's 12-epoch run)"
    assert row["fingerprint"] == task.fingerprint()


def test_the_book_side_builds_the_chapters_own_model_and_optimiser(bench):
    """Each task's book side runs its chapter's code: the model has the parameter count the
    chapter recorded for it, and the optimiser is the chapter's schedule."""
    import numpy as np

    from booktools.records import read_records

    recorded_as = {"ch5": "parameters_modern"}  # the others record it as "parameters"
    for task in bench.TASKS:
        shape = (8, 28, 28, 1) if task.data in ("images", "noisy") else (8, 784)
        model, optimizer, batch, space = bench.build(task, "book", 0, np.zeros(shape, "float32"))
        assert batch == space["BATCH_SIZE"]
        described = bench.describe(optimizer, batch, task.steps_per_execution(), 1)
        assert "warm-up" in described and "CosineDecay" in described, (task.key, described)
        # a VAE is built on its first call; its encoder and decoder are built already
        parts = [model.encoder, model.decoder] if task.vae else [model]
        records = read_records(ROOT / "notebooks" / task.notebook)
        recorded = records[recorded_as.get(task.key, "parameters")]
        assert sum(part.count_params() for part in parts) == recorded, task.key
    ch5 = next(t for t in bench.TASKS if t.key == "ch5")
    assert ch5.book.model == "build_modern()" and ch5.reference.model == "build_conv()"


def test_results_are_not_stale_against_the_chapters(bench):
    """The committed results were made with each chapter's current recipe: when a chapter's
    model, optimiser, batch size or steps_per_execution changes, re-run the benchmark. A task
    not measured yet is named as such on the results page (see test_booktools_results)."""
    import json

    report = json.loads((ROOT / "benchmarks" / "results" / "time_to_target.json").read_text())
    assert [t["key"] for t in report["all_tasks"]] == [t.key for t in bench.TASKS]
    stored = {t["key"]: t for t in report["tasks"]}
    assert stored, "no task measured"
    for task in (t for t in bench.TASKS if t.key in stored):
        assert stored[task.key]["fingerprint"] == task.fingerprint(), (
            f"{task.key}: chapter {task.chapter}'s recipe changed since "
            "benchmarks/results/time_to_target.json was made: run "
            f"`python benchmarks/time_to_target.py --tasks {task.key} --merge`"
        )
        assert len(stored[task.key]["seeds"]) >= 3, f"{task.key}: fewer than three seeds"


def test_a_chapter_change_makes_the_results_stale(bench, monkeypatch):
    task = bench.TASKS[0]
    before = task.fingerprint()
    source = task.source()
    monkeypatch.setattr(type(task), "source", lambda self: source.replace("256", "512"))
    assert task.fingerprint() != before


def test_a_scaled_batch_keeps_the_schedule_in_epochs(bench):
    import numpy as np

    task = next(t for t in bench.TASKS if t.key == "ch2")
    x = np.zeros((55_000, 784), "float32")
    _, optimizer, batch, space = bench.build(task, "book", 0, x)
    new, new_batch = bench.scaled(optimizer, len(x), batch, 4, 2.0)
    old_config = optimizer.get_config()["learning_rate"]["config"]
    config = new.get_config()["learning_rate"]["config"]
    assert new_batch == 4 * batch and type(new) is type(optimizer)
    assert config["warmup_target"] == 2 * old_config["warmup_target"]
    assert config["alpha"] == old_config["alpha"]
    steps = -(-len(x) // new_batch)
    assert config["warmup_steps"] == steps  # still one epoch
    assert config["warmup_steps"] + config["decay_steps"] == space["EPOCHS"] * steps


SEED_SCRIPTS = sorted((ROOT / "benchmarks").glob("ch*_seeds.py"))


def _script(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # light: TensorFlow is imported only when it runs
    return module


def test_every_seed_benchmark_has_its_results() -> None:
    assert SEED_SCRIPTS, "benchmarks/ holds no paired-seed benchmark"
    made = {p.stem for p in (ROOT / "benchmarks" / "results").glob("*_seeds.json")}
    assert made == {p.stem for p in SEED_SCRIPTS}, (
        "a seed benchmark without results, or results without a script"
    )


@pytest.mark.parametrize("path", SEED_SCRIPTS, ids=lambda p: p.stem)
def test_seed_results_are_fresh_and_carry_the_chapters_claims(path: Path) -> None:
    """Each benchmark's results were made with its chapter's current code and arms, from three
    seeds or more, and support every direction the chapter states of them (booktools.seedbench:
    more than two standard errors of the paired difference; beyond three SDs where it says the
    gap exceeds the spread between seeds)."""
    import json

    from booktools.seedbench import check_claims

    bench = _script(path).BENCHMARK
    report = json.loads(bench.out.read_text(encoding="utf-8"))
    assert report["fingerprint"] == bench.fingerprint(), (
        f"the chapter's code or the arms changed since {bench.out.name} was made: run "
        f"`python {bench.script}`"
    )
    assert len(report["seeds"]) >= 3
    stated = [(p.a.label, p.b.label, p.metric, p.claim, p.beyond_spread) for p in bench.pairs]
    stored = [
        (p["a"], p["b"], p["metric"], p["claim"], p["beyond_spread"]) for p in report["pairs"]
    ]
    assert stored == stated, f"{bench.out.name} holds other pairs or claims than {bench.script}"
    assert check_claims(report) == []
