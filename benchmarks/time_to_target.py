"""Time to target for each headline task: a constant learning rate against the book's recipe.

A *task* is what a chapter's headline model is for, with a validation target (as DAWNBench
and MLPerf define time to target): chapter 2's 32-number dense code, chapter 4's deep model,
chapter 5's convolutional autoencoder, chapter 6's denoiser, chapter 7's 2-D VAE and
chapter 8's Fashion-MNIST model. For each task this script trains, in one process and on the
same data:

1. the **reference recipe**: the model the Keras blog post trains for that task where it
   trains one (for chapter 5 its max-pooling model), else the chapter's model, with Adam at
   Keras's default constant rate 0.001, the blog's batch size, and ``fit``'s defaults
   otherwise (one batch per call into the compiled graph);
2. the **book's recipe**: the model, optimiser, schedule, batch size and
   ``steps_per_execution`` the chapter teaches for its headline result (for chapter 5 the
   strided model). They are not copied here: the model builder and the optimiser are the
   chapter's own code, taken from its notebook by :mod:`booktools.chapter_code`, and the
   results store a fingerprint of that code, so a test fails when a chapter's recipe changes
   and the results were not re-made.

Each run stops at the first epoch whose validation metric (the last 5,000 training images;
never the test set) reaches the task's target: the chapter's own target where it has one and
the reference reaches it on the validation set, else the validation value the reference
recipe reaches in its budget of epochs (the reference then trains that long). The book's run
keeps its chapter's schedule (after the schedule's last epoch the rate stays at its final
value); a book run that has not reached the target when it has used as much time as the
reference needed stops there (it can no longer be faster) and counts as not reached. Both
recipes start from the same initial weights where they train the same model. Reported per
run: epochs, seconds of ``fit`` (validation included), the test metric at that point. The two
recipes alternate (reference, book, reference, book, ...) so that machine noise hits both;
the summary is the median over seeds, and the ratio is book time / reference time.

This is a benchmark, not a test: it takes about an hour, and CI never runs it. Run it from
the repository's root on an otherwise idle machine::

    AEBOOK_DATA=/path/to/data python benchmarks/time_to_target.py            # all, 3 seeds
    python benchmarks/time_to_target.py --tasks ch2,ch5 --seeds 0 --merge    # a subset

It writes ``benchmarks/results/time_to_target.json`` (with the machine and the library
versions); ``python -m booktools.results`` turns that into the table on the results page.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aebook  # noqa: E402

aebook.setup(seed=0)  # quiet TensorFlow, deterministic ops; each run reseeds below

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers, ops  # noqa: E402

from booktools.chapter_code import definitions, fingerprint  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "time_to_target.json"
NOTEBOOKS = ROOT / "notebooks"
ADAM_DEFAULT = "keras.optimizers.Adam(learning_rate=0.001)"


# --------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class Recipe:
    """How one side of a task trains: expressions evaluated in the chapter's namespace."""

    model: str  # builds the model, e.g. "build_modern()"
    optimizer: str  # builds the optimiser, e.g. "adam(COMPARE_EPOCHS)"
    batch: str  # the batch size, e.g. "BATCH_SIZE" or "128"
    label: str  # the model, as the table names it


@dataclass(frozen=True)
class Task:
    key: str
    chapter: int
    notebook: str
    task: str  # what the headline model is for
    names: tuple[str, ...]  # the chapter's definitions the recipes use
    data: str  # "flat", "images", "noisy" or "fashion"
    metric: str  # what the validation loss measures
    target: float | None  # the chapter's target; None: the reference's after `budget` epochs
    budget: int  # the reference's epochs, and the cap for both recipes
    book_epochs: str  # the chapter's epochs for its headline run (its schedule's length)
    reference: Recipe
    book: Recipe
    vae: bool = False

    def source(self) -> str:
        """The chapter's own code for the names this task uses."""
        return definitions(NOTEBOOKS / self.notebook, self.names)

    def steps_per_execution(self) -> int:
        """The chapter's ``steps_per_execution``: one value throughout the notebook (or in
        ``aebook.train``, for a chapter that trains with it)."""
        text = (NOTEBOOKS / self.notebook).read_text(encoding="utf-8")
        if "aebook.train(" in text and "steps_per_execution=" not in text:
            # the chapter trains with the library's aebook.train: its value is the library's
            text = (ROOT / "aebook" / "training.py").read_text(encoding="utf-8")
        values = set(re.findall(r"steps_per_execution=(\d+)", text))
        if len(values) != 1:
            raise ValueError(
                f"{self.notebook}: expected one steps_per_execution value, found "
                f"{sorted(values) or 'none'}; the benchmark times the chapter's"
            )
        return int(values.pop())

    def fingerprint(self) -> str:
        """Names the chapter code and the recipes: results are stale when it changes."""
        return fingerprint(
            self.source(), repr(self.reference), repr(self.book), self.book_epochs,
            str(self.steps_per_execution()), str(self.budget), repr(self.target),
        )  # fmt: skip


TASKS = [
    Task(
        "ch2", 2, "02_undercomplete.ipynb", "a 32-number code of a digit",
        ("CODE_SIZE", "build_autoencoder", "EPOCHS", "BATCH_SIZE", "STEPS_PER_EPOCH",
         "warmup_cosine", "adam"),
        "flat", "validation BCE", 0.093, 50, "EPOCHS",
        Recipe("build_autoencoder()", ADAM_DEFAULT, "256", "dense 784-32-784"),
        Recipe("build_autoencoder()", "adam(EPOCHS)", "BATCH_SIZE", "dense 784-32-784"),
    ),
    Task(
        "ch4", 4, "04_deep.ipynb", "a deep 32-number code",
        ("CODE_SIZE", "build_deep", "MAX_EPOCHS", "BATCH_SIZE", "STEPS_PER_EPOCH", "adam"),
        "flat", "validation BCE", 0.085, 100, "MAX_EPOCHS",
        Recipe("build_deep()", ADAM_DEFAULT, "256", "deep 784-128-64-32"),
        Recipe("build_deep()", "adam(MAX_EPOCHS)", "BATCH_SIZE", "deep 784-128-64-32"),
    ),
    Task(
        "ch5", 5, "05_convolutional.ipynb", "a convolutional 128-number code",
        ("build_conv", "build_modern", "EPOCHS", "BATCH_SIZE", "PEAK"),
        "images", "validation BCE", 0.094, 50, "EPOCHS",
        Recipe("build_conv()", ADAM_DEFAULT, "128", "max-pooling (Keras blog)"),
        Recipe("build_modern()",
               "keras.optimizers.Adam(learning_rate=aebook.warmup_cosine("
               "EPOCHS, -(-len(x_train) // BATCH_SIZE), peak=PEAK))",
               "BATCH_SIZE", "strided"),
    ),
    Task(
        "ch6", 6, "06_denoising.ipynb", "denoising digits (noise 0.5)",
        ("build_denoiser", "EPOCHS", "BATCH_SIZE", "PEAK"),
        "noisy", "validation BCE, noisy to clean", None, 5, "EPOCHS",
        Recipe("build_denoiser()", ADAM_DEFAULT, "128", "32-filter denoiser"),
        Recipe("build_denoiser()",
               "keras.optimizers.Adam(learning_rate=aebook.warmup_cosine("
               "EPOCHS, -(-len(x_train) // BATCH_SIZE), peak=PEAK))",
               "BATCH_SIZE", "32-filter denoiser"),
    ),
    Task(
        "ch7", 7, "07_variational.ipynb", "a 2-D VAE of digits",
        ("PIXELS", "EPOCHS", "BATCH_SIZE", "adam", "Sampling", "kl_per_dimension",
         "kl_divergence", "reconstruction_loss", "VAE", "build_vae"),
        "flat", "validation −ELBO (nats)", None, 25, "EPOCHS",
        Recipe("build_vae(latent_dim=2)", ADAM_DEFAULT, "256", "dense VAE, 2-D code"),
        Recipe("build_vae(latent_dim=2)", "adam(len(x_train), EPOCHS)", "BATCH_SIZE",
               "dense VAE, 2-D code"),
        vae=True,
    ),
    Task(
        "ch8", 8, "08_tsne.ipynb", "a 30-number code of Fashion-MNIST",
        ("CODE_SIZE", "build_encoder", "build_decoder", "encoder", "decoder", "inputs",
         "autoencoder", "EPOCHS", "BATCH_SIZE", "STEPS_PER_EPOCH", "schedule"),
        "fashion", "validation BCE", None, 20, "EPOCHS",
        Recipe("autoencoder", ADAM_DEFAULT, "256", "784-100-30, linear code"),
        Recipe("autoencoder", "keras.optimizers.Adam(learning_rate=schedule)", "BATCH_SIZE",
               "784-100-30, linear code"),
    ),
]  # fmt: skip


# --------------------------------------------------------------------------- data
def load_data(task: Task) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Inputs and targets of the train, validation and test sets for ``task``."""
    name = "fashion_mnist" if task.data == "fashion" else "mnist"
    images = task.data in ("images", "noisy")
    (x_train, _), (x_val, _), (x_test, _) = aebook.load_splits(name, images=images)
    if task.data != "noisy":
        return {"train": (x_train, x_train), "val": (x_val, x_val), "test": (x_test, x_test)}
    # the chapter's own noisy copies, made by its code with its seed
    names = ("NOISE", "x_train_noisy", "x_val_noisy", "x_test_noisy")
    space = namespace(0, x_train) | {"x_val": x_val, "x_test": x_test}
    exec(compile(definitions(NOTEBOOKS / task.notebook, names), task.notebook, "exec"), space)
    return {
        "train": (space["x_train_noisy"], x_train),
        "val": (space["x_val_noisy"], x_val),
        "test": (space["x_test_noisy"], x_test),
    }


def namespace(seed: int, x_train: np.ndarray) -> dict[str, object]:
    """What a chapter's code finds defined when its definitions run."""
    return {
        "keras": keras, "layers": layers, "ops": ops, "tf": tf, "np": np, "aebook": aebook,
        "time": time, "run": SimpleNamespace(seed=seed), "x_train": x_train,
    }  # fmt: skip


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


def describe(optimizer: keras.optimizers.Optimizer, batch: int, spe: int, steps: int) -> str:
    """A recipe in words, read from the optimiser the chapter's code built."""
    extra = f", steps_per_execution {spe}" if spe > 1 else ""
    rate = optimizer.get_config()["learning_rate"]
    name = type(optimizer).__name__
    if not isinstance(rate, dict):
        return f"{name} {float(rate):g} constant, batch {batch}{extra}"
    config = rate["config"]
    warmup = config.get("warmup_steps", 0) / steps
    end = (config.get("warmup_steps", 0) + config["decay_steps"]) / steps
    peak = config.get("warmup_target") or config["initial_learning_rate"]
    return (
        f"{name}, {warmup:g}-epoch warm-up from {config['initial_learning_rate']:g} to "
        f"{peak:g}, {rate['class_name']} to {config['alpha']:g}× by epoch {end:g}, "
        f"batch {batch}{extra}"
    )


def build(task: Task, side: str, seed: int, x_train: np.ndarray):
    """The model, optimiser and batch size of one side of ``task``, from the chapter's code.

    Returns ``(model, optimizer, batch, namespace)``; the seed is set first, so the same seed
    gives the same initial weights to both sides where they train the same model.
    """
    recipe = task.reference if side == "reference" else task.book
    keras.utils.set_random_seed(seed)
    space = namespace(seed, x_train)
    exec(compile(task.source(), task.notebook, "exec"), space)
    model = eval(recipe.model, space)
    optimizer = eval(recipe.optimizer, space)
    return model, optimizer, int(eval(recipe.batch, space)), space


def scaled(optimizer, n: int, batch: int, batch_multiple: int, rate_multiple: float):
    """The chapter's warm-up and cosine schedule for ``batch_multiple`` times its batch.

    Same epochs of warm-up and decay, same final fraction; the peak rate times
    ``rate_multiple`` (2 for the square-root rule at a 4 times larger batch, 4 for the
    linear rule). Returns ``(optimizer, batch)``. Used by ``benchmarks/batch_size.py``.
    """
    config = optimizer.get_config()["learning_rate"]["config"]
    steps = math.ceil(n / batch)
    warmup_epochs = round(config["warmup_steps"] / steps)
    epochs = round((config["warmup_steps"] + config["decay_steps"]) / steps)
    new_batch = batch * batch_multiple
    schedule = aebook.warmup_cosine(
        epochs, math.ceil(n / new_batch), peak=config["warmup_target"] * rate_multiple,
        warmup_epochs=warmup_epochs, final_fraction=config["alpha"],
    )  # fmt: skip
    return type(optimizer)(learning_rate=schedule), new_batch


def run(task: Task, side: str, data, seed: int, target: float | None,
        time_limit: float | None = None, batch_multiple: int = 1,
        rate_multiple: float = 1.0) -> dict:  # fmt: skip
    x, y = data["train"]
    model, optimizer, batch, space = build(task, side, seed, x)
    if (batch_multiple, rate_multiple) != (1, 1.0):
        optimizer, batch = scaled(optimizer, len(x), batch, batch_multiple, rate_multiple)
    spe = task.steps_per_execution() if side == "book" else 1
    steps = math.ceil(len(x) / batch)
    if task.vae:  # the VAE's train_step computes its own loss
        model.compile(optimizer=optimizer, steps_per_execution=spe)
        fit_args, val = (x,), (data["val"][0],)
    else:
        model.compile(optimizer=optimizer, loss="binary_crossentropy", steps_per_execution=spe)
        fit_args, val = (x, y), data["val"]
    stop = StopAt(target, time_limit)
    model.fit(*fit_args, epochs=task.budget, batch_size=batch, shuffle=True,
              validation_data=val, verbose=0, callbacks=[stop])  # fmt: skip
    x_test, y_test = data["test"]
    test = model.evaluate(x_test, None if task.vae else y_test, batch_size=1024, verbose=0)
    test = float(test[0] if isinstance(test, list) else test)
    return {
        "recipe": side,
        "seed": seed,
        "target": target,
        "reached": stop.reached_at is not None,
        "epochs": stop.reached_at or len(stop.val),
        "seconds": round(stop.seconds[-1], 2),
        "final_val": round(stop.val[-1], 5),
        "test": round(test, 5),
        "description": describe(optimizer, batch, spe, steps),
        "schedule_epochs": int(eval(task.book_epochs, space)) if side == "book" else None,
    }


def summary(task: Task, runs: list[dict]) -> dict:
    def median(recipe: str, key: str) -> float:
        return statistics.median(r[key] for r in runs if r["recipe"] == recipe)

    def only(recipe: str, key: str):
        values = {r[key] for r in runs if r["recipe"] == recipe}
        return values.pop() if len(values) == 1 else sorted(values)

    ref_s, book_s = median("reference", "seconds"), median("book", "seconds")
    return {
        "key": task.key,
        "chapter": task.chapter,
        "task": task.task,
        "seeds": sorted({r["seed"] for r in runs}),
        "metric": task.metric,
        "target": median("reference", "target"),
        "target_source": sorted({r["target_source"] for r in runs if "target_source" in r}),
        "reference_model": task.reference.label,
        "book_model": task.book.label,
        "reference_recipe": f"{only('reference', 'description')}, up to {task.budget} epochs",
        "book_recipe": (
            f"{only('book', 'description')} (the chapter's {only('book', 'schedule_epochs')}"
            "-epoch run)"
        ),
        "reference_epochs": median("reference", "epochs"),
        "reference_seconds": ref_s,
        "reference_test": median("reference", "test"),
        "book_epochs": median("book", "epochs"),
        "book_seconds": book_s,
        "book_test": median("book", "test"),
        "ratio": round(book_s / ref_s, 3),
        "all_reached": all(r["reached"] for r in runs),
        "fingerprint": task.fingerprint(),
        "runs": runs,
    }


def write_report(out: Path, tasks: list[dict], seconds: float, merge: bool) -> dict:
    """Write the report atomically, keeping the other tasks of ``out`` when ``merge``."""
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
        "wall_seconds": round(seconds, 1),
        # every task, so that the results page can name the ones not measured yet
        "all_tasks": [{"key": t.key, "chapter": t.chapter, "task": t.task} for t in TASKS],
        "tasks": tasks,
    }
    if merge and out.is_file():
        old = json.loads(out.read_text(encoding="utf-8"))
        if old.get("versions") != report["versions"] or "tasks" not in old:
            raise SystemExit(f"--merge: {out} was made with other versions or another format")
        fresh = {t["key"]: t for t in tasks}
        merged = {t["key"]: t for t in old["tasks"]} | fresh
        report["tasks"] = [merged[t.key] for t in TASKS if t.key in merged]
        report["wall_seconds"] = round(old["wall_seconds"] + seconds, 1)
    from booktools.atomic import write_text

    write_text(out, json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(t.key for t in TASKS))
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated (default 0,1,2)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other tasks of an existing --out file (made with the same versions)",
    )
    args = parser.parse_args(argv)
    keys = args.tasks.split(",")
    unknown = set(keys) - {t.key for t in TASKS}
    if unknown:
        parser.error(f"unknown tasks {sorted(unknown)}; known: {[t.key for t in TASKS]}")
    if aebook.is_smoke():
        parser.error("unset AEBOOK_SMOKE: the benchmark needs the full data")
    seeds = [int(s) for s in args.seeds.split(",")]
    results: list[dict] = []
    for task in (t for t in TASKS if t.key in keys):
        started = time.perf_counter()
        data = load_data(task)
        runs = []
        for seed in seeds:
            ref = run(task, "reference", data, seed, task.target)
            if task.target is None or not ref["reached"]:
                # No chapter target, or one the reference does not reach on the validation
                # set (which is harder than the test set): the target is the validation value
                # the reference reaches in its budget.
                ref["target_source"] = f"reference after {task.budget} epochs"
                ref["target"] = ref["final_val"]
                ref["reached"] = True
            else:
                ref["target_source"] = "chapter"
            target = ref["target"]
            book = run(task, "book", data, seed, target, time_limit=ref["seconds"])
            runs += [ref, book]
            print(
                f"{task.key} seed {seed}: target {target:.4f} | reference "
                f"{ref['epochs']} ep {ref['seconds']:.0f} s test {ref['test']:.4f} | book "
                f"{book['epochs']} ep {book['seconds']:.0f} s test {book['test']:.4f}"
                f"{'' if book['reached'] else ' (NOT reached)'}",
                flush=True,
            )
        results.append(summary(task, runs))
        print(f"{task.key}: ratio {results[-1]['ratio']:.2f}", flush=True)
        # after every task, so that an interrupted run keeps what it finished
        write_report(args.out, [results[-1]], time.perf_counter() - started,
                     merge=args.merge or len(results) > 1)  # fmt: skip
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
