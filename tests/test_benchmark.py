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
    b = next(x for x in bench.BENCHMARKS if x.key == "ch8")
    runs = []
    for seed, (ref_s, book_s, reached) in enumerate(
        [(30, 10, True), (32, 33, False), (34, 12, True)]
    ):
        runs.append(
            {
                "recipe": "reference",
                "seed": seed,
                "target": 0.28,
                "reached": True,
                "epochs": 20,
                "seconds": ref_s,
                "test": 0.281,
                "target_source": "x",
            }
        )
        runs.append(
            {
                "recipe": "book",
                "seed": seed,
                "target": 0.28,
                "reached": reached,
                "epochs": 9,
                "seconds": book_s,
                "test": 0.280,
            }
        )
    row = bench.summary(b, runs)
    assert row["seeds"] == [0, 1, 2]
    assert row["reference_seconds"] == 32 and row["book_seconds"] == 12
    assert row["ratio"] == round(12 / 32, 3)
    assert row["all_reached"] is False


def test_the_benchmark_times_the_chapters_own_models(bench):
    """Each benchmark model has the parameter count its chapter recorded for its headline
    model (the record ``parameters``): a model changed in one place and not the other fails.
    (A count can miss a change that keeps it, such as an activation; the recipes' epochs are
    checked against the chapters by the benchmark's own issue, not here.)"""
    from booktools import manifest
    from booktools.records import read_records

    chapters = {c.number: c for c in manifest.load(ROOT)}
    for b in bench.BENCHMARKS:
        chapter = chapters[b.chapter]
        recorded = read_records(ROOT / chapter.file)["parameters"]
        model = b.build(0)
        # a VAE model is built on first call; its encoder and decoder are built already
        parts = [model.encoder, model.decoder] if b.vae else [model]
        counted = sum(part.count_params() for part in parts)
        assert counted == recorded, (
            f"{b.key}: the benchmark's {b.model!r} has {counted:,} parameters, "
            f"chapter {b.chapter}'s model {recorded:,}"
        )
