"""aebook.train: chapter 2's compile-and-fit, offered to the later chapters."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

import aebook

ROOT = Path(__file__).resolve().parents[1]


def _chapter_2_training_cell() -> str:
    """Chapter 2's definitions of its schedule, ``adam`` and ``train`` (and the constants
    they use), without the lines that train the chapter's model."""
    from booktools.chapter_code import definitions

    names = ("EPOCHS", "BATCH_SIZE", "STEPS_PER_EPOCH", "warmup_cosine", "adam", "train")
    return definitions(ROOT / "notebooks" / "02_undercomplete.ipynb", names)


def _model(seed: int):
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(8, "relu"), keras.layers.Dense(784, "sigmoid")]
    )


@pytest.fixture
def images() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = (rng.random((700, 784)) < 0.2).astype("float32")
    return x[:600], x[600:]


def test_train_is_chapter_2s_training(images, capsys) -> None:
    import keras

    x_train, x_val = images
    namespace = {"keras": keras, "aebook": aebook, "time": time, "x_train": x_train, "x_val": x_val}
    exec(_chapter_2_training_cell(), namespace)  # defines EPOCHS, warmup_cosine, adam, train
    epochs = namespace["EPOCHS"]

    taught = _model(0)
    keras.utils.set_random_seed(1)
    theirs, _ = namespace["train"](taught, namespace["adam"]())

    offered = _model(0)
    keras.utils.set_random_seed(1)
    ours, seconds = aebook.train(offered, x_train, epochs=epochs, validation=x_val)

    assert seconds > 0
    np.testing.assert_allclose(ours.history["loss"], theirs.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(ours.history["val_loss"], theirs.history["val_loss"], rtol=1e-6)
    for a, b in zip(offered.get_weights(), taught.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert "epoch" in capsys.readouterr().out  # the progress line


def test_train_learns_a_target_other_than_its_input(images) -> None:
    x, _ = images
    target = 1.0 - x  # a denoiser's clean images, say: here the negative
    model = _model(0)
    history, _ = aebook.train(model, x, target, epochs=3, batch_size=64, peak=1e-2)
    assert history.history["loss"][-1] < history.history["loss"][0]
    out = model.predict(x[:50], verbose=0)
    assert aebook.bce(target[:50], out) < aebook.bce(x[:50], out)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 2, "batch_size": 0}, "batch_size"),
        ({"epochs": 2, "peak": 0.0}, "peak"),
        ({"epochs": 2, "every": True}, "every"),
    ],
)
def test_bad_training_arguments_are_refused(images, kwargs, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        aebook.train(None, images[0], **kwargs)
