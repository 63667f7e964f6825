"""A faster CPU recipe, found by measurement: seconds per epoch, side by side, in one process.

For each model family the book trains (chapter 2's 784-32-784 dense autoencoder, chapter 4's
deep one, chapter 5's strided convolutional one, chapter 6's denoiser, chapter 7's dense VAE),
built by the chapter's own code as ``time_to_target.py`` builds it and at the chapter's batch
size, this script trains the same model, on the same 55,000 MNIST images, under each
candidate setting, and reports the seconds per epoch (the median of the epochs after the
first, which includes tracing and compiling) and the multiple of the model's **compute
floor**: its floating-point operations per epoch (3 x 2 x multiply-adds per image x images:
forward, backward to the activations and to the weights) divided by the single-precision
matrix-product rate (SGEMM, NumPy's BLAS on 2048 x 2048 matrices) measured in the same run.

The candidates:

1. ``fit defaults``: ``compile`` and ``fit`` as a first tutorial writes them, the chapter's
   batch size;
2. ``steps_per_execution=32``: 32 batches per call into TensorFlow (what the chapters use);
3. ``+ tf.data, prefetch``: that, fed from a shuffled, batched, prefetched ``tf.data``
   pipeline instead of NumPy arrays (TensorFlow's threading settings cannot change inside
   one process once it has started, so they are not a candidate here);
4. ``+ batch x4``: candidate 2 with four times the batch (the learning rate would scale with
   it; this file times the epochs only: whether the model still reaches the same loss as
   soon is ``benchmarks/batch_size.py``'s question);
5. and 6. candidates 2 and 4 with XLA (``jit_compile=True``). Keras turns ``jit_compile``
   off while TensorFlow's op determinism is on, and ``aebook.setup`` turns it on so that
   chapters re-run to the same numbers; these two runs switch determinism off, to measure
   what that choice costs.

The order of candidates rotates between repeats so that machine noise hits all of them. This
is a benchmark, not a test; CI never runs it. From the repository's root, on an idle machine::

    AEBOOK_DATA=/path/to/data .venv/bin/python benchmarks/cpu_recipe.py [--repeats 2]

It writes ``benchmarks/results/cpu_recipe.json`` and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aebook  # noqa: E402

aebook.setup(seed=0)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402
from tensorflow.python.framework import config as tf_config  # noqa: E402  (no public switch-off)

sys.path.insert(0, str(ROOT / "benchmarks"))
from time_to_target import TASKS, build  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "cpu_recipe.json"


# --------------------------------------------------------------------------- models
@dataclass(frozen=True)
class Family:
    """A chapter's headline model, built by the chapter's own code (see time_to_target.py)."""

    key: str
    task: str  # the time-to-target task whose book model this is
    images: bool  # (28, 28, 1) inputs rather than 784-vectors

    def build(self, x: np.ndarray, seed: int = 0) -> tuple[keras.Model, int, bool]:
        """(model, the chapter's batch size, whether it is a VAE), initial weights from seed."""
        task = next(t for t in TASKS if t.key == self.task)
        model, _, batch, _ = build(task, "book", seed, x)
        return model, batch, task.vae


FAMILIES = [
    Family("dense 784-32-784 (ch. 2)", "ch2", False),
    Family("deep dense (ch. 4)", "ch4", False),
    Family("strided conv (ch. 5)", "ch5", True),
    Family("conv denoiser (ch. 6)", "ch6", True),
    Family("dense VAE (ch. 7)", "ch7", False),
]
CANDIDATES = {  # name: (steps_per_execution, jit_compile, batch multiple, tf.data pipeline)
    "fit defaults": (1, False, 1, False),
    "steps_per_execution=32": (32, False, 1, False),
    "+ tf.data, prefetch": (32, False, 1, True),
    "+ batch x4": (32, False, 4, False),
    "XLA (determinism off)": (32, True, 1, False),
    "XLA + batch x4 (det. off)": (32, True, 4, False),
}


# --------------------------------------------------------------------------- measures
def multiply_adds(model: keras.Model) -> int:
    """Multiply-adds of one image's forward pass through Dense and convolution layers."""
    total = 0
    for layer in _layers(model):
        if isinstance(layer, layers.Conv2DTranspose):  # counted at its input
            k1, k2 = layer.kernel.shape[:2]
            h, w = layer.input.shape[1:3]
            total += h * w * k1 * k2 * layer.input.shape[-1] * layer.output.shape[-1]
        elif isinstance(layer, layers.Conv2D):
            k1, k2 = layer.kernel.shape[:2]
            h, w = layer.output.shape[1:3]
            total += h * w * k1 * k2 * layer.input.shape[-1] * layer.output.shape[-1]
        elif isinstance(layer, layers.Dense):
            total += int(np.prod(layer.kernel.shape))
    return total


def _layers(model: keras.Model) -> list[keras.layers.Layer]:
    out = []
    for layer in model.layers:
        out += _layers(layer) if isinstance(layer, keras.Model) else [layer]
    if hasattr(model, "encoder") and hasattr(model, "decoder"):  # chapter 7's VAE
        out = _layers(model.encoder) + _layers(model.decoder)
    return out


def sgemm_gflops(n: int = 2048, repeats: int = 5) -> float:
    """The best of ``repeats`` float32 n x n matrix products, in GFLOP/s."""
    rng = np.random.default_rng(0)
    a, b = (rng.random((n, n), dtype=np.float32) for _ in range(2))
    a @ b  # warm-up
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class EpochTimes(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def epoch_seconds(family: Family, candidate: str, x: np.ndarray, epochs: int) -> float:
    steps, jit, multiple, pipeline = CANDIDATES[candidate]
    # Keras turns jit_compile off while TensorFlow's op determinism is on (aebook.setup turns
    # it on, for reproducible chapters): XLA can be timed only with determinism off.
    if jit:
        tf_config.disable_op_determinism()
    else:
        tf.config.experimental.enable_op_determinism()
    model, batch, is_vae = family.build(x)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=None if is_vae else "binary_crossentropy",
        steps_per_execution=steps,
        jit_compile=jit,
    )
    timer = EpochTimes()
    if pipeline:  # the arrays as a shuffled, batched, prefetched tf.data.Dataset
        data = (
            tf.data.Dataset.from_tensor_slices((x, x))
            .shuffle(len(x), seed=0)
            .batch(batch * multiple)
            .prefetch(tf.data.AUTOTUNE)
        )
        model.fit(data, epochs=epochs, verbose=0, callbacks=[timer])
    else:
        model.fit(x, x, epochs=epochs, batch_size=batch * multiple, verbose=0, callbacks=[timer])
    return statistics.median(timer.times[1:])


def quality(family: Family, epochs: int, seeds: list[int], data) -> dict:
    """Test BCE after ``epochs`` epochs of chapter 2's schedule, with and without XLA, paired
    by seed (same initial weights, same batches)."""
    (x, x_val, x_test) = data
    out: dict[str, list[float]] = {"without XLA": [], "with XLA": []}  # determinism off for XLA
    seconds: dict[str, list[float]] = {"without XLA": [], "with XLA": []}
    for seed in seeds:
        for name, jit in (("without XLA", False), ("with XLA", True)):
            if jit:
                tf_config.disable_op_determinism()
            else:
                tf.config.experimental.enable_op_determinism()
            model, batch, _ = family.build(x, seed)
            steps = -(-len(x) // batch)
            model.compile(
                optimizer=keras.optimizers.Adam(aebook.warmup_cosine(epochs, steps, peak=2e-3)),
                loss="binary_crossentropy",
                steps_per_execution=32,
                jit_compile=jit,
            )
            start = time.perf_counter()
            model.fit(x, x, epochs=epochs, batch_size=batch, verbose=0, shuffle=True)
            seconds[name].append(time.perf_counter() - start)
            out[name].append(aebook.bce(x_test, model.predict(x_test, batch_size=1024, verbose=0)))
    diffs = [b - a for a, b in zip(out["without XLA"], out["with XLA"], strict=True)]
    n = len(diffs)
    se = statistics.stdev(diffs) / n**0.5 if n > 1 else float("nan")
    return {
        "family": family.key,
        "epochs": epochs,
        "seeds": seeds,
        "test_bce": out,
        "seconds": seconds,
        "paired_difference_mean": statistics.mean(diffs),
        "paired_difference_se": se,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3, help="per run; the first is not timed")
    parser.add_argument("--families", default="", help="comma-separated prefixes, e.g. dense,deep")
    parser.add_argument(
        "--quality",
        metavar="EPOCHS",
        type=int,
        help="instead: test BCE with and without XLA after EPOCHS epochs, seeds 0, 1, 2",
    )
    args = parser.parse_args()
    if args.quality:
        (x_train, _), _, (x_test, _) = aebook.load_splits("mnist")
        for family in FAMILIES:
            if args.families and not family.key.startswith(tuple(args.families.split(","))):
                continue
            if family.task == "ch7":
                continue  # its loss is not BCE; XLA changes rounding, not the algorithm
            shape = (-1, 28, 28, 1) if family.images else (-1, 784)
            data = (x_train.reshape(shape), None, x_test.reshape(shape))
            row = quality(family, args.quality, [0, 1, 2], data)
            path = OUT.with_name(f"cpu_recipe_quality_{family.task}.json")
            path.write_text(json.dumps(row, indent=1) + "\n", encoding="utf-8")
            print(json.dumps(row), flush=True)
        return

    (x_train, _), _, _ = aebook.load_splits("mnist")
    x_img = x_train.reshape(-1, 28, 28, 1)
    chosen = [
        f
        for f in FAMILIES
        if not args.families or f.key.startswith(tuple(args.families.split(",")))
    ]
    rates = [sgemm_gflops()]
    results = []
    for family in chosen:
        x = x_img if family.images else x_train
        model, batch, _ = family.build(x)
        flops = 3 * 2 * multiply_adds(model) * len(x)
        times: dict[str, list[float]] = {c: [] for c in CANDIDATES}
        names = list(CANDIDATES)
        for r in range(args.repeats):
            for c in names[r % len(names) :] + names[: r % len(names)]:
                times[c].append(epoch_seconds(family, c, x, args.epochs))
        rates.append(sgemm_gflops())
        row = {
            "family": family.key,
            "batch": batch,
            "gflop_per_epoch": flops / 1e9,
            "candidates": {},
        }
        for c, ts in times.items():
            row["candidates"][c] = {"seconds_per_epoch": statistics.median(ts), "runs": ts}
        results.append(row)
        print(
            f"{family.key}: "
            + ", ".join(f"{c} {statistics.median(ts):.2f} s" for c, ts in times.items()),
            flush=True,
        )

    sgemm = statistics.median(rates)
    for row in results:
        floor = row["gflop_per_epoch"] / sgemm
        row["floor_seconds"] = floor
        for c in row["candidates"].values():
            c["floor_multiple"] = c["seconds_per_epoch"] / floor
    report = {
        "what": "seconds per training epoch on 55,000 MNIST images; median of epochs 2..n over repeats",
        "sgemm_gflops": sgemm,
        "sgemm_runs": rates,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "versions": {p: metadata.version(p) for p in ("tensorflow", "keras", "numpy")},
        "families": results,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    tmp.replace(OUT)

    tf.config.experimental.enable_op_determinism()
    base = "fit defaults"
    print(
        f"\nSGEMM {sgemm:.0f} GFLOP/s; seconds per epoch (multiple of the compute floor; speed-up over {base})"
    )
    print(f"{'family':<26} {'floor s':>8} " + " ".join(f"{c:>24}" for c in CANDIDATES))
    for row in results:
        b = row["candidates"][base]["seconds_per_epoch"]
        cells = [
            f"{v['seconds_per_epoch']:.2f} ({v['floor_multiple']:.0f}x; {b / v['seconds_per_epoch']:.2f})"
            for v in row["candidates"].values()
        ]
        print(
            f"{row['family']:<26} {row['floor_seconds']:>8.2f} "
            + " ".join(f"{c:>24}" for c in cells)
        )


if __name__ == "__main__":
    main()
