"""Chapter 5's seed spread: its two comparisons of networks, paired over three seeds.

Chapter 5 compares two pairs of networks trained with the same recipe for the same epochs:

1. the Keras blog's max-pooling autoencoder against the strided one (both 4,385 parameters,
   both a 4x4x8 code), which decides whether learned down- and upsampling wins;
2. a convolutional encoder with a dense 32-number bottleneck against the dense
   784-128-32-128-784 autoencoder, which decides whether convolutions buy a better code.

A convolutional model costs tens of seconds per epoch on the book's 2-core CPU, too much to
train six of them more than once inside the chapter. This script does it here: for each seed
it builds both models of a pair from that seed (``keras.utils.set_random_seed`` before
each model) and trains them with the chapter's recipe. The chapter itself seeds once, through
``aebook.setup``, so its own run is none of these seeds' runs. Nothing is
copied: the model builders and the recipe (``EPOCHS``, ``BATCH_SIZE``, ``PEAK``, trained with
``aebook.train``) are the chapter's own code, taken from its notebook by
:mod:`booktools.chapter_code`, and the results store a fingerprint of that code, so a test
fails when the chapter's recipe changes and the results were not re-made.

Reported per pair: each seed's test BCE (and validation BCE, and seconds) for both models,
their means and standard deviations over seeds, and the mean paired difference with its
standard error. This is a benchmark, not a test (about
nine minutes on 2 cores); CI never runs it. From the repository's root::

    AEBOOK_DATA=/path/to/data python benchmarks/ch5_seeds.py [--seeds 0,1,2]

It writes ``benchmarks/results/ch5_seeds.json``; ``python -m booktools.results`` shows it on
the results page.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from booktools.chapter_code import definitions, fingerprint  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "05_convolutional.ipynb"
OUT = ROOT / "benchmarks" / "results" / "ch5_seeds.json"
#: The chapter's definitions this script runs.
NAMES = ("build_conv", "build_modern", "build_conv_dense", "build_dense", "EPOCHS",
         "BATCH_SIZE", "PEAK")  # fmt: skip
#: (label, expression) of each pair's two arms, evaluated in the chapter's namespace; the
#: second arm is the one the chapter expects to be better (lower BCE).
PAIRS = (
    (("max-pooling + UpSampling2D, 4x4x8", "build_conv()"),
     ("strided + Conv2DTranspose, 4x4x8", "build_modern()")),
    (("dense 784-128-32-128-784", "build_dense(32)"),
     ("conv encoder + Dense(32) bottleneck", "build_conv_dense(32)")),
)  # fmt: skip


def source() -> str:
    """The chapter's code this script runs."""
    return definitions(NOTEBOOK, NAMES)


def code_fingerprint() -> str:
    """Names the chapter code and the pairs: the results are stale when it changes."""
    return fingerprint(source(), repr(PAIRS))


def spread(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), sd


def summarise(runs: list[dict]) -> dict:
    """Means, standard deviations over seeds and the paired difference (a - b) with its SE."""
    a, b = [r["a_test"] for r in runs], [r["b_test"] for r in runs]
    (a_mean, a_sd), (b_mean, b_sd) = spread(a), spread(b)
    diff_mean, diff_sd = spread([x - y for x, y in zip(a, b, strict=True)])
    return {
        "a_mean": a_mean, "a_sd": a_sd, "b_mean": b_mean, "b_sd": b_sd,
        "diff_mean": diff_mean, "diff_se": diff_sd / math.sqrt(len(runs)),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated (default 0,1,2)")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]

    import aebook  # lazy: the tests import this module without TensorFlow

    aebook.setup(seed=0)  # quiet TensorFlow, deterministic ops; each run reseeds below
    import keras  # lazy: after aebook.setup()
    from keras import layers

    (x_train, _), (x_val, _), (x_test, _) = aebook.load_splits("mnist", images=True)
    space: dict = {"keras": keras, "layers": layers, "aebook": aebook}
    exec(compile(source(), NOTEBOOK.name, "exec"), space)

    def one(expression: str, seed: int) -> tuple[float, float, float]:
        keras.utils.set_random_seed(seed)
        model = eval(expression, space)
        history, seconds = aebook.train(
            model, x_train, epochs=space["EPOCHS"], validation=x_val,
            batch_size=space["BATCH_SIZE"], peak=space["PEAK"],
        )  # fmt: skip
        test = aebook.bce(x_test, model.predict(x_test, batch_size=512, verbose=0))
        return test, float(history.history["val_loss"][-1]), seconds

    start = time.perf_counter()
    pairs = []
    for (a_label, a_expr), (b_label, b_expr) in PAIRS:
        runs = []
        for seed in seeds:
            a_test, a_val, a_s = one(a_expr, seed)
            b_test, b_val, b_s = one(b_expr, seed)
            runs.append({
                "seed": seed, "a_test": a_test, "b_test": b_test, "a_val": a_val,
                "b_val": b_val, "a_seconds": round(a_s, 1), "b_seconds": round(b_s, 1),
            })  # fmt: skip
            print(f"{a_label} / {b_label}, seed {seed}: {a_test:.4f} / {b_test:.4f}", flush=True)
        pairs.append({"a": a_label, "b": b_label, "runs": runs, **summarise(runs)})
    report = {
        "script": "benchmarks/ch5_seeds.py",
        "machine": f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} CPU cores",
        "versions": {p: metadata.version(p) for p in ("tensorflow", "keras", "numpy")},
        "epochs": space["EPOCHS"],
        "seeds": seeds,
        "wall_seconds": round(time.perf_counter() - start),
        "fingerprint": code_fingerprint(),
        "pairs": pairs,
    }
    OUT.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
