"""Chapter 5's seed spread: its two comparisons of networks, paired over three seeds.

Chapter 5 compares two pairs of networks trained with the same recipe for the same epochs:

1. the Keras blog's max-pooling autoencoder against the strided one (both 4,385 parameters,
   both a 4x4x8 code), which decides whether learned down- and upsampling wins;
2. a convolutional encoder with a dense 32-number bottleneck against the dense
   784-128-32-128-784 autoencoder, which decides whether convolutions buy a better code.

A convolutional model costs tens of seconds per epoch on the book's 2-core CPU, too much to
train six of them more than once inside the chapter. This script does it with
:mod:`booktools.seedbench`: both models of a pair start from the same seed and train with the
chapter's own builders and recipe (``EPOCHS``, ``BATCH_SIZE``, ``PEAK``, ``aebook.train``),
taken from its notebook. The chapter itself seeds once, through ``aebook.setup``, so its own
run is none of these seeds' runs. About nine minutes on 2 cores; CI never runs it. From the
repository's root::

    AEBOOK_DATA=/path/to/data python benchmarks/ch5_seeds.py [--seeds 0,1,2]

It writes ``benchmarks/results/ch5_seeds.json``; ``python -m booktools.results`` shows it on
the results page.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from booktools.seedbench import Arm, Benchmark, Pair, main  # noqa: E402

BENCHMARK = Benchmark(
    script="benchmarks/ch5_seeds.py",
    title="Chapter 5's comparisons over seeds",
    description=(
        "Test BCE per pixel of chapter 5's two pairs of networks, each trained with the "
        "chapter's own code and recipe (its epochs, batch size and warm-up and cosine schedule)."
    ),
    notebook=ROOT / "notebooks" / "05_convolutional.ipynb",
    names=("build_conv", "build_modern", "build_conv_dense", "build_dense", "EPOCHS",
           "BATCH_SIZE", "PEAK"),
    pairs=(
        Pair(Arm("max-pooling + UpSampling2D, 4x4x8", "build_conv()"),
             Arm("strided + Conv2DTranspose, 4x4x8", "build_modern()"),
             metric="test_bce", claim="b lower", beyond_spread=True),
        Pair(Arm("dense 784-128-32-128-784", "build_dense(32)"),
             Arm("conv encoder + Dense(32) bottleneck", "build_conv_dense(32)"),
             metric="test_bce", claim="b lower", beyond_spread=True),
    ),
    metrics={"test_bce": "test BCE", "val_bce": "validation BCE"},
    out=ROOT / "benchmarks" / "results" / "ch5_seeds.json",
)  # fmt: skip


def prepare() -> dict[str, Any]:
    """The namespace the chapter's code runs in: Keras, the library and the data."""
    import aebook  # lazy: the tests import this module without TensorFlow

    aebook.setup(seed=0)  # quiet TensorFlow, deterministic ops; each arm reseeds
    import keras  # after aebook.setup()
    from keras import layers

    (x_train, _), (x_val, _), (x_test, _) = aebook.load_splits("mnist", images=True)
    data = {"x_train": x_train, "x_val": x_val, "x_test": x_test}
    return {"keras": keras, "layers": layers, "aebook": aebook, "data": data}


def one(space: dict[str, Any], expression: str, seed: int) -> dict[str, float]:
    """Build the arm, train it with the chapter's recipe, score it on validation and test."""
    aebook, data = space["aebook"], space["data"]
    model = eval(expression, space)
    history, _ = aebook.train(
        model, data["x_train"], epochs=space["EPOCHS"], validation=data["x_val"],
        batch_size=space["BATCH_SIZE"], peak=space["PEAK"],
    )  # fmt: skip
    test = aebook.bce(data["x_test"], model.predict(data["x_test"], batch_size=512, verbose=0))
    return {"test_bce": test, "val_bce": float(history.history["val_loss"][-1])}


if __name__ == "__main__":
    sys.exit(main(BENCHMARK, prepare, one))
