"""Learning-rate schedules taught in the book, for the chapters after the one that teaches them.

:func:`warmup_cosine` is the schedule chapter 2 builds and explains in its *Training* section
(``notebooks/02_undercomplete.ipynb``): a linear warm-up over the first epoch to a peak rate,
then a cosine decay to a small fraction of it. Later chapters reuse it from here instead of
copying it; a test keeps this function and chapter 2's own definition equal.
"""

from __future__ import annotations

from typing import Any

from .checks import check_int

__all__ = ["warmup_cosine"]

#: A ``keras.optimizers.schedules.LearningRateSchedule``. Keras ships no type information: a
#: third-party boundary.
KerasSchedule = Any


def warmup_cosine(
    epochs: int,
    steps_per_epoch: int,
    peak: float = 3e-3,
    warmup_epochs: int = 1,
    final_fraction: float = 0.02,
) -> KerasSchedule:
    """Learning rate per step: linear warm-up to ``peak``, then cosine decay.

    The warm-up starts at ``peak / 100`` and lasts ``warmup_epochs`` epochs of
    ``steps_per_epoch`` steps; the decay then runs to the end of ``epochs`` epochs and ends at
    ``final_fraction * peak``. Returns a ``keras.optimizers.schedules.CosineDecay``, to pass
    as an optimiser's ``learning_rate``. Taught in chapter 2, *Training*.
    """
    check_int("epochs", epochs)
    check_int("steps_per_epoch", steps_per_epoch)
    check_int("warmup_epochs", warmup_epochs)
    if not peak > 0 or not 0 <= final_fraction <= 1:
        raise ValueError(
            f"need peak > 0 and 0 <= final_fraction <= 1, got {peak}, {final_fraction}"
        )
    import keras  # lazy: after aebook.setup() has configured TensorFlow

    warmup_steps = warmup_epochs * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak / 100,
        warmup_target=peak,
        warmup_steps=warmup_steps,
        decay_steps=max(1, epochs * steps_per_epoch - warmup_steps),
        alpha=final_fraction,
    )
