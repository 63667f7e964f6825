"""Time to target: a constant learning rate against the book's recipe, for each headline model.

For each headline model of the book (ch. 2 undercomplete 784-32-784, ch. 4 deep
784-128-64-32, ch. 5 the Keras blog's convolutional autoencoder, ch. 6 the denoiser,
ch. 7 the 2-D VAE, ch. 8 the stacked SELU autoencoder) this script trains, in one process,
on the same data and from the same initial weights:

1. the **reference recipe**: Adam at Keras's default constant rate 0.001, a fixed number of
   epochs, and for the models the Keras blog post trains (chs. 2, 4, 5, 6) its batch size;
2. the **book's recipe**: Adam with a short linear warm-up to a higher peak rate followed by
   a cosine decay (``keras.optimizers.schedules.CosineDecay``), a batch size chosen per model
   (tried here: batch 512 reached worse losses than 256 for the dense ReLU models; for the
   convolutional model an epoch takes about as long at batch 64 as at 512 on a CPU, so the
   smaller batch, with more updates per epoch, wins), and ``steps_per_execution`` so that
   Keras runs several batches per call.

Each run stops at the first epoch whose validation metric (the last 5,000 training images;
never the test set) reaches the model's target: the chapter's own target where it has one
and the reference reaches it on the validation set, else the validation value the reference
recipe reaches in the chapter's epochs (the reference then trains that long). A book run
that has not reached the target when it has used as much time as the reference needed stops
there (it can no longer be faster) and counts as not reached. Reported per run: epochs,
seconds of ``fit`` (validation included), the test metric at that point. The two recipes
alternate (reference, book, reference, book, ...) so that machine noise hits both; the
summary is the median over seeds, and the ratio is book time / reference time. A model's
seeds are stored with it: ``--merge`` may re-run some models with other seeds.

This is a benchmark, not a test: it takes tens of minutes, and CI never runs it. Run it
from the repository's root on an otherwise idle machine::

    AEBOOK_DATA=/path/to/data python benchmarks/time_to_target.py            # all, 3 seeds
    python benchmarks/time_to_target.py --models ch2,ch5 --seeds 0           # a subset

It writes ``benchmarks/results/time_to_target.json`` (with the machine and the library
versions); ``python -m booktools.results`` turns that into the table on the results page.
"""

from __future__ import annotations

import argparse
import json
import math
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

aebook.setup(seed=0)  # quiet TensorFlow, deterministic ops; each run reseeds below

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers, ops  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "time_to_target.json"


# --------------------------------------------------------------------------- models
def undercomplete() -> keras.Model:
    inputs = keras.Input(shape=(784,))
    code = layers.Dense(32, activation="relu")(inputs)
    return keras.Model(inputs, layers.Dense(784, activation="sigmoid")(code))


def deep() -> keras.Model:
    inputs = keras.Input(shape=(784,))
    h = inputs
    for units in (128, 64, 32, 64, 128):
        h = layers.Dense(units, activation="relu")(h)
    return keras.Model(inputs, layers.Dense(784, activation="sigmoid")(h))


def convolutional() -> keras.Model:
    inputs = keras.Input(shape=(28, 28, 1))
    x = inputs
    for filters in (16, 8, 8):
        x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
        x = layers.MaxPooling2D(2, padding="same")(x)
    for filters, padding in ((8, "same"), (8, "same"), (16, "valid")):
        x = layers.Conv2D(filters, 3, activation="relu", padding=padding)(x)
        x = layers.UpSampling2D(2)(x)
    outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(inputs, outputs)


def denoiser() -> keras.Model:
    inputs = keras.Input(shape=(28, 28, 1))
    x = inputs
    for _ in range(2):
        x = layers.Conv2D(32, 3, activation="relu", padding="same")(x)
        x = layers.MaxPooling2D(2, padding="same")(x)
    for _ in range(2):
        x = layers.Conv2D(32, 3, activation="relu", padding="same")(x)
        x = layers.UpSampling2D(2)(x)
    outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(inputs, outputs)


def stacked_selu() -> keras.Model:
    selu = {"activation": "selu", "kernel_initializer": "lecun_normal"}
    inputs = keras.Input(shape=(784,))
    h = layers.Dense(100, **selu)(inputs)
    h = layers.Dense(30, **selu)(h)
    h = layers.Dense(100, **selu)(h)
    return keras.Model(inputs, layers.Dense(784, activation="sigmoid")(h))


class Sampling(layers.Layer):
    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps


class VAE(keras.Model):
    """Chapter 7's VAE: loss = summed pixel BCE + KL, in nats per image."""

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def call(self, x, training=False):
        return self.decoder(self.encoder(x, training=training)[2], training=training)

    def _loss(self, data, training):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        z_mean, z_log_var, z = self.encoder(x, training=training)
        x_hat = self.decoder(z, training=training)
        reconstruction = ops.sum(ops.binary_crossentropy(x, x_hat), axis=-1)
        kl = -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
        return reconstruction + kl

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss = self._loss(data, training=True)
            mean_loss = ops.mean(loss)
        grads = tape.gradient(mean_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        self.loss_tracker.update_state(self._loss(data, training=False))
        return {"loss": self.loss_tracker.result()}


def vae_2d(seed: int) -> keras.Model:
    inputs = keras.Input(shape=(784,))
    h = layers.Dense(256, activation="relu")(inputs)
    z_mean, z_log_var = layers.Dense(2)(h), layers.Dense(2)(h)
    z = Sampling(seed=seed)([z_mean, z_log_var])
    encoder = keras.Model(inputs, [z_mean, z_log_var, z])
    code = keras.Input(shape=(2,))
    h = layers.Dense(256, activation="relu")(code)
    decoder = keras.Model(code, layers.Dense(784, activation="sigmoid")(h))
    return VAE(encoder, decoder)


# --------------------------------------------------------------------------- recipes
@dataclass(frozen=True)
class Recipe:
    """How a model is trained: batch size, peak learning rate and its schedule."""

    name: str
    batch: int
    rate: float
    schedule: str = "constant"  # or "warmup-cosine"
    warmup_epochs: float = 0.0
    decay_epochs: int = 0  # the cosine's horizon, in epochs
    final_fraction: float = 0.0  # the rate at the end of the cosine, as a fraction of `rate`
    steps_per_execution: int = 1  # batches per call into the compiled graph

    def optimizer(self, steps_per_epoch: int) -> keras.optimizers.Optimizer:
        if self.schedule == "constant":
            return keras.optimizers.Adam(learning_rate=self.rate)
        warmup = max(1, round(self.warmup_epochs * steps_per_epoch))
        schedule = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=self.rate * 0.01,
            warmup_target=self.rate,
            warmup_steps=warmup,
            decay_steps=max(1, self.decay_epochs * steps_per_epoch - warmup),
            alpha=self.final_fraction,
        )
        return keras.optimizers.Adam(learning_rate=schedule)

    def describe(self) -> str:
        spe = (
            f", steps_per_execution {self.steps_per_execution}"
            if self.steps_per_execution > 1
            else ""
        )
        if self.schedule == "constant":
            return f"Adam {self.rate:g}, batch {self.batch}{spe}"
        return (
            f"Adam, {self.warmup_epochs:g}-epoch warm-up to {self.rate:g}, cosine to "
            f"{self.final_fraction:g}× over {self.decay_epochs} epochs, batch {self.batch}{spe}"
        )


@dataclass(frozen=True)
class Benchmark:
    key: str
    chapter: int
    model: str
    build: Callable[[int], keras.Model]
    data: str  # "flat", "images" or "noisy"
    metric: str  # what the validation loss measures
    target: float | None  # None: the reference's value after `budget` epochs
    budget: int  # the reference's epochs (the chapter's), and the cap for both recipes
    reference: Recipe
    book: Recipe
    vae: bool = False


BENCHMARKS = [
    Benchmark(
        "ch2", 2, "undercomplete 784-32-784", lambda s: undercomplete(), "flat",
        "validation BCE", 0.093, 50,
        Recipe("reference", 256, 1e-3),
        Recipe("book", 256, 3e-3, "warmup-cosine", 1, 25, 0.02, 32),
    ),
    Benchmark(
        "ch4", 4, "deep 784-128-64-32", lambda s: deep(), "flat",
        "validation BCE", 0.085, 100,
        Recipe("reference", 256, 1e-3),
        Recipe("book", 128, 2e-3, "warmup-cosine", 1, 40, 0.02, 32),
    ),
    Benchmark(
        "ch5", 5, "convolutional (Keras blog)", lambda s: convolutional(), "images",
        "validation BCE", 0.094, 50,
        Recipe("reference", 128, 1e-3),
        Recipe("book", 64, 2e-3, "warmup-cosine", 1, 20, 0.02, 32),
    ),
    Benchmark(
        "ch6", 6, "denoiser, 32 filters", lambda s: denoiser(), "noisy",
        "validation BCE, noisy to clean", None, 4,
        Recipe("reference", 128, 1e-3),
        Recipe("book", 64, 2e-3, "warmup-cosine", 0.2, 2, 0.05, 32),
    ),
    Benchmark(
        "ch7", 7, "VAE, 2-D code", vae_2d, "flat",
        "validation −ELBO (nats)", None, 25,
        Recipe("reference", 256, 1e-3),
        Recipe("book", 256, 5e-3, "warmup-cosine", 1, 15, 0.02, 32),
        vae=True,
    ),
    Benchmark(
        "ch8", 8, "stacked SELU 784-100-30 (Fashion-MNIST)", lambda s: stacked_selu(), "fashion",
        "validation BCE", None, 20,
        Recipe("reference", 256, 1e-3),
        Recipe("book", 256, 4e-3, "warmup-cosine", 1, 12, 0.02, 32),
    ),
]  # fmt: skip


# --------------------------------------------------------------------------- data
def load_data(kind: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Inputs and targets of the train, validation and test sets for ``kind``."""
    name = "fashion_mnist" if kind == "fashion" else "mnist"
    images = kind in ("images", "noisy")
    (x_train, _), (x_val, _), (x_test, _) = aebook.load_splits(name, images=images)
    if kind != "noisy":
        return {"train": (x_train, x_train), "val": (x_val, x_val), "test": (x_test, x_test)}
    return {  # chapter 6: fixed noisy copies (noise 0.5) in, clean images out
        "train": (aebook.add_noise(x_train, 0.5, seed=0), x_train),
        "val": (aebook.add_noise(x_val, 0.5, seed=1), x_val),
        "test": (aebook.add_noise(x_test, 0.5, seed=2), x_test),
    }


# --------------------------------------------------------------------------- one run
class StopAt(keras.callbacks.Callback):
    """Stop after the first epoch whose val_loss is at or below ``target``; time it.

    With ``time_limit`` (seconds), also stop after the first epoch that ends past it.
    """

    def __init__(self, target: float | None, time_limit: float | None = None):
        super().__init__()
        self.target = target
        self.time_limit = time_limit
        self.reached_at: int | None = None
        self.val: list[float] = []
        self.seconds: list[float] = []

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)
        value = float(logs["val_loss"])
        self.val.append(value)
        if self.target is not None and value <= self.target and self.reached_at is None:
            self.reached_at = epoch + 1
            self.model.stop_training = True
        elif self.time_limit is not None and self.seconds[-1] > self.time_limit:
            self.model.stop_training = True


def run(
    bench: Benchmark,
    recipe: Recipe,
    data,
    seed: int,
    target: float | None,
    time_limit: float | None = None,
) -> dict:
    keras.utils.set_random_seed(seed)  # same initial weights for both recipes
    model = bench.build(seed)
    x, y = data["train"]
    steps = math.ceil(len(x) / recipe.batch)
    spe = recipe.steps_per_execution
    if bench.vae:
        model.compile(optimizer=recipe.optimizer(steps), steps_per_execution=spe)
        fit_args, val = (x,), (data["val"][0],)
    else:
        model.compile(
            optimizer=recipe.optimizer(steps), loss="binary_crossentropy", steps_per_execution=spe
        )
        fit_args, val = (x, y), data["val"]
    stop = StopAt(target, time_limit)
    model.fit(
        *fit_args,
        epochs=bench.budget,
        batch_size=recipe.batch,
        shuffle=True,
        validation_data=val,
        verbose=0,
        callbacks=[stop],
    )
    x_test, y_test = data["test"]
    test = model.evaluate(x_test, None if bench.vae else y_test, batch_size=1024, verbose=0)
    test = float(test[0] if isinstance(test, list) else test)
    return {
        "recipe": recipe.name,
        "seed": seed,
        "target": target,
        "reached": stop.reached_at is not None,
        "epochs": stop.reached_at or len(stop.val),
        "seconds": round(stop.seconds[-1], 2),
        "final_val": round(stop.val[-1], 5),
        "test": round(test, 5),
    }


def summary(bench: Benchmark, runs: list[dict]) -> dict:
    def median(recipe: str, key: str) -> float:
        return statistics.median(r[key] for r in runs if r["recipe"] == recipe)

    ref_s, book_s = median("reference", "seconds"), median("book", "seconds")
    all_reached = all(r["reached"] for r in runs)
    return {
        "key": bench.key,
        "chapter": bench.chapter,
        "seeds": sorted({r["seed"] for r in runs}),
        "model": bench.model,
        "metric": bench.metric,
        "target": median("reference", "target"),
        "target_source": sorted({r["target_source"] for r in runs if "target_source" in r}),
        "reference_recipe": bench.reference.describe(),
        "book_recipe": bench.book.describe(),
        "reference_epochs": median("reference", "epochs"),
        "reference_seconds": ref_s,
        "reference_test": median("reference", "test"),
        "book_epochs": median("book", "epochs"),
        "book_seconds": book_s,
        "book_test": median("book", "test"),
        "ratio": round(book_s / ref_s, 3),
        "all_reached": all_reached,
        "runs": runs,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(b.key for b in BENCHMARKS))
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated (default 0,1,2)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other models of an existing --out file (made with the same versions)",
    )
    args = parser.parse_args(argv)
    keys = args.models.split(",")
    unknown = set(keys) - {b.key for b in BENCHMARKS}
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}")
    if aebook.is_smoke():
        parser.error("unset AEBOOK_SMOKE: the benchmark needs the full data")
    seeds = [int(s) for s in args.seeds.split(",")]
    started = time.perf_counter()
    results = []
    for bench in (b for b in BENCHMARKS if b.key in keys):
        data = load_data(bench.data)
        runs = []
        for seed in seeds:
            ref = run(bench, bench.reference, data, seed, bench.target)
            if bench.target is None or not ref["reached"]:
                # No chapter target, or one the reference does not reach on the validation
                # set (which is harder than the test set): the target is the validation value
                # the reference reaches in the chapter's epochs.
                ref["target_source"] = f"reference after {bench.budget} epochs"
                ref["target"] = ref["final_val"]
                ref["reached"] = True
            else:
                ref["target_source"] = "chapter"
            target = ref["target"]
            book = run(bench, bench.book, data, seed, target, time_limit=ref["seconds"])
            runs += [ref, book]
            print(
                f"{bench.key} seed {seed}: target {target:.4f} | reference "
                f"{ref['epochs']} ep {ref['seconds']:.0f} s test {ref['test']:.4f} | book "
                f"{book['epochs']} ep {book['seconds']:.0f} s test {book['test']:.4f}"
                f"{'' if book['reached'] else ' (NOT reached)'}",
                flush=True,
            )
        results.append(summary(bench, runs))
        print(f"{bench.key}: ratio {results[-1]['ratio']:.2f}", flush=True)
    report = {
        "script": "benchmarks/time_to_target.py",
        "machine": ", ".join(
            x
            for x in (platform.machine(), f"{os.cpu_count()} CPU cores", platform.processor())
            if x
        ),
        "versions": {
            "python": platform.python_version(),
            **{n: metadata.version(n) for n in ("tensorflow", "keras", "numpy")},
        },
        "wall_seconds": round(time.perf_counter() - started, 1),
        "models": results,
    }
    if args.merge and args.out.is_file():
        old = json.loads(args.out.read_text(encoding="utf-8"))
        if old["versions"] != report["versions"]:
            parser.error(f"--merge: {args.out} was made with other library versions")
        fresh = {m["key"]: m for m in results}
        order = [b.key for b in BENCHMARKS]
        merged = {m["key"]: m for m in old["models"]} | fresh
        report["models"] = [merged[k] for k in order if k in merged]
        report["wall_seconds"] = round(old["wall_seconds"] + report["wall_seconds"], 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    from booktools.atomic import write_text

    write_text(args.out, json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {args.out} in {report['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
