"""Training callbacks: a quiet progress line, and stopping once a target loss is reached."""

from __future__ import annotations

import math
import time
from typing import Any

from .checks import check_int

__all__ = ["progress", "stop_at"]

#: A ``keras.callbacks.Callback``. Keras ships no type information: a third-party boundary.
KerasCallback = Any


def progress(every: int = 10) -> KerasCallback:
    """A Keras callback printing epoch, losses and elapsed time every ``every`` epochs.

    The first and the last epoch are always printed, so a two-epoch smoke run shows both.
    Use it with ``verbose=0``: ``model.fit(..., verbose=0, callbacks=[aebook.progress()])``.
    """
    import keras  # lazy: after aebook.setup() has configured TensorFlow

    check_int("progress(every=)", every)

    class _Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
            self._start = time.perf_counter()
            self._epochs = int(self.params.get("epochs") or 0)

        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            n = epoch + 1
            if n == 1 or n % every == 0 or n == self._epochs:
                parts = " - ".join(f"{k} {v:.4f}" for k, v in sorted((logs or {}).items()))
                elapsed = time.perf_counter() - self._start
                print(f"epoch {n:3d}/{self._epochs} - {parts} - {elapsed:.0f} s", flush=True)

    return _Progress()


def stop_at(target: float, monitor: str = "val_loss") -> KerasCallback:
    """A Keras callback that stops training at the end of the first epoch whose ``monitor``
    is at or below ``target``, and says so.

    Use it with a validation set held out from the *training* data, never the test set, so
    the test set stays a fair final measure. After ``fit`` returns, the callback's
    ``stopped_epoch`` is the (1-based) epoch at which the target was reached, or ``None``
    if training ran all its epochs without reaching it.
    """
    import keras  # lazy: after aebook.setup() has configured TensorFlow

    if isinstance(target, bool) or not isinstance(target, (int, float)):
        raise TypeError(f"stop_at(target=) must be a number, got {target!r}")
    if not (math.isfinite(target) and target > 0):
        raise ValueError(f"stop_at(target=) must be a positive finite number, got {target!r}")

    class _StopAt(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.target = float(target)
            self.monitor = monitor
            self.stopped_epoch: int | None = None

        def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
            self.stopped_epoch = None

        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            logs = logs or {}
            if self.monitor not in logs:
                raise KeyError(
                    f"stop_at monitors {self.monitor!r}, but the epoch logs hold "
                    f"{sorted(logs)}; pass validation data to fit() or change monitor="
                )
            value = float(logs[self.monitor])
            if value <= self.target:
                self.stopped_epoch = epoch + 1
                self.model.stop_training = True
                print(
                    f"{self.monitor} {value:.4f} <= {self.target:g} after epoch {epoch + 1}: "
                    "target reached, training stops",
                    flush=True,
                )

    return _StopAt()
