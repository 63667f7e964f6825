"""Chapter 6's seed spread: its comparisons of plain and denoising networks over three seeds.

Chapter 6 trains each of its small models once, on the same first training images for the
same epochs with the same recipe, and compares them in pairs:

1. copying: the pooled plain autoencoder against the dense one, and the dense one against the
   stride-1 convolutional one (both of whose layers can represent the identity), by their BCE
   on the clean images they learned from and by how close their output on noisy test digits
   stays to its input; and a stride-1 network of 2 filters, whose code has the 1,568 values of
   the pooled and dense codes, against those two by the latter;
2. the task: each architecture plain (clean in) against denoising (noisy in), by what it gains
   on the noisy test digits;
3. features: the dense and the pooled autoencoders plain against denoising, and the dense ones
   against the same network untrained (its random initial weights), by the test accuracy of a
   linear probe on their codes;
4. where corruption happens: fixed noisy copies against a training-only noise layer, Keras's
   unclipped ``GaussianNoise`` and the chapter's clipped ``ClippedNoise``, by test PSNR.

A direction holds when the mean paired difference exceeds the paired t-test's critical value,
4.30 standard errors for three seeds (95 %, two-sided, 2 degrees of freedom).

Nine small networks a seed are too many for the chapter's time budget, so this script runs
them with :mod:`booktools.seedbench`: both arms of a pair start from the same seed and train
with the chapter's own builders, ``train`` function and recipe, taken from its notebook (the
chapter seeds once, through ``aebook.setup``, so its own run is none of these). An arm that
appears in several pairs is trained once per seed. About seven minutes on an idle 2-core CPU;
CI never runs it. From the repository's root::

    AEBOOK_DATA=/path/to/data python benchmarks/ch6_seeds.py [--seeds 0,1,2]

It writes ``benchmarks/results/ch6_seeds.json``; ``python -m booktools.results`` shows it on
the results page.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from booktools.seedbench import Arm, Benchmark, Pair, main  # noqa: E402

# Each arm is (model, training inputs): "clean" (a plain autoencoder), "noisy" (a denoiser) or
# "none" (not trained: its random initial weights, the linear probe's control).
POOLED_PLAIN = Arm("pooled, plain", '(build_denoiser(), "clean")')
POOLED_DENOISING = Arm("pooled, denoising (fixed copies)", '(build_denoiser(), "noisy")')
DENSE_PLAIN = Arm("dense 1,568, plain", '(build_dense(), "clean")')
DENSE_DENOISING = Arm("dense 1,568, denoising", '(build_dense(), "noisy")')
DENSE_UNTRAINED = Arm("dense 1,568, untrained", '(build_dense(), "none")')
STRIDE1_PLAIN = Arm("stride 1, plain", '(build_stride1(), "clean")')
STRIDE1_DENOISING = Arm("stride 1, denoising", '(build_stride1(), "noisy")')
STRIDE1_2_PLAIN = Arm("stride 1, 2 filters, plain", '(build_stride1(filters=2), "clean")')
GAUSSIAN_LAYER = Arm(
    "GaussianNoise layer",
    '(build_denoiser(noise_layer=layers.GaussianNoise(NOISE, seed=seed)), "clean")',
)
CLIPPED_LAYER = Arm(
    "ClippedNoise layer", '(build_denoiser(noise_layer=ClippedNoise(NOISE, seed=seed)), "clean")'
)

BENCHMARK = Benchmark(
    script="benchmarks/ch6_seeds.py",
    title="Chapter 6's comparisons over seeds",
    description=(
        "Chapter 6's small networks, each trained with the chapter's own code and recipe on "
        "its first 5,000 training images for its epochs, clean or noisy (0.5) in, clean out. "
        "Gain: the PSNR of a model's output on the noisy test digits minus that of the noisy "
        "digits; kept: the PSNR of that output against the noisy input itself (a copy scores "
        "infinity); PSNR, clean digits in: that of its output on the clean test digits; "
        "clean BCE: its BCE on the clean images it trained on; probe: the test accuracy of a "
        "linear probe (standardised features, ridge classifier) on its code (NaN, not "
        "measured, for the 16-filter stride-1 networks' 12,544-number codes). Untrained: the "
        "dense network with its random initial weights. Stride 1, 2 filters: the stride-1 "
        "network with a 28x28x2 code, as many values (1,568) as the pooled and dense codes."
    ),
    notebook=ROOT / "notebooks" / "06_denoising.ipynb",
    names=("NOISE", "x_train_noisy", "x_val_noisy", "x_test_noisy", "build_denoiser",
           "EPOCHS", "BATCH_SIZE", "PEAK", "train", "build_dense", "build_stride1", "N_SMALL",
           "SMALL_EPOCHS", "ClippedNoise"),
    pairs=(
        Pair(POOLED_PLAIN, DENSE_PLAIN, metric="clean_bce", claim="b lower"),
        Pair(DENSE_PLAIN, STRIDE1_PLAIN, metric="clean_bce", claim="b lower"),
        Pair(DENSE_PLAIN, STRIDE1_PLAIN, metric="clean_psnr", claim="b higher"),
        Pair(POOLED_PLAIN, STRIDE1_PLAIN, metric="kept", claim="b higher"),
        Pair(DENSE_PLAIN, STRIDE1_PLAIN, metric="kept", claim="b higher"),
        Pair(POOLED_PLAIN, STRIDE1_2_PLAIN, metric="kept", claim="b higher"),
        Pair(DENSE_PLAIN, STRIDE1_2_PLAIN, metric="kept", claim="b higher"),
        Pair(POOLED_PLAIN, POOLED_DENOISING, metric="gain", claim="b higher"),
        Pair(DENSE_PLAIN, DENSE_DENOISING, metric="gain", claim="b higher"),
        Pair(STRIDE1_PLAIN, STRIDE1_DENOISING, metric="gain", claim="b higher"),
        Pair(DENSE_PLAIN, DENSE_DENOISING, metric="probe", claim="b higher"),
        Pair(DENSE_UNTRAINED, DENSE_PLAIN, metric="probe", claim="neither"),
        Pair(DENSE_UNTRAINED, DENSE_DENOISING, metric="probe", claim="b higher"),
        Pair(POOLED_PLAIN, POOLED_DENOISING, metric="probe", claim="neither"),
        Pair(GAUSSIAN_LAYER, CLIPPED_LAYER, metric="test_psnr", claim="b higher"),
        Pair(POOLED_DENOISING, CLIPPED_LAYER, metric="test_psnr", claim="neither"),
    ),
    metrics={"gain": "gain on noisy digits (dB)", "test_psnr": "test PSNR (dB)",
             "kept": "PSNR vs noisy input (dB)", "clean_psnr": "PSNR, clean digits in (dB)",
             "clean_bce": "clean BCE", "probe": "probe accuracy"},
    out=ROOT / "benchmarks" / "results" / "ch6_seeds.json",
    test="t",
)  # fmt: skip


def prepare() -> dict[str, Any]:
    """The namespace the chapter's code runs in: Keras, the library, the data and labels."""
    import aebook  # lazy: the tests import this module without TensorFlow

    aebook.setup(seed=0)  # quiet TensorFlow, deterministic ops; each arm reseeds
    import time

    import keras  # after aebook.setup()
    import numpy as np
    from keras import layers, ops

    (x_train, y_train), (x_val, _), (x_test, y_test) = aebook.load_splits("mnist", images=True)
    return {
        "aebook": aebook, "keras": keras, "layers": layers, "ops": ops, "np": np,
        "time": time, "run": _Run(), "x_train": x_train, "x_val": x_val, "x_test": x_test,
        "y_train": y_train, "y_test": y_test, "done": {},
    }  # fmt: skip


class _Run:
    """What the chapter's code reads of ``aebook.setup``'s result: the seed of its noise."""

    seed = 0


def _probe(space: dict[str, Any], model: Any) -> float:
    """Test accuracy of the chapter's linear probe on the model's code."""
    from sklearn.linear_model import RidgeClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    keras, n = space["keras"], space["N_SMALL"]
    encoder = keras.Model(model.inputs, model.get_layer("code").output)
    x_train, x_test = space["x_train"][:n], space["x_test"]
    features = [encoder.predict(x, batch_size=512, verbose=0).reshape(len(x), -1)
                for x in (x_train, x_test)]  # fmt: skip
    classifier = make_pipeline(StandardScaler(), RidgeClassifier())
    classifier.fit(features[0], space["y_train"][:n])
    return float(classifier.score(features[1], space["y_test"]))


def one(space: dict[str, Any], expression: str, seed: int) -> dict[str, float]:
    """Train the arm with the chapter's ``train`` and score it (once per expression and seed)."""
    if (expression, seed) in space["done"]:
        return space["done"][expression, seed]
    space["seed"] = seed
    model, inputs = eval(expression, space)
    aebook, n = space["aebook"], space["N_SMALL"]
    x_train, x_test, x_test_noisy = space["x_train"], space["x_test"], space["x_test_noisy"]
    if inputs != "none":
        x_in = x_train[:n] if inputs == "clean" else space["x_train_noisy"][:n]
        space["train"](model, x_in, x_train[:n], space["SMALL_EPOCHS"])
    out = model.predict(x_test_noisy, batch_size=512, verbose=0)
    own = model.predict(x_train[:n], batch_size=512, verbose=0)
    clean_out = model.predict(x_test, batch_size=512, verbose=0)
    psnr = aebook.psnr(x_test, out)
    wide = int(space["np"].prod(model.get_layer("code").output.shape[1:])) > 2_000  # 16 filters
    metrics = {
        "gain": psnr - aebook.psnr(x_test, x_test_noisy), "test_psnr": psnr,
        "kept": aebook.psnr(x_test_noisy, out), "clean_psnr": aebook.psnr(x_test, clean_out),
        "clean_bce": aebook.bce(x_train[:n], own),
        "probe": float("nan") if wide else _probe(space, model),
    }  # fmt: skip
    space["done"][expression, seed] = metrics
    return metrics


if __name__ == "__main__":
    sys.exit(main(BENCHMARK, prepare, one))
