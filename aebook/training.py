"""The training call taught in chapter 2, for the chapters after it.

Chapter 2's *Training* section (``notebooks/02_undercomplete.ipynb``) builds it step by step:
Adam on the warm-up + cosine schedule (:func:`aebook.warmup_cosine`), ``compile`` with
``steps_per_execution=32`` (32 batches per call into TensorFlow, which saves Python overhead
on small models), ``fit`` with shuffling, a validation set held out from the training images,
a quiet progress line (:func:`aebook.progress`), and the wall time measured around ``fit``.
Later chapters call :func:`train` instead of copying those lines; a test keeps it equal to
chapter 2's own code.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .callbacks import KerasCallback, progress
from .checks import check_int
from .schedules import warmup_cosine

__all__ = ["train"]

#: A Keras model, the ``History`` that ``fit`` returns and a loss object. Keras ships no type
#: information: third-party boundaries.
KerasModel = Any
KerasHistory = Any
KerasLoss = Any


def train(
    model: KerasModel,
    x: np.ndarray,
    target: np.ndarray | None = None,
    *,
    epochs: int,
    validation: tuple[np.ndarray, np.ndarray] | np.ndarray | None = None,
    batch_size: int = 256,
    peak: float = 3e-3,
    loss: str | KerasLoss | None = "binary_crossentropy",
    callbacks: Sequence[KerasCallback] = (),
    every: int = 10,
) -> tuple[KerasHistory, float]:
    """Compile ``model`` with Adam on chapter 2's schedule and fit it; return (History, seconds).

    ``target`` is what the model learns to output: ``x`` itself when omitted (an autoencoder
    reconstructs its input), clean images for a denoiser given noisy ``x``. ``validation`` is
    ``(inputs, targets)``, or one array that is both (again an autoencoder). ``loss=None``
    compiles without a loss, for models that compute their own in ``train_step`` (chapter 7's
    VAE). ``callbacks`` run after the progress line, which prints every ``every`` epochs.
    """
    check_int("train(epochs=)", epochs)
    check_int("train(batch_size=)", batch_size)
    check_int("train(every=)", every)
    if not peak > 0:
        raise ValueError(f"train(peak=) must be a positive learning rate, got {peak!r}")
    import keras  # lazy: after aebook.setup() has configured TensorFlow

    steps_per_epoch = -(-len(x) // batch_size)  # batches per epoch, rounded up
    schedule = warmup_cosine(epochs, steps_per_epoch, peak=peak)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule),
        loss=loss,
        steps_per_execution=32,
    )
    if isinstance(validation, np.ndarray):
        validation = (validation, validation)
    start = time.perf_counter()
    history = model.fit(
        x,
        x if target is None else target,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        validation_data=validation,
        verbose=0,
        callbacks=[progress(every=every), *callbacks],
    )
    return history, time.perf_counter() - start
